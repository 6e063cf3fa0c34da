// Exact submission limits. Each limit is a counter row per scope and UTC day; charging a
// job increments every counter it falls under in the submitting transaction, and a counter
// above its limit aborts that transaction. The row lock serialises only submissions that
// share a counter, so 100 simultaneous submits against a limit of 5 accept exactly 5.
//
// The tenant's waiting jobs (PENDING, bounded by maxQueuedJobs) are counted, not kept: a
// counter there would be written by every admission pass as well as every submission, and
// the two would queue behind each other's row locks (it halved end-to-end throughput).
// Jobs only join the line through a submission or a retry, which take the tenant's
// waiting-line lock and count after it; admission only shortens the line and takes nothing.
//
// Which job states count is each competition's rule (`countedStates`); jobs outside a
// competition count in every state but CANCELLED. A job that moves to a state that does
// not count is refunded (see transitions.ts), and charged again if it is retried.

import type { Sql } from "../../db/sql.ts";
import type { JobState } from "../../generated/prisma/enums.ts";
import { DailyLimitReachedError, QuotaExceededError } from "../errors.ts";

export const DEFAULT_COUNTED_STATES: readonly JobState[] = [
  "PENDING",
  "QUEUED",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
];

/** Total (not daily) limits live on this fixed day. */
const TOTAL_DAY = "1970-01-01";

export interface ChargeTarget {
  tenantId: string;
  phaseId: string | null;
}

export interface Limits {
  tenantPerDay: number;
  phasePerDay: number | null;
  phaseTotal: number | null;
}

export interface Counter {
  scope: string;
  day: string;
  limit: number | null;
  /** Names the limit in DAILY_LIMIT_REACHED messages. */
  label: string;
}

/** UTC calendar day of `at` as YYYY-MM-DD. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** When the daily window that contains `at` closes: the next UTC midnight. */
export function dailyResetAt(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1));
}

export const tenantScope = (tenantId: string): string => `tenant:${tenantId}`;
export const phaseScope = (phaseId: string, tenantId: string): string =>
  `phase:${phaseId}:tenant:${tenantId}`;
export const phaseTotalScope = (phaseId: string, tenantId: string): string =>
  `phase-total:${phaseId}:tenant:${tenantId}`;

/** The counters one submission on `day` is charged to, in their global lock order. */
export function countersFor(target: ChargeTarget, day: string, limits?: Limits): Counter[] {
  return sortedByScope(dailyCounters(target, day, limits));
}

function dailyCounters(target: ChargeTarget, day: string, limits?: Limits): Counter[] {
  const counters: Counter[] = [
    {
      scope: tenantScope(target.tenantId),
      day,
      limit: limits?.tenantPerDay ?? null,
      label: "this tenant today",
    },
  ];
  if (target.phaseId) {
    counters.push(
      {
        scope: phaseScope(target.phaseId, target.tenantId),
        day,
        limit: limits?.phasePerDay ?? null,
        label: "this phase today",
      },
      {
        scope: phaseTotalScope(target.phaseId, target.tenantId),
        day: TOTAL_DAY,
        limit: limits?.phaseTotal ?? null,
        label: "this phase in total",
      },
    );
  }
  return counters;
}

// One global order of counter rows, so two charging transactions never deadlock.
const sortedByScope = (counters: Counter[]): Counter[] =>
  counters.sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));

/**
 * Charges one submission on `at`'s day; throws DAILY_LIMIT_REACHED when a limit is hit
 * (the caller's transaction then rolls back, taking the increment with it). Submissions
 * charge in batches (write-submissions.ts); this is for a single job coming back (retry).
 */
export async function chargeSubmission(
  tx: Sql,
  target: ChargeTarget,
  limits: Limits,
  at: Date,
): Promise<void> {
  const counters = countersFor(target, utcDay(at), limits);
  const { rows } = await tx.query<{ scope: string; count: number }>(
    `INSERT INTO "SubmissionCounter" (scope, day, count)
     SELECT scope, day, 1 FROM unnest($1::text[], $2::date[]) AS c(scope, day)
     ON CONFLICT (scope, day) DO UPDATE SET count = "SubmissionCounter".count + 1
     RETURNING scope, count`,
    [counters.map((c) => c.scope), counters.map((c) => c.day)],
  );
  for (const counter of counters) {
    const count = rows.find((row) => row.scope === counter.scope)?.count ?? 0;
    if (counter.limit !== null && count > counter.limit) throw limitReached(counter, at);
  }
}

