// Reading the audit log. Platform admins read everything; tenant owners read their own
// tenant's rows; nobody else reads it.
import { z } from "zod";
import { type KeysetPage, keysetSql } from "../../db/keyset-page.ts";
import type { AuditLog } from "../../generated/prisma/client.ts";
import type { DomainContext } from "../context.ts";
import { NotFoundError } from "../errors.ts";
import { requireAuthenticated, requireTenantRole } from "../principal.ts";
import { parseInput } from "../validation.ts";

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

/** The filter with the tenant resolved to an id the caller may read. */
interface ResolvedFilter {
  tenantId?: string;
  actorUserId?: string;
  action?: string;
  since?: Date;
  until?: Date;
}

async function resolveFilter(ctx: DomainContext, raw: AuditLogFilter): Promise<ResolvedFilter> {
  const actor = requireAuthenticated(ctx.actor);
  const { tenant: slug, ...filter } = parseInput(filterSchema, raw);
  let tenantId: string | undefined;
  if (slug) {
    const tenant = await ctx.db.prisma.tenant.findUnique({ where: { slug } });
    if (!tenant || !(actor.isPlatformAdmin || actor.tenantId === tenant.id)) {
      throw new NotFoundError("tenant", slug);
    }
    tenantId = tenant.id;
  } else if (!actor.isPlatformAdmin) {
    tenantId = actor.tenantId ?? undefined;
  }
  if (!actor.isPlatformAdmin) {
    if (!tenantId) throw new NotFoundError("tenant", "(none)");
    requireTenantRole(actor, tenantId, "OWNER");
  }
  return { ...filter, tenantId };
}

/**
 * Audit rows the caller may read, newest first (ids are assigned in commit order; a backward
 * page nearest-first, see KeysetPage).
 */
export async function listAuditLogs(
  ctx: DomainContext,
  raw: AuditLogFilter,
  page: KeysetPage<bigint>,
): Promise<AuditLog[]> {
  const filter = await resolveFilter(ctx, raw);
  const params: unknown[] = [];
  const conditions: string[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    conditions.push(sql.replace("?", `$${params.length}`));
  };
  if (filter.tenantId) add(`"tenantId" = ?::uuid`, filter.tenantId);
  if (filter.actorUserId) add(`"actorUserId" = ?::uuid`, filter.actorUserId);
  if (filter.action) add("action = ?", filter.action);
  if (filter.since) add("at >= ?", filter.since);
  if (filter.until) add("at < ?", filter.until);
  const keyset = keysetSql(page, "id", "DESC", params.length + 1);
  conditions.push(...keyset.conditions);
  const { rows } = await ctx.db.pool.query<Omit<AuditLog, "id"> & { id: string }>(
    `SELECT id, at, "actorUserId", "actorKeyId", "tenantId", action, "targetType", "targetId",
            before, after, "requestId"
       FROM "AuditLog" ${conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : ""}
      ORDER BY ${keyset.orderBy} LIMIT ${keyset.limit}`,
    [...params, ...keyset.params],
  );
  // BIGINT arrives as a string from pg; Prisma's shape (and cursors) use bigint.
  return rows.map((row) => ({ ...row, id: BigInt(row.id) }));
}
