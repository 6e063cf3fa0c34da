// Each tenant's best entry per competition phase, kept in LeaderboardEntry by the same
// transaction that records a job's Result, so a leaderboard is one indexed read and never
// loads Results into Node. An entry ranks by its `rankKey` (the competition's metric, then
// its tie-break metrics, each negated when the competition sorts DESC, so smaller is always
// better; a missing tie-break ranks last), then by the earlier submission. A new Result
// replaces the tenant's entry only when it ranks better. Entries that changed are announced
// on the `leaderboard` topic (key: competition id) once the transaction commits.
import { prepared } from "../../db/prepared.ts";
import { publishMany } from "../../db/pubsub.ts";
import type { Sql } from "../../db/sql.ts";

export const LEADERBOARD_TOPIC = "leaderboard";

export interface LeaderboardChange {
  competitionId: string;
  phaseId: string;
}

/** The candidate entries of the jobs the WHERE clause picks, with their ranking keys. */
const candidates = (where: string) => `
  candidate AS (
    SELECT j."phaseId", j."tenantId", j."competitionId", j.id AS "jobId", j."submittedAt",
           (r.metrics ->> c.metric)::float8 AS score,
           ARRAY(SELECT CASE WHEN jsonb_typeof(r.metrics -> m) <> 'number' THEN NULL
                             WHEN c."sortOrder" = 'DESC' THEN -(r.metrics ->> m)::float8
                             ELSE (r.metrics ->> m)::float8 END
                   FROM unnest(ARRAY[c.metric] || c."tiebreakMetrics") WITH ORDINALITY AS k(m, n)
                  ORDER BY n) AS "rankKey",
           (SELECT jsonb_object_agg(m, r.metrics -> m)
              FROM unnest(ARRAY[c.metric] || c."tiebreakMetrics") AS k(m)) AS metrics
      FROM "Job" j
      JOIN "Result" r ON r."jobId" = j.id
      JOIN "Competition" c ON c.id = j."competitionId"
     WHERE ${where} AND j."phaseId" IS NOT NULL AND j.state = 'SUCCEEDED'
       AND jsonb_typeof(r.metrics -> c.metric) = 'number'),
  best AS (
    SELECT DISTINCT ON ("phaseId", "tenantId") * FROM candidate
     ORDER BY "phaseId", "tenantId", "rankKey", "submittedAt")`;

const UPSERT = `
  INSERT INTO "LeaderboardEntry" ("phaseId", "tenantId", "competitionId", "jobId", score,
    "rankKey", metrics, "submittedAt", "updatedAt")
  SELECT "phaseId", "tenantId", "competitionId", "jobId", score, "rankKey", metrics,
         "submittedAt", now()
    FROM best
  ON CONFLICT ("phaseId", "tenantId") DO UPDATE SET "jobId" = EXCLUDED."jobId",
    score = EXCLUDED.score, "rankKey" = EXCLUDED."rankKey", metrics = EXCLUDED.metrics,
    "submittedAt" = EXCLUDED."submittedAt", "updatedAt" = now()
  WHERE (EXCLUDED."rankKey", EXCLUDED."submittedAt")
      < ("LeaderboardEntry"."rankKey", "LeaderboardEntry"."submittedAt")
  RETURNING "competitionId", "phaseId"`;

const RECORD_FOR_JOBS = prepared(
  "leaderboard.record",
  `WITH ${candidates(`j.id = ANY($1::uuid[])`)} ${UPSERT}`,
);

/**
 * Offers the Results of just-succeeded jobs to their leaderboards (jobs outside a
 * competition, or whose Result lacks the metric, are left out). Call after the Results
 * are written, in the same transaction.
 */
export async function recordLeaderboardEntries(tx: Sql, jobIds: readonly string[]): Promise<void> {
  if (jobIds.length === 0) return;
  const { rows } = await tx.query<LeaderboardChange>(RECORD_FOR_JOBS([jobIds]));
  await announce(tx, rows);
}

/**
 * Recomputes a competition's leaderboards from its Results: after its metric, sort order or
 * tie-breaks changed, every entry's key (and maybe the best job) changes with them.
 */
export async function rebuildLeaderboards(tx: Sql, competitionId: string): Promise<void> {
  await tx.query(`DELETE FROM "LeaderboardEntry" WHERE "competitionId" = $1`, [competitionId]);
  const { rows } = await tx.query<LeaderboardChange>(
    `WITH ${candidates(`j."competitionId" = $1`)} ${UPSERT}`,
    [competitionId],
  );
  await announce(tx, rows.length > 0 ? rows : [{ competitionId, phaseId: "" }]);
}

/** Tells subscribers that a phase's ranking may have changed (also a reveal). */
export async function announce(tx: Sql, changes: readonly LeaderboardChange[]): Promise<void> {
  const unique = new Map(changes.map((c) => [`${c.competitionId}:${c.phaseId}`, c]));
  await publishMany(
    tx,
    [...unique.values()].map((data) => ({
      topic: LEADERBOARD_TOPIC,
      key: data.competitionId,
      data,
    })),
  );
}