/** The error for a submission on `at` that `counter` has no room for. */
export function limitReached(counter: Counter, at: Date): DailyLimitReachedError {
  const resetsAt = counter.day === TOTAL_DAY ? null : dailyResetAt(at);
  return new DailyLimitReachedError(counter.limit ?? 0, resetsAt, counter.label);
}

/**
 * The tenant's jobs waiting for admission (PENDING; a QUEUED job already holds its share of
 * the concurrency quota), with the tenant id in parameter `param`.
 */
export const waitingCount = (param: string) =>
  `SELECT count(*)::int AS count FROM "Job" WHERE "tenantId" = ${param}::uuid AND state = 'PENDING'`;

/**
 * Takes the tenants' waiting-line locks until the transaction ends, in one global order so
 * two callers never deadlock. Whoever adds a job to a tenant's line (submission, retry)
 * holds its lock while counting the line, so two of them never both see the last free
 * place; the count must come in a later statement than the lock, so that its snapshot
 * includes everything committed before the lock was granted.
 */
export async function lockWaitingLines(tx: Sql, tenantIds: readonly string[]): Promise<void> {
  await tx.query(waitingLinesLock(tenantIds));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The statement that takes the waiting-line locks of `tenantIds`, with the ids written in
 * as literals (checked to be UUIDs), so that it can travel with BEGIN (inTransaction's
 * `beginWith`) and cost no round trip of its own.
 */
export function waitingLinesLock(tenantIds: readonly string[]): string {
  const ids = [...new Set(tenantIds)].sort();
  for (const id of ids) if (!UUID.test(id)) throw new Error(`not a tenant id: ${id}`);
  return `SELECT pg_advisory_xact_lock(hashtextextended('waiting-line:' || id, 0))
            FROM unnest('{${ids.join(",")}}'::text[]) WITH ORDINALITY AS k(id, n) ORDER BY n`;
}

/** The tenant's waiting jobs, for a caller holding its waiting-line lock or only reporting. */
export async function countWaiting(sql: Sql, tenantId: string): Promise<number> {
  const { rows } = await sql.query<{ count: number }>(waitingCount("$1"), [tenantId]);
  return rows[0]?.count ?? 0;
}

/** Gives back the submission a job was charged on `chargedOn`. */
export async function refundSubmission(
  tx: Sql,
  target: ChargeTarget,
  chargedOn: Date,
): Promise<void> {
  const counters = countersFor(target, utcDay(chargedOn));
  await tx.query(
    `UPDATE "SubmissionCounter" AS c SET count = GREATEST(c.count - 1, 0)
     FROM unnest($1::text[], $2::date[]) AS r(scope, day)
     WHERE c.scope = r.scope AND c.day = r.day`,
    [counters.map((c) => c.scope), counters.map((c) => c.day)],
  );
}

/** Throws QUOTA_EXCEEDED when `waiting` (after adding a job) is above maxQueuedJobs. */
export function ensureWaitingWithin(waiting: number, maxQueuedJobs: number): void {
  if (waiting > maxQueuedJobs) {
    throw new QuotaExceededError(
      `this tenant already has ${maxQueuedJobs} jobs waiting (maxQueuedJobs)`,
      { limit: "maxQueuedJobs", value: maxQueuedJobs },
    );
  }
}

/** Current counts for the scopes of `target` on `at`'s day (0 when none yet). */
export async function readCounts(
  sql: Sql,
  target: ChargeTarget,
  at: Date,
): Promise<{ tenantToday: number; phaseToday: number; phaseTotal: number; waiting: number }> {
  const counters = countersFor(target, utcDay(at));
  const { rows } = await sql.query<{ scope: string; count: number }>(
    `SELECT c.scope, c.count FROM "SubmissionCounter" c
     JOIN unnest($1::text[], $2::date[]) AS r(scope, day) ON c.scope = r.scope AND c.day = r.day
     UNION ALL SELECT 'waiting', (${waitingCount("$3")})`,
    [counters.map((c) => c.scope), counters.map((c) => c.day), target.tenantId],
  );
  const count = (scope: string) => rows.find((row) => row.scope === scope)?.count ?? 0;
  return {
    tenantToday: count(tenantScope(target.tenantId)),
    phaseToday: target.phaseId ? count(phaseScope(target.phaseId, target.tenantId)) : 0,
    phaseTotal: target.phaseId ? count(phaseTotalScope(target.phaseId, target.tenantId)) : 0,
    waiting: count("waiting"),
  };
}
