// The result cache: a Result is fully determined by the scorer (name and version), its
// params and the bytes of the ground truth and the predictions, so identical inputs are
// scored once and every later submission of them reuses that Result (marked `cached`).
// A team re-submitting the same predictions, or a retry after a platform failure, costs a
// hash instead of a scoring. A competition may opt out (`resultCache: false`): each entry is
// then scored afresh, for organizers who want every run timed on its own.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { Sql } from "../../db/sql.ts";
import type { Result } from "../../scorers/index.ts";

export interface CacheInputs {
  scorer: string;
  version: string;
  params: unknown;
  gtPath: string;
  predPath: string;
}

/** A key for the inputs: their files are hashed as streams, whatever their size. */
export async function resultCacheKey(inputs: CacheInputs): Promise<string> {
  const [gt, pred] = await Promise.all([fileSha256(inputs.gtPath), fileSha256(inputs.predPath)]);
  return createHash("sha256")
    .update(JSON.stringify([inputs.scorer, inputs.version, canonical(inputs.params), gt, pred]))
    .digest("hex");
}

function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
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

/**
 * The cached Result for `key`; null when there is none. A hit is a read: `lastHitAt` (for
 * eviction) is written only when it is a minute old, because a popular entry written on
 * every hit makes concurrent hits queue on its row lock.
 */
export async function cachedResult(sql: Sql, key: string): Promise<Result | null> {
  const { rows } = await sql.query<{ result: Result }>(
    `WITH hit AS (SELECT key, result, "lastHitAt" FROM "ResultCache" WHERE key = $1),
     touched AS (
       UPDATE "ResultCache" AS c SET "lastHitAt" = now() FROM hit
       WHERE c.key = hit.key
         AND (hit."lastHitAt" IS NULL OR hit."lastHitAt" < now() - interval '1 minute'))
     SELECT result FROM hit`,
    [key],
  );
  return rows[0]?.result ?? null;
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
