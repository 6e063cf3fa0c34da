// API keys: `ask_<prefix>_<secret>`. Only the SHA-256 of the secret is stored; the prefix
// is the public, indexed half, so authentication is one indexed lookup and a constant-time
// comparison. Secrets are 256 random bits, so a fast hash is the right tool (no salt/KDF
// needed: there is nothing to brute-force).
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { Database } from "../db/database.ts";
import { publish } from "../db/pubsub.ts";
import type { ApiKey, MemberRole } from "../generated/prisma/client.ts";
import { recordAudit } from "./audit/record.ts";
import { type DomainContext, nowOf } from "./context.ts";
import {
  ForbiddenError,
  InvalidStateError,
  NotFoundError,
  TenantSuspendedError,
  UnauthenticatedError,
  ValidationError,
} from "./errors.ts";
import {
  canSeeTenant,
  type Principal,
  requireAuthenticated,
  requirePlatformAdmin,
  requireTenantRole,
  roleAtMost,
} from "./principal.ts";
import { parseInput } from "./validation.ts";

const TOKEN_PATTERN = /^ask_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface IssuedKey {
  prefix: string;
  secretHash: string;
  token: string;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export function issueKey(): IssuedKey {
  const prefix = randomBytes(6).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  return { prefix, secretHash: sha256(secret), token: `ask_${prefix}_${secret}` };
}

/**
 * Splits a presented token into lookup prefix and secret. Tokens not in our format (an
 * operator-chosen AUTOSCORER_ADMIN_KEY) are looked up by a digest of the whole token.
 */
export function splitToken(token: string): { prefix: string; secret: string } {
  const match = TOKEN_PATTERN.exec(token);
  if (match?.[1] && match[2]) return { prefix: match[1], secret: match[2] };
  return { prefix: `x${sha256(`prefix:${token}`).slice(0, 23)}`, secret: token };
}

/** Stores a caller-chosen token (bootstrap admin key) in the same shape as issued ones. */
export function keyFromToken(token: string): IssuedKey {
  const { prefix, secret } = splitToken(token);
  return { prefix, secretHash: sha256(secret), token };
}

function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(sha256(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** Authenticates a bearer token; every failure is the same UNAUTHENTICATED error. */
export async function authenticate(db: Database, token: string, now: Date): Promise<Principal> {
  const { prefix, secret } = splitToken(token.trim());
  const key = await db.prisma.apiKey.findUnique({
    where: { prefix },
    include: { user: true },
  });
  if (!key || !secretMatches(secret, key.secretHash))
    throw new UnauthenticatedError("invalid API key");
  if (key.revokedAt) throw new UnauthenticatedError("API key revoked");
  if (key.expiresAt && key.expiresAt <= now) throw new UnauthenticatedError("API key expired");
  let role: MemberRole | null = null;
  if (key.tenantId) {
    const membership = await db.prisma.membership.findUnique({
      where: { userId_tenantId: { userId: key.userId, tenantId: key.tenantId } },
    });
    if (!membership) throw new UnauthenticatedError("API key owner is no longer a member");
    role = membership.role;
  }
  return {
    userId: key.userId,
    apiKeyId: key.id,
    // Admin powers come only through keys that are not scoped to a tenant.
    isPlatformAdmin: key.user.isPlatformAdmin && key.tenantId === null,
    tenantId: key.tenantId,
    role,
  };
}

/**
 * Which of `apiKeyIds` still hold for live work: not revoked, not expired, the owner still a
 * member of the key's tenant, and that tenant active. Live subscriptions are re-checked
 * with this (src/realtime/credential-watch.ts).
 */
export async function stillValidKeys(
  db: Database,
  apiKeyIds: readonly string[],
  now: Date,
): Promise<Set<string>> {
  const { rows } = await db.pool.query<{ id: string }>(
    `SELECT k.id FROM "ApiKey" k
       LEFT JOIN "Membership" m ON m."userId" = k."userId" AND m."tenantId" = k."tenantId"
       LEFT JOIN "Tenant" t ON t.id = k."tenantId"
      WHERE k.id = ANY($1::uuid[]) AND k."revokedAt" IS NULL
        AND (k."expiresAt" IS NULL OR k."expiresAt" > $2)
        AND (k."tenantId" IS NULL OR (m.id IS NOT NULL AND t.status = 'ACTIVE'))`,
    [apiKeyIds, now.toISOString()],
  );
  return new Set(rows.map((row) => row.id));
}

/** Records use without a write per request: at most once a minute per key. */
export async function touchApiKey(db: Database, apiKeyId: string, now: Date): Promise<void> {
  await db.prisma.apiKey.updateMany({
    where: {
      id: apiKeyId,
      OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - 60_000) } }],
    },
    data: { lastUsedAt: now },
  });
}

