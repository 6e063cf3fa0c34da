// Keyset pagination: one page of a list ordered by a unique column, starting after (or
// before) a key. The connection helper (src/schema/connections.ts) turns Relay arguments
// into a page and the rows back into edges.

/** A page of a list: rows after and/or before a key, `limit` rows at most. */
export interface KeysetPage<K> {
  after?: K;
  before?: K;
  /** One more than the page holds, so the caller can tell whether more rows follow. */
  limit: number;
  /**
   * Backward paging (`last`): the `limit` rows nearest `before` are wanted, returned
   * nearest-first; the connection helper flips them into list order.
   */
  inverted: boolean;
}

export interface KeysetSql {
  /** `column > $n` style conditions, to AND with the caller's own. */
  conditions: string[];
  orderBy: string;
  limit: number;
  params: unknown[];
}

/**
 * `column` must be a unique, quoted column name known to the caller, never user input;
 * `direction` is the list's order. Parameters are numbered from `firstParam`.
 */
export function keysetSql<K>(
  page: KeysetPage<K>,
  column: string,
  direction: "ASC" | "DESC",
  firstParam: number,
): KeysetSql {
  const later = direction === "ASC" ? ">" : "<";
  const earlier = direction === "ASC" ? "<" : ">";
  const conditions: string[] = [];
  const params: unknown[] = [];
  for (const [key, op] of [
    [page.after, later],
    [page.before, earlier],
  ] as const) {
    if (key === undefined) continue;
    params.push(key);
    conditions.push(`${column} ${op} $${firstParam + params.length - 1}`);
  }
  const flipped = direction === "ASC" ? "DESC" : "ASC";
  return {
    conditions,
    orderBy: `${column} ${page.inverted ? flipped : direction}`,
    limit: page.limit,
    params,
  };
}
