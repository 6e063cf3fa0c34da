// quotaUsage: what a tenant has used and has left, and when each window reopens, so a
// team never has to guess why a submission was refused or is still waiting.
import type { Sql } from "../../db/sql.ts";
import type { JobState } from "../../generated/prisma/enums.ts";
import { type DomainContext, nowOf } from "../context.ts";
import { NotFoundError } from "../errors.ts";
import { canSeeTenant, requireAuthenticated } from "../principal.ts";
import { DEFAULT_COUNTED_STATES, PLACED_STATES, sqlStates } from "./lifecycle.ts";
import { dailyResetAt, readCounts } from "./submission-counters.ts";
import { submissionPhase } from "./submission-target.ts";
import { countWaiting } from "./waiting-line.ts";

export interface PhaseUsage {
  competition: string;
  phase: string;
  countedStates: readonly JobState[];
  dailyLimit: number | null;
  usedToday: number;
  remainingToday: number | null;
  totalLimit: number | null;
  usedTotal: number;
  remainingTotal: number | null;
  resetsAt: Date;
}

export interface QuotaUsage {
  tenantId: string;
  tenant: string;
  submissionsPerDay: number;
  submissionsToday: number;
  remainingToday: number;
  resetsAt: Date;
  waitingJobs: number;
  maxQueuedJobs: number;
  runningJobs: number;
  maxConcurrentJobs: number;
  cpuMillisInUse: number;
  cpuMillis: number;
  memoryMbInUse: number;
  memoryMb: number;
  gpusInUse: number;
  gpus: number;
  maxJobSeconds: number;
  countedStates: readonly JobState[];
  phase: PhaseUsage | null;
}

interface UsageRow {
  id: string;
  slug: string;
  maxConcurrentJobs: number;
  maxQueuedJobs: number;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  submissionsPerDay: number;
  maxJobSeconds: number;
  runningJobs: number;
  cpuMillisInUse: number;
  memoryMbInUse: number;
  gpusInUse: number;
}

const remaining = (limit: number | null, used: number) =>
  limit === null ? null : Math.max(limit - used, 0);

export async function quotaUsage(
  ctx: DomainContext,
  tenantSlug: string | null,
  competition: { slug: string; phase: string | null } | null,
): Promise<QuotaUsage> {
  const actor = requireAuthenticated(ctx.actor);
  const usage = await readQuotaUsage(
    ctx.db.pool,
    tenantSlug ? { slug: tenantSlug } : { id: actor.tenantId ?? "" },
    competition,
    nowOf(ctx),
  );
  // Another tenant's usage answers exactly like a tenant that does not exist.
  if (!usage || !canSeeTenant(actor, usage.tenantId)) {
    throw new NotFoundError("tenant", tenantSlug ?? "");
  }
  return usage;
}

/**
 * A tenant's usage, for a caller already allowed to see it (the live quota view checks
 * once, at subscribe time). Null when there is no such tenant.
 */
export async function readQuotaUsage(
  pool: Sql,
  tenant: { id: string } | { slug: string },
  competition: { slug: string; phase: string | null } | null,
  now: Date,
): Promise<QuotaUsage | null> {
  const byId = "id" in tenant;
  const {
    rows: [row],
  } = await pool.query<UsageRow>(
    `SELECT t.id, t.slug, q."maxConcurrentJobs", q."maxQueuedJobs", q."cpuMillis", q."memoryMb",
            q.gpus, q."submissionsPerDay", q."maxJobSeconds",
            count(j.id)::int AS "runningJobs",
            coalesce(sum(j."cpuMillis"), 0)::int AS "cpuMillisInUse",
            coalesce(sum(j."memoryMb"), 0)::int AS "memoryMbInUse",
            coalesce(sum(j.gpus), 0)::int AS "gpusInUse"
     FROM "Tenant" t JOIN "Quota" q ON q."tenantId" = t.id
     LEFT JOIN "Job" j ON j."tenantId" = t.id AND j.state IN ${sqlStates(PLACED_STATES)}
     WHERE ${byId ? "t.id::text" : "t.slug"} = $1
     GROUP BY t.id, q."tenantId"`,
    [byId ? tenant.id : tenant.slug],
  );
  if (!row) return null;

  // A closed phase still has usage to show, so do not insist that it is open.
  const phase = competition
    ? await submissionPhase(pool, competition.slug, competition.phase, now, false)
    : null;
  const [counts, waiting] = await Promise.all([
    readCounts(pool, { tenantId: row.id, phaseId: phase?.phaseId ?? null }, now),
    countWaiting(pool, row.id),
  ]);
  const resetsAt = dailyResetAt(now);
  return {
    tenantId: row.id,
    tenant: row.slug,
    submissionsPerDay: row.submissionsPerDay,
    submissionsToday: counts.tenantToday,
    remainingToday: Math.max(row.submissionsPerDay - counts.tenantToday, 0),
    resetsAt,
    waitingJobs: waiting,
    maxQueuedJobs: row.maxQueuedJobs,
    runningJobs: row.runningJobs,
    maxConcurrentJobs: row.maxConcurrentJobs,
    cpuMillisInUse: row.cpuMillisInUse,
    cpuMillis: row.cpuMillis,
    memoryMbInUse: row.memoryMbInUse,
    memoryMb: row.memoryMb,
    gpusInUse: row.gpusInUse,
    gpus: row.gpus,
    maxJobSeconds: row.maxJobSeconds,
    countedStates: DEFAULT_COUNTED_STATES,
    phase: phase && {
      competition: phase.competitionSlug,
      phase: phase.phaseSlug,
      countedStates: phase.countedStates,
      dailyLimit: phase.dailyLimit,
      usedToday: counts.phaseToday,
      remainingToday: remaining(phase.dailyLimit, counts.phaseToday),
      totalLimit: phase.totalLimit,
      usedTotal: counts.phaseTotal,
      remainingTotal: remaining(phase.totalLimit, counts.phaseTotal),
      resetsAt,
    },
  };
}
