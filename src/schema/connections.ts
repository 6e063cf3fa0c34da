// The one way every list pages: a Relay connection over a keyset (the unique, ordered
// column of the list: a slug, an id), through the relay plugin's resolveCursorConnection.
// A domain list function takes a KeysetPage (src/db/keyset-page.ts) and returns up to
// `limit` rows in list order from the page's start, or nearest-first from `before` for a
// backward page; the plugin trims the look-ahead row, flips backward pages and builds the
// edges. A cursor is the row's key, encoded as Pothos encodes cursors.
import {
  decodeBase64,
  decodeCursorChunk,
  encodeBase64,
  encodeCursorChunk,
  PothosValidationError,
} from "@pothos/core";
import { type DefaultConnectionArguments, resolveCursorConnection } from "@pothos/plugin-relay";
import type { KeysetPage } from "../db/keyset-page.ts";

const encodeCursor = (key: unknown): string => encodeBase64(`GPC:${encodeCursorChunk(key)}`);

function decodeCursor(cursor: string): unknown {
  try {
    const decoded = decodeBase64(cursor);
    if (decoded.startsWith("GPC:")) return decodeCursorChunk(decoded.slice(4));
  } catch {
    // Not base64 or not a chunk: refused below, like any other cursor we did not issue.
  }
  throw new PothosValidationError(`Invalid cursor: ${cursor}`);
}

/** A page of a keyset list, as a connection field resolves it. */
export function keysetConnection<Row, K>(
  args: DefaultConnectionArguments,
  load: (page: KeysetPage<K>) => Promise<Row[]>,
  keyOf: (row: Row) => K,
) {
  return resolveCursorConnection<Promise<Row[]>>(
    { args, toCursor: (row) => encodeCursor(keyOf(row)) },
    ({ before, after, limit, inverted }) =>
      load({
        after: after === undefined ? undefined : (decodeCursor(after) as K),
        before: before === undefined ? undefined : (decodeCursor(before) as K),
        limit,
        inverted,
      }),
  );
}
