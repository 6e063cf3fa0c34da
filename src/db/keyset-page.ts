// Keyset pagination in SQL with the semantics of the Prisma arguments Pothos connections
// compute (`take` may be negative to page backwards; `skip: 1` skips the cursor row), so a
// hot list can be read with one plain SQL statement and still page like its Prisma twin.
// Prisma 6's WebAssembly query compiler costs about 0.4 ms of main-thread CPU per query,
// which caps a GraphQL list at a fraction of what Postgres serves (see BENCHMARKS.md).

export interface PrismaPageArgs {
  take?: number;
  skip?: number;
  cursor?: Record<string, unknown>;
}

export interface KeysetSql {
  /** `column > $n` style condition, or null on the first page. */
  condition: string | null;
  orderBy: string;
  limit: number;
  params: unknown[];
  /** Rows come back in reverse for backward pages; flip them after the query. */
  reverse: boolean;
}

/** `column` must be a unique, quoted column name known to the caller, never user input. */
export function keysetSql(
  page: PrismaPageArgs,
  column: string,
  cursorField: string,
  direction: "ASC" | "DESC",
  firstParam: number,
): KeysetSql {
  const take = page.take ?? 20;
  const backward = take < 0;
  const forwardOp = direction === "ASC" ? ">" : "<";
  const op = backward ? (forwardOp === ">" ? "<" : ">") : forwardOp;
  const order = backward ? (direction === "ASC" ? "DESC" : "ASC") : direction;
  const cursorValue = page.cursor?.[cursorField];
  const hasCursor = cursorValue !== undefined && (page.skip ?? 0) >= 1;
  return {
    condition: hasCursor ? `${column} ${op} $${firstParam}` : null,
    orderBy: `${column} ${order}`,
    limit: Math.abs(take),
    params: hasCursor ? [cursorValue] : [],
    reverse: backward,
  };
}

/** True when the page asks for no relations or field selection, so plain rows suffice. */
export function isPlainPage(page: object): boolean {
  return !("include" in page && page.include) && !("select" in page && page.select);
}
