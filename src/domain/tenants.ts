// Tenants and their quotas. Only platform admins create, suspend, resume tenants and set
// quotas; owners may rename their own tenant; members and viewers read their own tenant.
import { z } from "zod";
import type { PrismaTx } from "../db/database.ts";
import { type KeysetPage, keysetSql } from "../db/keyset-page.ts";
import { publish } from "../db/pubsub.ts";
import type { Quota, Tenant } from "../generated/prisma/client.ts";
import { recordAudit } from "./audit/record.ts";
import type { DomainContext } from "./context.ts";
import {
  ForbiddenError,
  InvalidStateError,
  isUniqueViolation,
  NotFoundError,
  ValidationError,
} from "./errors.ts";
import {
  canSeeTenant,
  requireAuthenticated,
  requirePlatformAdmin,
  requireTenantRole,
} from "./principal.ts";
import { parseInput, SLUG_PATTERN } from "./validation.ts";

/** Topic of quota changes (key: tenant id), for live quota usage. */
export const QUOTA_TOPIC = "quota";

const count = z.number().int().min(0).max(1_000_000_000);

export const quotaInputSchema = z
  .object({
    maxConcurrentJobs: count,
    maxQueuedJobs: count,
    cpuMillis: count,
    memoryMb: count,
    gpus: count,
    submissionsPerDay: count,
    maxJobSeconds: count,
  })
  .partial();
export type QuotaInput = z.input<typeof quotaInputSchema>;

const createTenantSchema = z.object({
  slug: z.string().regex(SLUG_PATTERN, "lower-case letters, digits and inner dashes, 2-63 chars"),
  name: z.string().trim().min(1).max(200),
  weight: z.number().positive().max(1000).default(1),
  quota: quotaInputSchema.optional(),
});
export type CreateTenantInput = z.input<typeof createTenantSchema>;

const updateTenantSchema = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  weight: z.number().positive().max(1000).optional(),
});
export type UpdateTenantInput = z.input<typeof updateTenantSchema>;

export type TenantWithQuota = Tenant & { quota: Quota | null };

/** Finds a tenant the caller may see; another tenant's slug is indistinguishable from none. */
export async function getVisibleTenant(
  ctx: DomainContext,
  slug: string,
  tx: PrismaTx = ctx.db.prisma,
): Promise<Tenant> {
  const actor = requireAuthenticated(ctx.actor);
  const tenant = await tx.tenant.findUnique({ where: { slug } });
  if (!tenant || !canSeeTenant(actor, tenant.id)) throw new NotFoundError("tenant", slug);
  return tenant;
}

/**
 * The tenants the caller may see, in slug order: all for admins, the key's own otherwise
 * (a backward page nearest-first, see KeysetPage).
 */
export async function listTenants(ctx: DomainContext, page: KeysetPage<string>): Promise<Tenant[]> {
  const actor = requireAuthenticated(ctx.actor);
  if (!actor.isPlatformAdmin && !actor.tenantId) return [];
  const onlyTenant = actor.isPlatformAdmin ? null : actor.tenantId;
  const keyset = keysetSql(page, "slug", "ASC", onlyTenant ? 2 : 1);
  const conditions = [...(onlyTenant ? ["id = $1::uuid"] : []), ...keyset.conditions];
  const { rows } = await ctx.db.pool.query<Tenant>(
    `SELECT id, slug, name, status, weight, "createdAt", "updatedAt" FROM "Tenant"
      ${conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : ""}
      ORDER BY ${keyset.orderBy} LIMIT ${keyset.limit}`,
    [...(onlyTenant ? [onlyTenant] : []), ...keyset.params],
  );
  return rows;
}

export async function createTenant(
  ctx: DomainContext,
  raw: CreateTenantInput,
): Promise<TenantWithQuota> {
  requirePlatformAdmin(ctx.actor);
  const input = parseInput(createTenantSchema, raw);
  try {
    return await ctx.db.prisma.$transaction(async (tx) => {
      const tenant = await tx.tenant.create({
        data: {
          slug: input.slug,
          name: input.name,
          weight: input.weight,
          quota: { create: input.quota ?? {} },
        },
        include: { quota: true },
      });
      await recordAudit(tx, ctx, {
        action: "tenant.create",
        tenantId: tenant.id,
        targetType: "Tenant",
        targetId: tenant.id,
        after: tenant,
      });
      return tenant;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ValidationError([{ field: "slug", message: `"${input.slug}" is already taken` }]);
    }
    throw error;
  }
}

export async function updateTenant(
  ctx: DomainContext,
  slug: string,
  raw: UpdateTenantInput,
): Promise<Tenant> {
  const actor = requireAuthenticated(ctx.actor);
  const input = parseInput(updateTenantSchema, raw);
  if (input.weight !== undefined && !actor.isPlatformAdmin) {
    throw new ForbiddenError("only platform admins change fair-share weights");
  }
  return ctx.db.prisma.$transaction(async (tx) => {
    const before = await getVisibleTenant(ctx, slug, tx);
    requireTenantRole(actor, before.id, "OWNER");
    const after = await tx.tenant.update({ where: { id: before.id }, data: input });
    await recordAudit(tx, ctx, {
      action: "tenant.update",
      tenantId: before.id,
      targetType: "Tenant",
      targetId: before.id,
      before,
      after,
    });
    return after;
  });
}

async function setStatus(
  ctx: DomainContext,
  slug: string,
  status: "ACTIVE" | "SUSPENDED",
): Promise<Tenant> {
  requirePlatformAdmin(ctx.actor);
  return ctx.db.prisma.$transaction(async (tx) => {
    const before = await getVisibleTenant(ctx, slug, tx);
    if (before.status === status) {
      throw new InvalidStateError(`tenant "${slug}" is already ${status.toLowerCase()}`, {
        status,
      });
    }
    const after = await tx.tenant.update({ where: { id: before.id }, data: { status } });
    // Live subscriptions of the tenant's keys are re-checked (and end on suspension).
    await publish(tx, { topic: "auth", key: "tenant-status", data: { tenantId: before.id } });
    await recordAudit(tx, ctx, {
      action: status === "SUSPENDED" ? "tenant.suspend" : "tenant.resume",
      tenantId: before.id,
      targetType: "Tenant",
      targetId: before.id,
      before,
      after,
    });
    return after;
  });
}

export const suspendTenant = (ctx: DomainContext, slug: string) =>
  setStatus(ctx, slug, "SUSPENDED");
export const resumeTenant = (ctx: DomainContext, slug: string) => setStatus(ctx, slug, "ACTIVE");

export async function setQuota(ctx: DomainContext, slug: string, raw: QuotaInput): Promise<Quota> {
  requirePlatformAdmin(ctx.actor);
  const input = parseInput(quotaInputSchema, raw);
  if (Object.keys(input).length === 0) {
    throw new ValidationError([{ field: "quota", message: "set at least one limit" }]);
  }
  return ctx.db.prisma.$transaction(async (tx) => {
    const tenant = await getVisibleTenant(ctx, slug, tx);
    const before = await tx.quota.findUnique({ where: { tenantId: tenant.id } });
    const after = await tx.quota.upsert({
      where: { tenantId: tenant.id },
      create: { tenantId: tenant.id, ...input },
      update: input,
    });
    // Live quota views of the tenant show the new limits.
    await publish(tx, { topic: QUOTA_TOPIC, key: tenant.id, data: { tenantId: tenant.id } });
    await recordAudit(tx, ctx, {
      action: "quota.set",
      tenantId: tenant.id,
      targetType: "Quota",
      targetId: tenant.id,
      before,
      after,
    });
    return after;
  });
}
