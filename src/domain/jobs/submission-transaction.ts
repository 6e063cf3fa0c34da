// The transaction that writes a batch of checked submissions (submission-batcher.ts
// gathers them). Each job's row and first event (lifecycle.ts), its audit row and its
// submission counters commit together; a job over a limit is refused on its own while the
// others in its batch go through. The job's state event, sent after commit, wakes the
// scheduler (src/scheduler/scheduler.ts).
//
// Limits stay exact: the batch holds the waiting-line lock of every tenant in it and the
// row lock of every counter it charges, reads the counts under them, and decides job by job
// in arrival order (submission-decisions.ts), exactly as one transaction per job would.
import type pg from "pg";
import { prepared } from "../../db/prepared.ts";
import { inTransaction, type Sql } from "../../db/sql.ts";
import { auditSnapshot } from "../audit/record.ts";
import type { JobRow } from "./job-row.ts";
import { createJobs, type MovedJob } from "./lifecycle.ts";
import { type Counter, countersFor, utcDay } from "./submission-counters.ts";
import {
  clientKey,
  counterKey,
  decideSubmissions,
  IDENTITY,
  jobIdTaken,
  type LockedState,
} from "./submission-decisions.ts";
import type { PreparedSubmission, SubmissionOutcome } from "./submission-types.ts";
import { uuidv7 } from "./uuid7.ts";
import { waitingCount, waitingLinesLock } from "./waiting-line.ts";

export async function writeSubmissions(
  pool: pg.Pool,
  batch: readonly PreparedSubmission[],
): Promise<SubmissionOutcome[]> {
  // The waiting-line locks of every tenant in the batch travel with BEGIN.
  const locks = waitingLinesLock(batch.map((s) => s.tenant.id));
  return inTransaction(
    pool,
    async (tx) => {
      const counters = batch.map((s) =>
        countersFor({ tenantId: s.tenant.id, phaseId: s.phase?.phaseId ?? null }, utcDay(s.now), {
          tenantPerDay: s.tenant.submissionsPerDay,
          phasePerDay: s.phase?.dailyLimit ?? null,
          phaseTotal: s.phase?.totalLimit ?? null,
        }),
      );
      const state = await lockedState(tx, batch, counters.flat());
      const { decisions, accepted, charged } = decideSubmissions(batch, counters, state, (s) =>
        uuidv7(s.now.getTime()),
      );
      const rows = await createJobs(
        tx,
        accepted.map(({ id, submission: s }) => ({
          id,
          tenantId: s.tenant.id,
          submittedById: s.ctx.actor.userId,
          clientJobId: s.spec.clientJobId,
          taskType: s.spec.taskType,
          scorer: s.scorer,
          scorerParams: s.scorerParams,
          inputUri: s.inputUri,
          timeLimitSec: s.timeLimitSec,
          cpuMillis: s.spec.cpuMillis,
          memoryMb: s.spec.memoryMb,
          gpus: s.spec.gpus,
          container: s.spec.container,
          executorPreference: s.spec.executorPreference,
          priority: s.spec.priority,
          competitionId: s.phase?.competitionId ?? null,
          phaseId: s.phase?.phaseId ?? null,
          maxAttempts: s.maxAttempts,
          submittedAt: s.now,
          chargedOn: utcDay(s.now),
        })),
      );
      if (rows.size > 0) await auditAndCharge(tx, accepted, rows, charged);
      const repeats = await jobsById(
        tx,
        decisions.flatMap((d) => ("jobId" in d && !rows.has(d.jobId) ? [d.jobId] : [])),
      );
      return decisions.map((decision): SubmissionOutcome => {
        if ("error" in decision) return { error: decision.error };
        const job = rows.get(decision.jobId) ?? repeats.get(decision.jobId);
        // Missing only if a writer outside the waiting-line lock took the jobId meanwhile.
        return job ? { job } : { error: jobIdTaken() };
      });
    },
    { beginWith: locks },
  );
}

const LOCKED_STATE = prepared(
  "submission.locked-state",
  `WITH counters AS (
       INSERT INTO "SubmissionCounter" (scope, day, count)
       SELECT scope, day, 0 FROM unnest($1::text[], $2::date[]) WITH ORDINALITY AS c(scope, day, n)
       ORDER BY n
       ON CONFLICT (scope, day) DO UPDATE SET count = "SubmissionCounter".count
       RETURNING scope, to_char(day, 'YYYY-MM-DD') AS day, count)
     SELECT
       (SELECT coalesce(json_agg(c), '[]') FROM counters c) AS counters,
       (SELECT coalesce(json_agg(w), '[]') FROM (
          SELECT t AS "tenantId", (${waitingCount("t")}) AS count FROM unnest($3::uuid[]) AS t) w
       ) AS waiting,
       (SELECT coalesce(json_agg(j), '[]') FROM (
          SELECT j.id, j."tenantId", j."clientJobId", j."taskType", j.scorer, j.priority,
                 j."cpuMillis", j."memoryMb", j.gpus
          FROM "Job" j JOIN unnest($4::uuid[], $5::text[]) AS k(tenant, client)
            ON j."tenantId" = k.tenant AND j."clientJobId" = k.client) j
       ) AS stored`,
);

