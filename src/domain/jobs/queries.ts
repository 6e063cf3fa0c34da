// Reading jobs. A caller sees its own tenant's jobs only (admins see all); another
// tenant's job id answers exactly like an id that does not exist.

import type { KeysetPage } from "../../db/keyset-page.ts";
import type { Job, Prisma } from "../../generated/prisma/client.ts";
import type { JobState } from "../../generated/prisma/enums.ts";
import type { DomainContext } from "../context.ts";
import { NotFoundError } from "../errors.ts";
import { canSeeTenant, requireAuthenticated } from "../principal.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface JobFilter {
  tenant?: string | null;
  states?: JobState[] | null;
  competition?: string | null;
  submittedAfter?: Date | null;
  submittedBefore?: Date | null;
}

export async function getJob(ctx: DomainContext, id: string): Promise<Job> {
  const actor = requireAuthenticated(ctx.actor);
  const job = UUID.test(id) ? await ctx.db.prisma.job.findUnique({ where: { id } }) : null;
  if (!job || !canSeeTenant(actor, job.tenantId)) throw new NotFoundError("job", id);
  return job;
}

/**
 * Newest first (job ids are UUIDv7, so id order is submission order); a backward page
 * nearest-first (see KeysetPage).
 */
export async function listJobs(
  ctx: DomainContext,
  filter: JobFilter,
  page: KeysetPage<string>,
): Promise<Job[]> {
  const actor = requireAuthenticated(ctx.actor);
  const where: Prisma.JobWhereInput = {};
  if (filter.tenant) {
    const tenant = await ctx.db.prisma.tenant.findUnique({ where: { slug: filter.tenant } });
    if (!tenant || !canSeeTenant(actor, tenant.id))
      throw new NotFoundError("tenant", filter.tenant);
    where.tenantId = tenant.id;
  } else if (!actor.isPlatformAdmin) {
    // A tenant key lists its own tenant; a key with no tenant lists nothing.
    where.tenantId = actor.tenantId ?? "00000000-0000-0000-0000-000000000000";
  }
  if (filter.states?.length) where.state = { in: filter.states };
  if (filter.competition) where.competition = { slug: filter.competition };
  if (filter.submittedAfter || filter.submittedBefore) {
    where.submittedAt = {
      ...(filter.submittedAfter ? { gte: filter.submittedAfter } : {}),
      ...(filter.submittedBefore ? { lt: filter.submittedBefore } : {}),
    };
  }
  // Newest first: "after" a cursor means older, "before" it newer.
  where.id = { lt: page.after, gt: page.before };
  return ctx.db.prisma.job.findMany({
    where,
    orderBy: { id: page.inverted ? "asc" : "desc" },
    take: page.limit,
  });
}
