// Opening a live feed for a subscriber: who may follow what is checked once, at subscribe
// time, with the same domain rules as the queries (another tenant's job or tenant answers
// NOT_FOUND exactly like a missing one; a suspended tenant's keys follow nothing), then the
// subscription is tied to its credentials so that revoking the key or suspending the tenant
// ends it. What a subscription yields is either a value or, last, the reason it ended
// (LiveQueue's `Ended`), which its field resolver raises as a GraphQL error, typed like
// every other error.
import { stillValidKeys } from "../domain/api-keys.ts";
import type { DomainContext } from "../domain/context.ts";
import {
  type AppError,
  TenantSuspendedError,
  UnauthenticatedError,
  ValidationError,
} from "../domain/errors.ts";
import type { LogChunk, MetricSample } from "../domain/jobs/job-output.ts";
import { getJob } from "../domain/jobs/queries.ts";
import type { QuotaUsage } from "../domain/jobs/quota-usage.ts";
import { type LeaderboardBoard, leaderboardTarget, viewOf } from "../domain/leaderboards/read.ts";
import type { NodeWithLoad } from "../domain/nodes/nodes.ts";
import { type Principal, requireAuthenticated } from "../domain/principal.ts";
import { getVisibleTenant } from "../domain/tenants.ts";
import type { JobUpdate } from "./job-feed.ts";
import { type LiveFeeds, leaderboardKey } from "./live-feeds.ts";
import type { Ended, LiveQueue } from "./live-queue.ts";

export type Streamed<T> = T | Ended;

/** The value, or the error that ended the stream, raised for the field's resolver. */
export function unwrap<T>(payload: Streamed<T>): T {
  if (typeof payload === "object" && payload !== null && "ended" in payload) throw payload.ended;
  return payload;
}

/** Refuses keys that no longer hold (revoked, expired, tenant suspended) before following. */
async function requireLive(ctx: DomainContext): Promise<Principal> {
  const actor = requireAuthenticated(ctx.actor);
  const valid = await stillValidKeys(ctx.db, [actor.apiKeyId], ctx.now?.() ?? new Date());
  if (valid.has(actor.apiKeyId)) return actor;
  if (actor.tenantId) {
    const { rows } = await ctx.db.pool.query<{ slug: string; status: string }>(
      `SELECT slug, status FROM "Tenant" WHERE id = $1`,
      [actor.tenantId],
    );
    if (rows[0]?.status === "SUSPENDED") throw new TenantSuspendedError(rows[0].slug);
  }
  throw new UnauthenticatedError("the API key no longer holds");
}

/** Ends the stream when the principal's credentials stop holding. */
function tied<T>(live: LiveFeeds, actor: Principal, queue: LiveQueue<T>) {
  queue.onClose(live.credentials.watch(actor, (reason: AppError) => queue.end(reason)));
  return queue;
}

function cursor(after: string | null | undefined): string | null {
  if (after === null || after === undefined) return null;
  if (!/^\d{1,19}$/.test(after)) {
    throw new ValidationError([{ field: "after", message: "not a cursor this API issued" }]);
  }
  return after;
}

export async function followJob(
  ctx: DomainContext,
  live: LiveFeeds,
  jobId: string,
  after?: string | null,
): Promise<AsyncIterableIterator<Streamed<JobUpdate>>> {
  const actor = await requireLive(ctx);
  await getJob(ctx, jobId);
  return tied(live, actor, await live.jobs.job(jobId, cursor(after)));
}

export async function followTenantJobs(
  ctx: DomainContext,
  live: LiveFeeds,
  tenantSlug: string | null,
  after?: string | null,
): Promise<AsyncIterableIterator<Streamed<JobUpdate>>> {
  const actor = await requireLive(ctx);
  const tenantId = tenantSlug ? (await getVisibleTenant(ctx, tenantSlug)).id : actor.tenantId;
  if (!tenantId)
    throw new ValidationError([{ field: "tenant", message: "admins must name the tenant" }]);
  return tied(live, actor, await live.jobs.tenant(tenantId, cursor(after)));
}

/** Without a cursor, a log subscriber starts with this many of the latest chunks. */
const LOG_BACKLOG = 50;
const METRIC_BACKLOG = 120;

export async function followJobLogs(
  ctx: DomainContext,
  live: LiveFeeds,
  jobId: string,
  after?: string | null,
): Promise<AsyncIterableIterator<Streamed<LogChunk>>> {
  const actor = await requireLive(ctx);
  await getJob(ctx, jobId);
  return tied(live, actor, await live.logs.follow(jobId, cursor(after), LOG_BACKLOG));
}

export async function followJobMetrics(
  ctx: DomainContext,
  live: LiveFeeds,
  jobId: string,
  after?: string | null,
): Promise<AsyncIterableIterator<Streamed<MetricSample>>> {
  const actor = await requireLive(ctx);
  await getJob(ctx, jobId);
  return tied(live, actor, await live.metrics.follow(jobId, cursor(after), METRIC_BACKLOG));
}

export async function followQuotaUsage(
  ctx: DomainContext,
  live: LiveFeeds,
  tenantSlug: string | null,
): Promise<AsyncIterableIterator<Streamed<QuotaUsage>>> {
  const actor = await requireLive(ctx);
  const tenantId = tenantSlug ? (await getVisibleTenant(ctx, tenantSlug)).id : actor.tenantId;
  if (!tenantId)
    throw new ValidationError([{ field: "tenant", message: "admins must name the tenant" }]);
  return tied(live, actor, await live.quota.follow(tenantId));
}

export async function followExecutorLoad(
  ctx: DomainContext,
  live: LiveFeeds,
): Promise<AsyncIterableIterator<Streamed<NodeWithLoad[]>>> {
  const actor = await requireLive(ctx);
  return tied(live, actor, await live.executors.follow(""));
}

export async function followLeaderboard(
  ctx: DomainContext,
  live: LiveFeeds,
  competitionSlug: string,
  phaseSlug: string | null,
): Promise<AsyncIterableIterator<Streamed<LeaderboardBoard>>> {
  const actor = await requireLive(ctx);
  const target = await leaderboardTarget(ctx, competitionSlug, phaseSlug);
  const key = leaderboardKey(target.competitionId, target.phaseId, viewOf(actor));
  return tied(live, actor, await live.leaderboards.follow(key));
}
