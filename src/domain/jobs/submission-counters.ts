// Exact submission limits. Each limit is a counter row per scope and UTC day; charging a
// job increments every counter it falls under in the submitting transaction, and a counter
// above its limit aborts that transaction. The row lock serialises only submissions that
// share a counter, so 100 simultaneous submits against a limit of 5 accept exactly 5.
//
// The other submission limit, the tenant's waiting jobs, is counted from the jobs
// themselves (waiting-line.ts).
//
// Which job states count is each competition's rule (`countedStates`); jobs outside a
// competition count in the states lifecycle.ts marks counted (all but CANCELLED). A job
// that moves to a state that does not count is refunded (lifecycle.ts), and charged again
// if it is retried.

import type { Sql } from "../../db/sql.ts";
import { DailyLimitReachedError } from "../errors.ts";

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

/** Gives back the submissions of jobs charged on their `chargedOn` day, in one statement. */
export async function refundSubmissions(
  tx: Sql,
  jobs: ReadonlyArray<ChargeTarget & { chargedOn: Date | null }>,
): Promise<void> {
  const totals = new Map<string, { scope: string; day: string; n: number }>();
  for (const job of jobs) {
    if (!job.chargedOn) continue;
    for (const counter of countersFor(job, utcDay(job.chargedOn))) {
      const key = `${counter.scope}\u0000${counter.day}`;
      const entry = totals.get(key) ?? { scope: counter.scope, day: counter.day, n: 0 };
      entry.n += 1;
      totals.set(key, entry);
    }
  }
  if (totals.size === 0) return;
  const rows = [...totals.values()];
  await tx.query(
    `UPDATE "SubmissionCounter" AS c SET count = GREATEST(c.count - r.n, 0)
     FROM unnest($1::text[], $2::date[], $3::int[]) AS r(scope, day, n)
     WHERE c.scope = r.scope AND c.day = r.day`,
    [rows.map((r) => r.scope), rows.map((r) => r.day), rows.map((r) => r.n)],
  );
}

/** Current counts for the scopes of `target` on `at`'s day (0 when none yet). */
export async function readCounts(
  sql: Sql,
  target: ChargeTarget,
  at: Date,
): Promise<{ tenantToday: number; phaseToday: number; phaseTotal: number }> {
  const counters = countersFor(target, utcDay(at));
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
  };
}