/**
 * Everything the decisions need, in one statement after the waiting-line locks (so that
 * its snapshot includes all that committed before them): every counter row the batch may
 * charge, locked (created at 0 when missing); the waiting count of each tenant; and the
 * jobs already stored under the batch's client jobIds.
 */
async function lockedState(
  tx: Sql,
  batch: readonly PreparedSubmission[],
  counters: readonly Counter[],
): Promise<LockedState> {
  // One global order of counter rows, so two batches never deadlock on them.
  const unique = [...new Map(counters.map((c) => [counterKey(c), c])).values()].sort((a, b) =>
    counterKey(a) < counterKey(b) ? -1 : 1,
  );
  const keyed = batch.filter((s) => s.spec.clientJobId !== null);
  const {
    rows: [state],
  } = await tx.query<{
    counters: Array<{ scope: string; day: string; count: number }>;
    waiting: Array<{ tenantId: string; count: number }>;
    stored: Array<Record<(typeof IDENTITY)[number] | "id" | "tenantId" | "clientJobId", unknown>>;
  }>(
    LOCKED_STATE([
      unique.map((c) => c.scope),
      unique.map((c) => c.day),
      [...new Set(batch.map((s) => s.tenant.id))],
      keyed.map((s) => s.tenant.id),
      keyed.map((s) => s.spec.clientJobId),
    ]),
  );
  return {
    counts: new Map((state?.counters ?? []).map((row) => [counterKey(row), row.count])),
    waiting: new Map((state?.waiting ?? []).map((row) => [row.tenantId, row.count])),
    taken: new Map(
      (state?.stored ?? []).map((row) => [
        clientKey(String(row.tenantId), String(row.clientJobId)) as string,
        { id: String(row.id), identity: JSON.stringify(IDENTITY.map((field) => row[field])) },
      ]),
    ),
  };
}

const AUDIT_AND_CHARGE = prepared(
  "submission.audit-and-charge",
  `WITH charged AS (
       UPDATE "SubmissionCounter" AS c SET count = c.count + t.n
       FROM unnest($7::text[], $8::date[], $9::int[]) AS t(scope, day, n)
       WHERE c.scope = t.scope AND c.day = t.day)
     INSERT INTO "AuditLog" (action, "tenantId", "targetType", "targetId", "actorUserId",
       "actorKeyId", "requestId", after)
     SELECT 'job.submit', tenant, 'Job', target, actor, key, request, after
     FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::jsonb[])
       AS a(tenant, target, actor, key, request, after)`,
);

/** One audit row per stored job (the job as `after`) and the counters charged, together. */
async function auditAndCharge(
  tx: Sql,
  jobs: ReadonlyArray<{ id: string; submission: PreparedSubmission }>,
  rows: ReadonlyMap<string, MovedJob>,
  charged: readonly Counter[],
): Promise<void> {
  const stored = jobs.flatMap(({ id, submission }) => {
    const row = rows.get(id);
    return row ? [{ ctx: submission.ctx, row }] : [];
  });
  const totals = new Map<string, { counter: Counter; n: number }>();
  for (const counter of charged) {
    const entry = totals.get(counterKey(counter)) ?? { counter, n: 0 };
    entry.n += 1;
    totals.set(counterKey(counter), entry);
  }
  const charges = [...totals.values()];
  await tx.query(
    AUDIT_AND_CHARGE([
      stored.map(({ row }) => row.tenantId),
      stored.map(({ row }) => row.id),
      stored.map(({ ctx }) => ctx.actor.userId),
      stored.map(({ ctx }) => ctx.actor.apiKeyId),
      stored.map(({ ctx }) => ctx.requestId),
      stored.map(({ row }) => {
        const { previousState: _p, eventId: _e, ...job } = row;
        return JSON.stringify(auditSnapshot(job));
      }),
      charges.map((c) => c.counter.scope),
      charges.map((c) => c.counter.day),
      charges.map((c) => c.n),
    ]),
  );
}

async function jobsById(tx: Sql, ids: readonly string[]): Promise<Map<string, JobRow>> {
  if (ids.length === 0) return new Map();
  const { rows } = await tx.query<JobRow>(`SELECT * FROM "Job" WHERE id = ANY($1::uuid[])`, [
    [...new Set(ids)],
  ]);
  return new Map(rows.map((row) => [row.id, row]));
}
