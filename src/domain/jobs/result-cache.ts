// The result cache: a Result is fully determined by the scorer (name and version), its
// params and the bytes of the ground truth and the predictions, so identical inputs are
// scored once and every later submission of them reuses that Result (marked `cached`).
// A team re-submitting the same predictions, or a retry after a platform failure, costs a
// hash instead of a scoring. A competition may opt out (`resultCache: false`): each entry is
// then scored afresh, for organizers who want every run timed on its own.
import { createHash } from "node:crypto";
import path from "node:path";
import { createBatcher } from "../../db/batcher.ts";
import { prepared } from "../../db/prepared.ts";
import type { Sql } from "../../db/sql.ts";
import type { Result } from "../../scorers/index.ts";
import { openSource } from "../../scorers/readers/source.ts";

export interface CacheInputs {
  scorer: string;
  version: string;
  params: unknown;
  gtPath: string;
  predPath: string;
}

/** A key for the inputs: their files are hashed in chunks, whatever their size. */
export async function resultCacheKey(inputs: CacheInputs): Promise<string> {
  const [gt, pred] = await Promise.all([fileSha256(inputs.gtPath), fileSha256(inputs.predPath)]);
  return createHash("sha256")
    .update(JSON.stringify([inputs.scorer, inputs.version, canonical(inputs.params), gt, pred]))
    .digest("hex");
}

const CHUNK_BYTES = 64 * 1024;

/**
 * Read as the scorers read their inputs (scorers/readers/source.ts): a small file with
 * synchronous calls, a large one asynchronously, so hashing a typical predictions file
 * costs no thread-pool round trips.
 */
async function fileSha256(file: string): Promise<string> {
  const source = await openSource(file, path.basename(file), Number.POSITIVE_INFINITY);
  const hash = createHash("sha256");
  const buffer = new Uint8Array(Math.max(1, Math.min(source.size + 1, CHUNK_BYTES)));
  try {
    for (;;) {
      const read = await source.read(buffer, 0, buffer.length);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    await source.close();
  }
  return hash.digest("hex");
}

/** JSON with object keys sorted, so equal params give equal keys however they were written. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * Whether the job's Result may come from, and go to, the cache: always outside a
 * competition, inside one unless it opted out.
 */
export async function cacheAllowed(sql: Sql, competitionId: string | null): Promise<boolean> {
  if (!competitionId) return true;
  const { rows } = await sql.query<{ resultCache: boolean }>(
    `SELECT "resultCache" FROM "Competition" WHERE id = $1`,
    [competitionId],
  );
  return rows[0]?.resultCache ?? true;
}

const CACHED_RESULTS = prepared(
  "result-cache.lookup",
  `WITH hit AS (SELECT key, result, "lastHitAt" FROM "ResultCache" WHERE key = ANY($1::text[])),
   touched AS (
     UPDATE "ResultCache" AS c SET "lastHitAt" = now() FROM hit
     WHERE c.key = hit.key
       AND (hit."lastHitAt" IS NULL OR hit."lastHitAt" < now() - interval '1 minute'))
   SELECT key, result FROM hit`,
);

/**
 * The cached Results of `keys` (those that have one). A hit is a read: `lastHitAt` (for
 * eviction) is written only when it is a minute old, because a popular entry written on
 * every hit makes concurrent hits queue on its row lock.
 */
export async function cachedResults(
  sql: Sql,
  keys: readonly string[],
): Promise<Map<string, Result>> {
  if (keys.length === 0) return new Map();
  const { rows } = await sql.query<{ key: string; result: Result }>(
    CACHED_RESULTS([[...new Set(keys)]]),
  );
  return new Map(rows.map((row) => [row.key, row.result]));
}

/** The cache as a worker uses it. */
export interface ResultCache {
  /** Whether a job of this competition (null: none) may use the cache. */
  allowed(competitionId: string | null): Promise<boolean>;
  /** The cached Result for `key`; null when there is none. */
  lookup(key: string): Promise<Result | null>;
  store(
    key: string,
    inputs: Pick<CacheInputs, "scorer" | "version">,
    result: Result,
  ): Promise<void>;
}

/**
 * A worker's cache: the lookups of attempts that reach scoring together share one
 * statement (a burst of resubmissions is one read, not one round trip per job); an idle
 * worker's lookup leaves at once.
 */
export function createResultCache(sql: Sql): ResultCache {
  const lookups = createBatcher(
    async (keys: string[]) => {
      const found = await cachedResults(sql, keys);
      return keys.map((key) => found.get(key) ?? null);
    },
    { maxItems: 256, maxDelayMs: 0, maxInFlight: 1 },
  );
  return {
    allowed: (competitionId) => cacheAllowed(sql, competitionId),
    lookup: (key) => lookups.add(key),
    store: (key, inputs, result) => storeCachedResult(sql, key, inputs, result),
  };
}

/** Stores a fresh Result; the first one stored for a key stays (they are equal anyway). */
export async function storeCachedResult(
  sql: Sql,
  key: string,
  inputs: Pick<CacheInputs, "scorer" | "version">,
  result: Result,
): Promise<void> {
  await sql.query(
    `INSERT INTO "ResultCache" (key, scorer, version, result) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (key) DO NOTHING`,
    [key, inputs.scorer, inputs.version, JSON.stringify(result)],
  );
}
