// Timestamps on the shared pool. Prisma's DateTime columns are TIMESTAMP(3) holding UTC wall
// time, so every session runs in UTC (`now()` written into those columns, and compared with
// them, must be UTC too, whatever the server's TimeZone), Date parameters are sent as UTC,
// and `timestamp` values are read back as UTC — pg's defaults use the Node process's zone
// for both.
//
// The parsers also matter for speed: pg's general parser (postgres-date, a regex per value
// plus a second one for the zone) took about a tenth of the API's CPU on a page of tenants
// with two timestamps per row. ISO output (the default DateStyle) takes the fast path here;
// anything else (BC dates, infinity, years before 100, other DateStyles) falls back to it.
import pg from "pg";

/** Connection option that pins the session time zone. */
export const UTC_SESSION = "-c TimeZone=UTC";

// The other direction: pg writes a Date parameter as local time with its offset, and a
// TIMESTAMP column drops the offset, so outside UTC every Date a raw statement wrote
// (a backoff's notBefore, say) landed hours off. As UTC it is the instant it names.
// Process-wide, like pg's parsers; harmless for TIMESTAMPTZ (pg-boss), which keeps the offset.
pg.defaults.parseInputDatesAsUTC = true;

const TIMESTAMP_OID = 1114;
const TIMESTAMPTZ_OID = 1184;

const defaultTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID, "text") as (
  text: string,
) => Date | number | string | null;

/** The value of `length` ASCII digits at `at`, or -1 if any is not a digit. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * `YYYY-MM-DD HH:MM:SS[.ffffff][±HH[:MM[:SS]]]` read by position, as milliseconds since the
 * epoch; NaN for anything else, which the caller hands to pg's general parser.
 */
function isoMillis(text: string, zoneRequired: boolean): number {
  if (
    text.length < 19 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 32 || // space
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58
  )
    return Number.NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  // Date.UTC maps years 0-99 to 1900-1999; leave those (and malformed fields) to pg.
  if (year < 100 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return Number.NaN;
  let at = 19;
  let millis = 0;
  if (text.charCodeAt(at) === 46) {
    // Digits past the millisecond are dropped, as Date (and postgres-date) drop them.
    let scale = 100;
    for (at++; at < text.length; at++) {
      const digit = text.charCodeAt(at) - 48;
      if (digit < 0 || digit > 9) break;
      millis += digit * scale;
      scale /= 10;
    }
    millis = Math.floor(millis);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (at === text.length) return zoneRequired ? Number.NaN : utc;
  const sign = text.charCodeAt(at);
  if (sign !== 43 && sign !== 45) return Number.NaN; // + -
  const zone = text.slice(at + 1);
  if (!/^\d\d(:\d\d(:\d\d)?)?$/.test(zone)) return Number.NaN;
  const offset =
    digits(zone, 0, 2) * 3600 +
    (zone.length > 2 ? digits(zone, 3, 2) * 60 : 0) +
    (zone.length > 5 ? digits(zone, 6, 2) : 0);
  return utc - (sign === 45 ? -1 : 1) * offset * 1000;
}

/** A zone-less value (possibly BC) marked UTC, in the form Postgres prints timestamptz. */
function asUtc(text: string): string {
  if (!/^\d/.test(text)) return text; // infinity, -infinity
  return text.endsWith(" BC") ? `${text.slice(0, -3)}+00 BC` : `${text}+00`;
}

function parse(text: string, zoneRequired: boolean): Date | number | string | null {
  const millis = isoMillis(text, zoneRequired);
  if (!Number.isNaN(millis)) return new Date(millis);
  return defaultTimestamptz(zoneRequired ? text : asUtc(text));
}

/** `timestamp without time zone`, read as UTC. */
export const parseTimestamp = (text: string) => parse(text, false);
/** `timestamp with time zone`. */
export const parseTimestamptz = (text: string) => parse(text, true);

/** pg `types` for the pool: the two timestamp parsers above, pg's defaults otherwise. */
export const poolTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (format !== "binary") {
      if (oid === TIMESTAMP_OID) return parseTimestamp;
      if (oid === TIMESTAMPTZ_OID) return parseTimestamptz;
    }
    return pg.types.getTypeParser(oid, format ?? "text");
  }) as typeof pg.types.getTypeParser,
};