const createKeyInput = z.object({
  tenant: z.string().min(1).optional(),
  name: z.string().trim().min(1).max(100),
  role: z.enum(["OWNER", "MEMBER", "VIEWER"]).default("MEMBER"),
  email: z.email().optional(),
  expiresAt: z.date().optional(),
});
export type CreateApiKeyInput = z.input<typeof createKeyInput>;

/** Public view of a key: never the hash. */
export type ApiKeyView = Omit<ApiKey, "secretHash">;
const view = ({ secretHash: _hidden, ...rest }: ApiKey): ApiKeyView => rest;

/**
 * Creates a key and returns its token once. A tenant key belongs to the user named by
 * `email` (created when new) or to a service user named after the key, with `role` in
 * the tenant. Owners may issue keys up to their own role; admins any, and admin keys.
 */
export async function createApiKey(
  ctx: DomainContext,
  raw: CreateApiKeyInput,
): Promise<{ apiKey: ApiKeyView; token: string }> {
  const actor = requireAuthenticated(ctx.actor);
  const input = parseInput(createKeyInput, raw);
  const now = nowOf(ctx);
  if (input.expiresAt && input.expiresAt <= now) {
    throw new ValidationError([{ field: "expiresAt", message: "must be in the future" }]);
  }
  const issued = issueKey();
  const apiKey = await ctx.db.prisma.$transaction(async (tx) => {
    let tenantId: string | null = null;
    let userId = actor.userId;
    if (input.tenant) {
      const tenant = await tx.tenant.findUnique({ where: { slug: input.tenant } });
      if (!tenant || !canSeeTenant(actor, tenant.id))
        throw new NotFoundError("tenant", input.tenant);
      requireTenantRole(actor, tenant.id, "OWNER");
      if (!actor.isPlatformAdmin && actor.role && !roleAtMost(input.role, actor.role)) {
        throw new ForbiddenError("cannot issue a key with a higher role than your own");
      }
      if (tenant.status === "SUSPENDED") throw new TenantSuspendedError(tenant.slug);
      tenantId = tenant.id;
      const email =
        input.email ??
        `${input.name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}.${issued.prefix}@${tenant.slug}.service`;
      const user = await tx.user.upsert({
        where: { email },
        create: { email, name: input.email ? email : `${input.name} (service)` },
        update: {},
      });
      userId = user.id;
      await tx.membership.upsert({
        where: { userId_tenantId: { userId, tenantId } },
        create: { userId, tenantId, role: input.role },
        update: { role: input.role },
      });
      // A changed role must reach every process's authentication cache.
      await publish(tx, { topic: "auth", key: "membership", data: { userId, tenantId } });
    } else {
      requirePlatformAdmin(actor);
    }
    const created = await tx.apiKey.create({
      data: {
        prefix: issued.prefix,
        secretHash: issued.secretHash,
        name: input.name,
        userId,
        tenantId,
        expiresAt: input.expiresAt ?? null,
      },
    });
    await recordAudit(tx, ctx, {
      action: "apiKey.create",
      tenantId,
      targetType: "ApiKey",
      targetId: created.id,
      after: { ...view(created), role: tenantId ? input.role : "PLATFORM_ADMIN" },
    });
    return created;
  });
  return { apiKey: view(apiKey), token: issued.token };
}

export async function revokeApiKey(ctx: DomainContext, id: string): Promise<ApiKeyView> {
  const actor = requireAuthenticated(ctx.actor);
  const now = nowOf(ctx);
  return ctx.db.prisma.$transaction(async (tx) => {
    const key = z.uuid().safeParse(id).success
      ? await tx.apiKey.findUnique({ where: { id } })
      : null;
    const visible =
      key &&
      (actor.isPlatformAdmin || (key.tenantId !== null && canSeeTenant(actor, key.tenantId)));
    if (!key || !visible) throw new NotFoundError("apiKey", id);
    // Anyone may revoke their own key; revoking another member's needs the owner role.
    if (key.userId !== actor.userId && key.tenantId)
      requireTenantRole(actor, key.tenantId, "OWNER");
    if (key.revokedAt) throw new InvalidStateError("API key is already revoked", { id });
    const revoked = await tx.apiKey.update({ where: { id }, data: { revokedAt: now } });
    await publish(tx, { topic: "auth", key: "revoked", data: { apiKeyId: id } });
    await recordAudit(tx, ctx, {
      action: "apiKey.revoke",
      tenantId: key.tenantId,
      targetType: "ApiKey",
      targetId: id,
      before: view(key),
      after: view(revoked),
    });
    return view(revoked);
  });
}

export async function listApiKeys(ctx: DomainContext, tenantId: string): Promise<ApiKeyView[]> {
  const actor = requireAuthenticated(ctx.actor);
  requireTenantRole(actor, tenantId, "OWNER");
  const keys = await ctx.db.prisma.apiKey.findMany({
    where: { tenantId },
    orderBy: { createdAt: "asc" },
  });
  return keys.map(view);
}
