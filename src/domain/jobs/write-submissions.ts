// The transaction that writes a batch of checked submissions (submission-writer.ts batches
// them). Each job's row, first event and audit row, its submission counters and the
// scheduler's pg-boss wake-up commit together; a job over a limit is refused on its own
// while the others in its batch go through.
//
// Limits stay exact: the batch holds the waiting-line lock of every tenant in it and the
// row lock of every counter it charges, reads the counts under them, and decides job by job
// in arrival order, exactly as one transaction per job would.
import type pg from "pg";
import { prepared } from "../../db/prepared.ts";
import { publishMany } from "../../db/pubsub.ts";
import { inTransaction, type Sql } from "../../db/sql.ts";
import { auditSnapshot } from "../audit.ts";
import type { DomainContext } from "../context.ts";
import { type AppError, QuotaExceededError, ValidationError } from "../errors.ts";
import { type JobRow, jobColumns } from "./job-row.ts";
import { type Boss, wakeScheduler } from "./queues.ts";
import type { NormalizedSpec } from "./spec.ts";
import {
  type Counter,
  countersFor,
  ensureWaitingWithin,
  limitReached,
  utcDay,
  waitingCount,
  waitingLinesLock,
} from "./submission-counters.ts";
import type { PhaseRules, TenantQuota } from "./submission-target.ts";
import { jobStateEvents } from "./transitions.ts";
import { uuidv7 } from "./uuid7.ts";

/** A submission that passed every check that needs no lock, ready to be written. */
export interface PreparedSubmission {
  ctx: Pick<DomainContext, "actor" | "requestId">;
  spec: NormalizedSpec;
  tenant: TenantQuota;
  phase: PhaseRules | null;
  scorer: string;
  scorerParams: Record<string, unknown>;
  inputUri: string;
  timeLimitSec: number;
  maxAttempts: number;
  now: Date;
}

export type SubmissionOutcome = { job: JobRow } | { error: AppError };

/** Each submission ends as a job (new, or the one its jobId already names) or an error. */
type Decision = { jobId: string } | { error: AppError };

