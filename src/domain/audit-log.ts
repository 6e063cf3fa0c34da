// Reading the audit log. Platform admins read everything; tenant owners read their own
// tenant's rows; nobody else reads it.
import { z } from "zod";
import type { Prisma } from "../generated/prisma/client.ts";
import type { DomainContext } from "./context.ts";
import { NotFoundError } from "./errors.ts";
import { requireAuthenticated, requireTenantRole } from "./principal.ts";
import { parseInput } from "./validation.ts";

const filterSchema = z
  .object({
    tenant: z.string().min(1),
    actorUserId: z.uuid(),
    action: z.string().min(1),
    since: z.date(),
    until: z.date(),
  })
  .partial();
export type AuditLogFilter = z.input<typeof filterSchema>;

/** Paging arguments as the GraphQL connection computes them. */
export type AuditLogPage = Pick<
  Prisma.AuditLogFindManyArgs,
  "take" | "skip" | "cursor" | "include" | "select"
>;

/** Audit rows the caller may read, newest first. */
export async function listAuditLogs(
  ctx: DomainContext,
  filter: AuditLogFilter,
  page: AuditLogPage,
) {
  const where = await auditLogsWhere(ctx, filter);
  return ctx.db.prisma.auditLog.findMany({ ...page, where, orderBy: { id: "desc" } });
}

/** The `where` for an audit query, narrowed to what the caller may read. */
async function auditLogsWhere(
  ctx: DomainContext,
  raw: AuditLogFilter = {},
): Promise<Prisma.AuditLogWhereInput> {
  const actor = requireAuthenticated(ctx.actor);
  const filter = parseInput(filterSchema, raw);
  let tenantId: string | undefined;
  if (filter.tenant) {
    const tenant = await ctx.db.prisma.tenant.findUnique({ where: { slug: filter.tenant } });
    if (!tenant || !(actor.isPlatformAdmin || actor.tenantId === tenant.id)) {
      throw new NotFoundError("tenant", filter.tenant);
    }
    tenantId = tenant.id;
  } else if (!actor.isPlatformAdmin) {
    tenantId = actor.tenantId ?? undefined;
  }
  if (!actor.isPlatformAdmin) {
    if (!tenantId) throw new NotFoundError("tenant", "(none)");
    requireTenantRole(actor, tenantId, "OWNER");
  }
  return {
    ...(tenantId ? { tenantId } : {}),
    ...(filter.actorUserId ? { actorUserId: filter.actorUserId } : {}),
    ...(filter.action ? { action: filter.action } : {}),
    ...(filter.since || filter.until
      ? {
          at: {
            ...(filter.since ? { gte: filter.since } : {}),
            ...(filter.until ? { lt: filter.until } : {}),
          },
        }
      : {}),
  };
}
