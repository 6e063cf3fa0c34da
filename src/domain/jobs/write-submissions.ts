// Writes submissions that arrive together in one transaction (a group commit). Each job's
// row, first event and audit row, its submission counters and the scheduler's pg-boss
// wake-up commit together; a job over a limit is refused on its own while the others in its
// batch go through. Under load this is what lets a submission cost a fraction of a commit
// and a handful of round trips shared with its batch, instead of ten of its own
// (BENCHMARKS.md, Scheduler). An idle platform writes each submission as soon as it comes.
//
// Limits stay exact: the batch holds the waiting-line lock of every tenant in it and the row
// lock of every counter it charges, counts and charges under them, and decides job by job
// in arrival order, exactly as one transaction per job would.
import type pg from "pg";
import { createBatcher } from "../../db/batcher.ts";
import { inTransaction, type Sql } from "../../db/sql.ts";
import { auditSnapshot } from "../audit.ts";
import type { DomainContext } from "../context.ts";
import { AppError, QuotaExceededError, ValidationError } from "../errors.ts";
import type { JobRow } from "./job-row.ts";
import { type Boss, wakeScheduler } from "./queues.ts";
import type { NormalizedSpec } from "./spec.ts";
import {
  type Counter,
  countersFor,
  countWaitingOf,
  ensureWaitingWithin,
  limitReached,
  lockWaitingLines,
  utcDay,
} from "./submission-counters.ts";
import {
  type PhaseRules,
  submissionTenants,
  type TenantQuota,
  type TenantRequest,
} from "./submission-target.ts";
import { publishJobState } from "./transitions.ts";
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

type SubmissionOutcome = { job: JobRow } | { error: AppError };

/**
 * The two steps of a submission that touch the database, each shared by the submissions
 * that arrive together: finding the tenant, and writing the job.
 */
export interface SubmissionWriter {
  /** The tenant a submission is for, checked (role, suspension); throws the refusal. */
  tenantFor(request: TenantRequest): Promise<TenantQuota>;
  /** Writes a checked submission; throws the limit or jobId conflict that refuses it. */
  write(submission: PreparedSubmission): Promise<JobRow>;
}

/** Batches of at most this many submissions; a burst larger than that takes several. */
const MAX_BATCH = 128;

export function createSubmissionWriter(pool: pg.Pool, boss: Boss): SubmissionWriter {
  // One batch in the database while the next one gathers: an idle platform sends each
  // submission at once, a busy one in batches as large as the load.
  const options = { maxItems: MAX_BATCH, maxDelayMs: 0, maxInFlight: 1 };
  const tenants = createBatcher(
    (batch: TenantRequest[]) => submissionTenants(pool, batch),
    options,
  );
  const jobs = createBatcher(
    (batch: PreparedSubmission[]) => writeSubmissions(pool, boss, batch),
    options,
  );
  return {
    async tenantFor(request) {
      const tenant = await tenants.add(request);
      if (tenant instanceof AppError) throw tenant;
      return tenant;
    },
    async write(submission) {
      const outcome = await jobs.add(submission);
      if ("error" in outcome) throw outcome.error;
      return outcome.job;
    },
  };
}

