// The pool's timestamp parsers agree with pg's own (postgres-date) wherever both apply, and
// read zone-less `timestamp` values as UTC whatever the process's time zone.
import fc from "fast-check";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { parseTimestamp, parseTimestamptz } from "../../src/db/timestamps.ts";

const pgTimestamptz = pg.types.getTypeParser(1184, "text") as (text: string) => unknown;
const two = (n: number) => String(n).padStart(2, "0");

/** Postgres' ISO output for a timestamp, with `zone` appended as it prints it. */
const timestampText = fc
  .record({
    year: fc.integer({ min: 100, max: 9999 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    fraction: fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }),
  })
  .map(
    (t) =>
      `${String(t.year).padStart(4, "0")}-${two(t.month)}-${two(t.day)} ${two(t.hour)}:${two(t.minute)}:${two(t.second)}${t.fraction ? `.${t.fraction}` : ""}`,
  );
const zone = fc
  .record({
    sign: fc.constantFrom("+", "-"),
    hours: fc.integer({ min: 0, max: 15 }),
    minutes: fc.constantFrom(0, 30, 45),
    seconds: fc.constantFrom(0, 0, 0, 17),
  })
  .map(
    (z) =>
      `${z.sign}${two(z.hours)}${z.minutes || z.seconds ? `:${two(z.minutes)}` : ""}${z.seconds ? `:${two(z.seconds)}` : ""}`,
  );

describe("timestamp parsers", () => {
  it("read timestamptz exactly as pg does", () => {
    fc.assert(
      fc.property(timestampText, zone, (text, offset) => {
        expect(parseTimestamptz(`${text}${offset}`)).toEqual(pgTimestamptz(`${text}${offset}`));
      }),
      { numRuns: 2_000 },
    );
  });

  it("read timestamp as the same instant in UTC, in any process time zone", () => {
    const zoneBefore = process.env.TZ;
    try {
      for (const tz of ["UTC", "America/New_York", "Asia/Kolkata"]) {
        process.env.TZ = tz;
        fc.assert(
          fc.property(timestampText, (text) => {
            expect(parseTimestamp(text)).toEqual(pgTimestamptz(`${text}+00`));
          }),
          { numRuns: 300 },
        );
      }
    } finally {
      process.env.TZ = zoneBefore;
    }
  });

  it("hand what the fast path does not cover to pg's parser", () => {
    for (const text of [
      "0044-03-15 12:00:00+00 BC",
      "0099-01-01 00:00:00+00",
      "infinity",
      "-infinity",
    ]) {
      expect(parseTimestamptz(text)).toEqual(pgTimestamptz(text));
    }
    expect(parseTimestamp("0044-03-15 12:00:00 BC")).toEqual(
      pgTimestamptz("0044-03-15 12:00:00+00 BC"),
    );
    expect(parseTimestamp("0050-06-01 08:00:00.5")).toEqual(
      pgTimestamptz("0050-06-01 08:00:00.5+00"),
    );
    expect(parseTimestamp("infinity")).toBe(Number.POSITIVE_INFINITY);
  });
});
