// Exact submission limits. Each limit is a counter row per scope and UTC day; charging a
// job increments every counter it falls under in the submitting transaction, and a counter
// above its limit aborts that transaction. The tenant's waiting jobs (PENDING, bounded by
// maxQueuedJobs) are one more counter, kept by the transitions in and out of PENDING and,
// for a whole pass at once, by admission. The row lock serialises only submissions that
// share a counter, so 100 simultaneous submits against a limit of 5 accept exactly 5.
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

interface Counter {
  scope: string;
  day: string;
  limit: number | null;
  label: string;
}

/**
 * States in which a job waits for admission and counts against maxQueuedJobs. QUEUED is
 * not one: a queued job already holds its share of the concurrency quota, and leaving it
 * out keeps this counter out of every worker transaction (a hot row there would serialise
 * every job start and finish of a tenant).
 */
export const WAITING_STATES: readonly JobState[] = ["PENDING"];

/** UTC calendar day of `at` as YYYY-MM-DD. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** When the daily window that contains `at` closes: the next UTC midnight. */
export function dailyResetAt(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1));
}

export const tenantScope = (tenantId: string): string => `tenant:${tenantId}`;
export const phaseScope = (phaseId: string, tenantId: string): string =>
  `phase:${phaseId}:tenant:${tenantId}`;
export const queuedScope = (tenantId: string): string => `queued:${tenantId}`;
export const phaseTotalScope = (phaseId: string, tenantId: string): string =>
  `phase-total:${phaseId}:tenant:${tenantId}`;

function countersFor(target: ChargeTarget, day: string, limits?: Limits): Counter[] {
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
 * (the caller's transaction then rolls back, taking the increment with it). With
 * `maxWaiting`, the job also joins the tenant's waiting count in the same statement, and
 * QUOTA_EXCEEDED is thrown above it: one round trip while the counter rows are locked.
 */
export async function chargeSubmission(
  tx: Sql,
  target: ChargeTarget,
  limits: Limits,
  at: Date,
  maxWaiting?: number,
): Promise<void> {
  const waiting: Counter = {
    scope: queuedScope(target.tenantId),
    day: TOTAL_DAY,
    limit: null,
    label: "",
  };
  const counters = sortedByScope([
    ...countersFor(target, utcDay(at), limits),
    ...(maxWaiting === undefined ? [] : [waiting]),
  ]);
  const { rows } = await tx.query<{ scope: string; count: number }>(
    `INSERT INTO "SubmissionCounter" (scope, day, count)
     SELECT scope, day, 1 FROM unnest($1::text[], $2::date[]) AS c(scope, day)
     ON CONFLICT (scope, day) DO UPDATE SET count = "SubmissionCounter".count + 1
     RETURNING scope, count`,
    [counters.map((c) => c.scope), counters.map((c) => c.day)],
  );
  if (maxWaiting !== undefined) {
    ensureWaitingWithin(rows.find((row) => row.scope === waiting.scope)?.count ?? 0, maxWaiting);
  }
  for (const counter of counters) {
    const count = rows.find((row) => row.scope === counter.scope)?.count ?? 0;
    if (counter.limit !== null && count > counter.limit) {
      const resetsAt = counter.day === TOTAL_DAY ? null : dailyResetAt(at);
      throw new DailyLimitReachedError(counter.limit, resetsAt, counter.label);
    }
  }
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

/**
 * Adds `delta` to the tenant's waiting-jobs counter (a job entered or left PENDING/QUEUED)
 * and returns the new count. The row lock makes a following limit check exact.
 */
export async function adjustWaiting(tx: Sql, tenantId: string, delta: number): Promise<number> {
  const { rows } = await tx.query<{ count: number }>(
    `INSERT INTO "SubmissionCounter" (scope, day, count) VALUES ($1, $2::date, GREATEST($3, 0))
     ON CONFLICT (scope, day) DO UPDATE SET count = GREATEST("SubmissionCounter".count + $3, 0)
     RETURNING count`,
    [queuedScope(tenantId), TOTAL_DAY, delta],
  );
  return rows[0]?.count ?? 0;
}

/** Takes admitted jobs off their tenants' waiting counters, one statement for a whole pass. */
export async function admitWaiting(tx: Sql, tenantIds: readonly string[]): Promise<void> {
  if (tenantIds.length === 0) return;
  await tx.query(
    `UPDATE "SubmissionCounter" AS c SET count = GREATEST(c.count - a.n, 0)
     FROM (SELECT scope, count(*)::int AS n FROM unnest($1::text[]) AS scope GROUP BY scope) AS a
     WHERE c.scope = a.scope AND c.day = $2::date`,
    [tenantIds.map(queuedScope), TOTAL_DAY],
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
  const counters = [
    ...countersFor(target, utcDay(at)),
    { scope: queuedScope(target.tenantId), day: TOTAL_DAY, limit: null, label: "" },
  ];
  const { rows } = await sql.query<{ scope: string; count: number }>(
    `SELECT c.scope, c.count FROM "SubmissionCounter" c
     JOIN unnest($1::text[], $2::date[]) AS r(scope, day) ON c.scope = r.scope AND c.day = r.day`,
    [counters.map((c) => c.scope), counters.map((c) => c.day)],
  );
  const count = (scope: string) => rows.find((row) => row.scope === scope)?.count ?? 0;
  return {
    tenantToday: count(tenantScope(target.tenantId)),
    phaseToday: target.phaseId ? count(phaseScope(target.phaseId, target.tenantId)) : 0,
    phaseTotal: target.phaseId ? count(phaseTotalScope(target.phaseId, target.tenantId)) : 0,
    waiting: count(queuedScope(target.tenantId)),
  };
}