async function writeSubmissions(
  pool: pg.Pool,
  boss: Boss,
  batch: PreparedSubmission[],
): Promise<SubmissionOutcome[]> {
  return inTransaction(pool, async (tx) => {
    await lockWaitingLines(
      tx,
      batch.map((s) => s.tenant.id),
    );
    const counters = batch.map((s) =>
      countersFor({ tenantId: s.tenant.id, phaseId: s.phase?.phaseId ?? null }, utcDay(s.now), {
        tenantPerDay: s.tenant.submissionsPerDay,
        phasePerDay: s.phase?.dailyLimit ?? null,
        phaseTotal: s.phase?.totalLimit ?? null,
      }),
    );
    const counts = await lockCounters(tx, counters.flat());
    const waiting = await countWaitingOf(
      tx,
      batch.map((s) => s.tenant.id),
    );
    const stored = await storedUnderClientIds(tx, batch);

    // Decide job by job, in arrival order, as one transaction per job would have.
    const decisions: Decision[] = [];
    const taken = new Map<string, { id: string; identity: string }>(stored);
    const accepted: Array<{ id: string; submission: PreparedSubmission }> = [];
    const charged: Counter[] = [];
    batch.forEach((submission, i) => {
      const key = clientKey(submission);
      const earlier = key ? taken.get(key) : undefined;
      if (earlier) {
        decisions.push(
          earlier.identity === identity(submission)
            ? { sameAs: earlier.id }
            : { error: jobIdTaken() },
        );
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
      if (key) taken.set(key, { id, identity: identity(submission) });
      accepted.push({ id, submission });
      charged.push(...mine);
      decisions.push({ sameAs: id });
    });

    const rows = await insertJobs(tx, accepted);
    if (rows.size > 0) {
      await recordSubmissionAudits(tx, accepted, rows);
      await chargeCounters(tx, charged);
      await wakeScheduler(boss, tx);
      for (const row of rows.values()) await publishJobState(tx, row, null);
    }
    const repeats = await jobsById(
      tx,
      decisions.flatMap((d) => ("sameAs" in d && !rows.has(d.sameAs) ? [d.sameAs] : [])),
    );
    return decisions.map((decision): SubmissionOutcome => {
      if ("error" in decision) return { error: decision.error };
      const job = rows.get(decision.sameAs) ?? repeats.get(decision.sameAs);
      // Missing only if a writer outside the waiting-line lock took the jobId meanwhile.
      return job ? { job } : { error: jobIdTaken() };
    });
  });
}

/** Each submission ends as a job (new or the one its jobId already names) or an error. */
type Decision = { sameAs: string } | { error: AppError };

const clientKey = (s: PreparedSubmission): string | null =>
  s.spec.clientJobId === null ? null : `${s.tenant.id}\u0000${s.spec.clientJobId}`;

const counterKey = (c: Pick<Counter, "scope" | "day">): string => `${c.scope}\u0000${c.day}`;

const jobIdTaken = () =>
  new ValidationError([
    { field: "jobId", message: "already used by this tenant for a different job" },
  ]);

/** Why this submission cannot be taken now, given what the batch took before it. */
function refusal(
  submission: PreparedSubmission,
  counters: readonly Counter[],
  counts: Map<string, number>,
  waiting: Map<string, number>,
): AppError | null {
  try {
    ensureWaitingWithin(
      (waiting.get(submission.tenant.id) ?? 0) + 1,
      submission.tenant.maxQueuedJobs,
    );
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

/** Locks every counter row the batch may charge (creating missing ones) and reads it. */
async function lockCounters(tx: Sql, counters: readonly Counter[]): Promise<Map<string, number>> {
  const unique = [...new Map(counters.map((c) => [counterKey(c), c])).values()].sort((a, b) =>
    counterKey(a) < counterKey(b) ? -1 : 1,
  );
  const { rows } = await tx.query<{ scope: string; day: string; count: number }>(
    `INSERT INTO "SubmissionCounter" (scope, day, count)
     SELECT scope, day, 0 FROM unnest($1::text[], $2::date[]) WITH ORDINALITY AS c(scope, day, n)
     ORDER BY n
     ON CONFLICT (scope, day) DO UPDATE SET count = "SubmissionCounter".count
     RETURNING scope, to_char(day, 'YYYY-MM-DD') AS day, count`,
    [unique.map((c) => c.scope), unique.map((c) => c.day)],
  );
  return new Map(rows.map((row) => [counterKey(row), row.count]));
}

async function chargeCounters(tx: Sql, charged: readonly Counter[]): Promise<void> {
  const totals = new Map<string, { counter: Counter; n: number }>();
  for (const counter of charged) {
    const entry = totals.get(counterKey(counter)) ?? { counter, n: 0 };
    entry.n += 1;
    totals.set(counterKey(counter), entry);
  }
  const entries = [...totals.values()];
  await tx.query(
    `UPDATE "SubmissionCounter" AS c SET count = c.count + t.n
     FROM unnest($1::text[], $2::date[], $3::int[]) AS t(scope, day, n)
     WHERE c.scope = t.scope AND c.day = t.day`,
    [
      entries.map((e) => e.counter.scope),
      entries.map((e) => e.counter.day),
      entries.map((e) => e.n),
    ],
  );
}

/**
 * What a repeated client jobId must match to count as the same submission (the rest, such
 * as the input, may legitimately be re-sent differently).
 */
const identity = (s: PreparedSubmission): string =>
  JSON.stringify([
    s.spec.taskType,
    s.scorer,
    s.spec.priority,
    s.spec.cpuMillis,
    s.spec.memoryMb,
    s.spec.gpus,
  ]);

const rowIdentity = (row: JobRow): string =>
  JSON.stringify([row.taskType, row.scorer, row.priority, row.cpuMillis, row.memoryMb, row.gpus]);

/** Jobs already stored under the batch's client jobIds, by tenant and jobId. */
async function storedUnderClientIds(
  tx: Sql,
  batch: readonly PreparedSubmission[],
): Promise<Map<string, { id: string; identity: string }>> {
  const keyed = batch.filter((s) => s.spec.clientJobId !== null);
  if (keyed.length === 0) return new Map();
  const { rows } = await tx.query<JobRow>(
    `SELECT j.* FROM "Job" j JOIN unnest($1::uuid[], $2::text[]) AS k(tenant, client)
       ON j."tenantId" = k.tenant AND j."clientJobId" = k.client`,
    [keyed.map((s) => s.tenant.id), keyed.map((s) => s.spec.clientJobId)],
  );
  return new Map(
    rows.map((row) => [
      `${row.tenantId}\u0000${row.clientJobId}`,
      { id: row.id, identity: rowIdentity(row) },
    ]),
  );
}

/** The jobs and their first events; the stored rows by id. */
async function insertJobs(
  tx: Sql,
  jobs: ReadonlyArray<{ id: string; submission: PreparedSubmission }>,
): Promise<Map<string, JobRow>> {
  if (jobs.length === 0) return new Map();
  const column = <T>(pick: (s: PreparedSubmission) => T) => jobs.map((j) => pick(j.submission));
  const { rows } = await tx.query<JobRow>(
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
       RETURNING *),
     event AS (
       INSERT INTO "JobEvent" ("jobId", attempt, "fromState", "toState", message)
       SELECT id, 0, NULL, 'PENDING', 'submitted' FROM job)
     SELECT * FROM job`,
    [
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
      column((s) => s.now.toISOString()),
      column((s) => utcDay(s.now)),
    ],
  );
  return new Map(rows.map((row) => [row.id, row]));
}

/** One audit row per stored job, with the job as `after`. */
async function recordSubmissionAudits(
  tx: Sql,
  jobs: ReadonlyArray<{ id: string; submission: PreparedSubmission }>,
  rows: Map<string, JobRow>,
): Promise<void> {
  const stored = jobs.flatMap(({ id, submission }) => {
    const row = rows.get(id);
    return row ? [{ ctx: submission.ctx, row }] : [];
  });
  await tx.query(
    `INSERT INTO "AuditLog" (action, "tenantId", "targetType", "targetId", "actorUserId",
       "actorKeyId", "requestId", after)
     SELECT 'job.submit', tenant, 'Job', target, actor, key, request, after
     FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::jsonb[])
       AS a(tenant, target, actor, key, request, after)`,
    [
      stored.map(({ row }) => row.tenantId),
      stored.map(({ row }) => row.id),
      stored.map(({ ctx }) => ctx.actor?.userId ?? null),
      stored.map(({ ctx }) => ctx.actor?.apiKeyId ?? null),
      stored.map(({ ctx }) => ctx.requestId),
      stored.map(({ row }) => JSON.stringify(auditSnapshot(row))),
    ],
  );
}

async function jobsById(tx: Sql, ids: readonly string[]): Promise<Map<string, JobRow>> {
  if (ids.length === 0) return new Map();
  const { rows } = await tx.query<JobRow>(`SELECT * FROM "Job" WHERE id = ANY($1::uuid[])`, [
    [...new Set(ids)],
  ]);
  return new Map(rows.map((row) => [row.id, row]));
}