export async function writeSubmissions(
  pool: pg.Pool,
  boss: Boss,
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
      const { counts, waiting, taken } = await lockedState(tx, batch, counters.flat());

      // Decide job by job, in arrival order, as one transaction per job would have.
      const decisions: Decision[] = [];
      const accepted: Array<{ id: string; submission: PreparedSubmission }> = [];
      const charged: Counter[] = [];
      batch.forEach((submission, i) => {
        const key = clientKey(submission.tenant.id, submission.spec.clientJobId);
        const earlier = key ? taken.get(key) : undefined;
        if (earlier) {
          const same = earlier.identity === identityOf(submission);
          decisions.push(same ? { jobId: earlier.id } : { error: jobIdTaken() });
          return;
        }
        const mine = counters[i] ?? [];
        const error = refusal(submission, mine, counts, waiting);
        if (error) {
          decisions.push({ error });
          return;
        }
        for (const counter of mine)
          counts.set(counterKey(counter), (counts.get(counterKey(counter)) ?? 0) + 1);
        waiting.set(submission.tenant.id, (waiting.get(submission.tenant.id) ?? 0) + 1);
        const id = uuidv7(submission.now.getTime());
        if (key) taken.set(key, { id, identity: identityOf(submission) });
        accepted.push({ id, submission });
        charged.push(...mine);
        decisions.push({ jobId: id });
      });

      const rows = await insertJobs(tx, accepted);
      if (rows.size > 0) {
        await auditAndCharge(tx, accepted, rows, charged);
        await wakeScheduler(boss, tx);
        await publishMany(
          tx,
          [...rows.values()].flatMap((row) => jobStateEvents(row, null)),
        );
      }
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

const clientKey = (tenantId: string, clientJobId: string | null): string | null =>
  clientJobId === null ? null : `${tenantId}\u0000${clientJobId}`;

const counterKey = (c: Pick<Counter, "scope" | "day">): string => `${c.scope}\u0000${c.day}`;

const jobIdTaken = () =>
  new ValidationError([
    { field: "jobId", message: "already used by this tenant for a different job" },
  ]);

/**
 * What a repeated client jobId must match to count as the same submission (the rest, such
 * as the input, may legitimately be re-sent differently).
 */
const IDENTITY = ["taskType", "scorer", "priority", "cpuMillis", "memoryMb", "gpus"] as const;

function identityOf(s: PreparedSubmission): string {
  const values: Record<(typeof IDENTITY)[number], unknown> = { ...s.spec, scorer: s.scorer };
  return JSON.stringify(IDENTITY.map((field) => values[field]));
}

/** Why this submission cannot be taken now, given what the batch took before it. */
function refusal(
  submission: PreparedSubmission,
  counters: readonly Counter[],
  counts: Map<string, number>,
  waiting: Map<string, number>,
): AppError | null {
  const { tenant } = submission;
  try {
    ensureWaitingWithin((waiting.get(tenant.id) ?? 0) + 1, tenant.maxQueuedJobs);
  } catch (error) {
    if (error instanceof QuotaExceededError) return error;
    throw error;
  }
  for (const counter of counters) {
    if (counter.limit !== null && (counts.get(counterKey(counter)) ?? 0) + 1 > counter.limit)
      return limitReached(counter, submission.now);
  }
  return null;
}

interface LockedState {
  /** Counter values by counterKey, the rows locked until commit. */
  counts: Map<string, number>;
  /** Waiting jobs per tenant (the caller holds their waiting-line locks). */
  waiting: Map<string, number>;
  /** Jobs already stored under a client jobId of the batch, by clientKey. */
  taken: Map<string, { id: string; identity: string }>;
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

const INSERT_JOBS = prepared(
  "submission.insert-jobs",
  `WITH job AS (
       INSERT INTO "Job" (id, "tenantId", "submittedById", "clientJobId", state, "taskType",
         scorer, "scorerParams", "inputUri", "timeLimitSec", "cpuMillis", "memoryMb", gpus,
         container, "executorPreference", priority, "competitionId", "phaseId", "maxAttempts",
         "submittedAt", "chargedOn")
       SELECT id, tenant, submitter, client, 'PENDING', task, scorer, params, input, seconds,
         cpu, memory, gpus, container, preference, priority, competition, phase, attempts,
         submitted, charged
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
         $7::jsonb[], $8::text[], $9::int[], $10::int[], $11::int[], $12::int[], $13::jsonb[],
         $14::"ExecutorKind"[], $15::int[], $16::uuid[], $17::uuid[], $18::int[],
         $19::timestamp[], $20::date[])
         AS j(id, tenant, submitter, client, task, scorer, params, input, seconds, cpu, memory,
           gpus, container, preference, priority, competition, phase, attempts, submitted,
           charged)
       ON CONFLICT ("tenantId", "clientJobId") DO NOTHING
       RETURNING ${jobColumns()}),
     event AS (
       INSERT INTO "JobEvent" ("jobId", attempt, "fromState", "toState", message)
       SELECT id, 0, NULL, 'PENDING', 'submitted' FROM job)
     SELECT * FROM job`,
);

/** The jobs and their first events; the stored rows by id. */
async function insertJobs(
  tx: Sql,
  jobs: ReadonlyArray<{ id: string; submission: PreparedSubmission }>,
): Promise<Map<string, JobRow>> {
  if (jobs.length === 0) return new Map();
  const column = <T>(pick: (s: PreparedSubmission) => T) => jobs.map((j) => pick(j.submission));
  const { rows } = await tx.query<JobRow>(
    INSERT_JOBS([
      jobs.map((j) => j.id),
      column((s) => s.tenant.id),
      column((s) => s.ctx.actor?.userId ?? null),
      column((s) => s.spec.clientJobId),
      column((s) => s.spec.taskType),
      column((s) => s.scorer),
      column((s) => JSON.stringify(s.scorerParams)),
      column((s) => s.inputUri),
      column((s) => s.timeLimitSec),
      column((s) => s.spec.cpuMillis),
      column((s) => s.spec.memoryMb),
      column((s) => s.spec.gpus),
      column((s) => (s.spec.container ? JSON.stringify(s.spec.container) : null)),
      column((s) => s.spec.executorPreference),
      column((s) => s.spec.priority),
      column((s) => s.phase?.competitionId ?? null),
      column((s) => s.phase?.phaseId ?? null),
      column((s) => s.maxAttempts),
      // UTC wall time, as every TIMESTAMP column holds (src/db/timestamps.ts).
      column((s) => s.now.toISOString()),
      column((s) => utcDay(s.now)),
    ]),
  );
  return new Map(rows.map((row) => [row.id, row]));
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
  rows: Map<string, JobRow>,
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
      stored.map(({ ctx }) => ctx.actor?.userId ?? null),
      stored.map(({ ctx }) => ctx.actor?.apiKeyId ?? null),
      stored.map(({ ctx }) => ctx.requestId),
      stored.map(({ row }) => JSON.stringify(auditSnapshot(row))),
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
