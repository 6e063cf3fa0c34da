// Tenants, quotas, users, API keys and `me`.
import type { KeysetPage } from "../db/keyset-page.ts";
import * as apiKeys from "../domain/api-keys.ts";
import { requireAuthenticated } from "../domain/principal.ts";
import * as tenants from "../domain/tenants.ts";
import { builder } from "./builder.ts";
import { keysetConnection } from "./connections.ts";
import { MemberRole, TenantStatus } from "./enums.ts";

export const QuotaRef = builder.prismaObject("Quota", {
  description: "Limits of one tenant. CPU in millicores, memory in MiB, time in seconds.",
  fields: (t) => ({
    maxConcurrentJobs: t.exposeInt("maxConcurrentJobs"),
    maxQueuedJobs: t.exposeInt("maxQueuedJobs"),
    cpuMillis: t.exposeInt("cpuMillis"),
    memoryMb: t.exposeInt("memoryMb"),
    gpus: t.exposeInt("gpus"),
    submissionsPerDay: t.exposeInt("submissionsPerDay"),
    maxJobSeconds: t.exposeInt("maxJobSeconds"),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

export const TenantRef = builder.prismaObject("Tenant", {
  fields: (t) => ({
    id: t.exposeID("id"),
    slug: t.exposeString("slug"),
    name: t.exposeString("name"),
    status: t.expose("status", { type: TenantStatus }),
    weight: t.exposeFloat("weight", { description: "Fair-share weight" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    quota: t.relation("quota", { nullable: true }),
    apiKeys: t.field({
      type: [ApiKeyRef],
      description: "Keys of this tenant; owners and platform admins only",
      errors: {},
      resolve: (tenant, _args, ctx) => apiKeys.listApiKeys(ctx.domain, tenant.id),
    }),
  }),
});

export const UserRef = builder.prismaObject("User", {
  fields: (t) => ({
    id: t.exposeID("id"),
    email: t.exposeString("email"),
    name: t.exposeString("name"),
    isPlatformAdmin: t.exposeBoolean("isPlatformAdmin"),
  }),
});

export const ApiKeyRef = builder.prismaObject("ApiKey", {
  description: "An API key. The secret is shown once, by createApiKey, and never stored.",
  // Selecting explicitly keeps the secret's hash out of the shape resolvers can return.
  select: {
    id: true,
    prefix: true,
    name: true,
    userId: true,
    tenantId: true,
    createdAt: true,
    lastUsedAt: true,
    revokedAt: true,
    expiresAt: true,
  },
  fields: (t) => ({
    id: t.exposeID("id"),
    prefix: t.exposeString("prefix", {
      description: "Public half of the key, for telling keys apart",
    }),
    name: t.exposeString("name"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    user: t.relation("user"),
    tenant: t.relation("tenant", { nullable: true }),
  }),
});

interface Me {
  userId: string;
  apiKeyId: string;
  tenantId: string | null;
  role: "OWNER" | "MEMBER" | "VIEWER" | null;
  isPlatformAdmin: boolean;
}

const MeRef = builder.objectRef<Me>("Me").implement({
  description: "The caller, as identified by its API key",
  fields: (t) => ({
    isPlatformAdmin: t.exposeBoolean("isPlatformAdmin"),
    role: t.expose("role", { type: MemberRole, nullable: true }),
    user: t.prismaField({
      type: "User",
      resolve: (query, me, _args, ctx) =>
        ctx.domain.db.prisma.user.findUniqueOrThrow({ ...query, where: { id: me.userId } }),
    }),
    apiKey: t.prismaField({
      type: "ApiKey",
      resolve: (query, me, _args, ctx) =>
        ctx.domain.db.prisma.apiKey.findUniqueOrThrow({ ...query, where: { id: me.apiKeyId } }),
    }),
    tenant: t.prismaField({
      type: "Tenant",
      nullable: true,
      resolve: (query, me, _args, ctx) =>
        me.tenantId
          ? ctx.domain.db.prisma.tenant.findUnique({ ...query, where: { id: me.tenantId } })
          : null,
    }),
  }),
});

const QuotaInput = builder.inputType("QuotaInput", {
  description: "Limits to set; omitted limits keep their value. All must be ≥ 0.",
  fields: (t) => ({
    maxConcurrentJobs: t.int(),
    maxQueuedJobs: t.int(),
    cpuMillis: t.int(),
    memoryMb: t.int(),
    gpus: t.int(),
    submissionsPerDay: t.int(),
    maxJobSeconds: t.int(),
  }),
});

const CreateTenantInput = builder.inputType("CreateTenantInput", {
  fields: (t) => ({
    slug: t.string({ required: true }),
    name: t.string({ required: true }),
    weight: t.float(),
    quota: t.field({ type: QuotaInput }),
  }),
});

const UpdateTenantInput = builder.inputType("UpdateTenantInput", {
  fields: (t) => ({ name: t.string(), weight: t.float() }),
});

const CreateApiKeyInput = builder.inputType("CreateApiKeyInput", {
  fields: (t) => ({
    tenant: t.string({ description: "Tenant slug; omit for a platform admin key" }),
    name: t.string({ required: true }),
    role: t.field({ type: MemberRole, description: "Role in the tenant (default MEMBER)" }),
    email: t.string({ description: "Key owner; a service user is created when omitted" }),
    expiresAt: t.field({ type: "DateTime" }),
  }),
});

const CreatedApiKey = builder
  .objectRef<{ apiKey: apiKeys.ApiKeyView; token: string }>("CreatedApiKey")
  .implement({
    fields: (t) => ({
      apiKey: t.field({ type: ApiKeyRef, resolve: (p) => p.apiKey }),
      token: t.exposeString("token", { description: "The secret; shown only this once" }),
    }),
  });

/** GraphQL leaves omitted optional inputs as null; the domain wants them absent. */
export function withoutNulls<T extends object>(input: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== null && value !== undefined),
  ) as { [K in keyof T]: Exclude<T[K], null> };
}

builder.queryFields((t) => ({
  me: t.field({
    type: MeRef,
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => requireAuthenticated(ctx.actor),
  }),
  tenants: t.connection({
    type: TenantRef,
    authScopes: { authenticated: true },
    description: "All tenants for platform admins, in slug order; your own tenant otherwise",
    resolve: (_root, args, ctx) =>
      keysetConnection(
        args,
        (page: KeysetPage<string>) => tenants.listTenants(ctx.domain, page),
        (tenant) => tenant.slug,
      ),
  }),
  tenant: t.field({
    type: TenantRef,
    authScopes: { authenticated: true },
    errors: {},
    args: { slug: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => tenants.getVisibleTenant(ctx.domain, args.slug),
  }),
}));

builder.mutationFields((t) => ({
  createTenant: t.field({
    type: TenantRef,
    authScopes: { platformAdmin: true },
    errors: {},
    args: { input: t.arg({ type: CreateTenantInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      tenants.createTenant(ctx.domain, {
        ...withoutNulls(input),
        quota: input.quota ? withoutNulls(input.quota) : undefined,
      }),
  }),
  updateTenant: t.field({
    type: TenantRef,
    authScopes: { authenticated: true },
    errors: {},
    args: {
      slug: t.arg.string({ required: true }),
      input: t.arg({ type: UpdateTenantInput, required: true }),
    },
    resolve: (_root, args, ctx) =>
      tenants.updateTenant(ctx.domain, args.slug, withoutNulls(args.input)),
  }),
  suspendTenant: t.field({
    type: TenantRef,
    authScopes: { platformAdmin: true },
    errors: {},
    args: { slug: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => tenants.suspendTenant(ctx.domain, args.slug),
  }),
  resumeTenant: t.field({
    type: TenantRef,
    authScopes: { platformAdmin: true },
    errors: {},
    args: { slug: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => tenants.resumeTenant(ctx.domain, args.slug),
  }),
  setQuota: t.field({
    type: QuotaRef,
    authScopes: { platformAdmin: true },
    errors: {},
    args: {
      tenant: t.arg.string({ required: true }),
      input: t.arg({ type: QuotaInput, required: true }),
    },
    resolve: (_root, args, ctx) =>
      tenants.setQuota(ctx.domain, args.tenant, withoutNulls(args.input)),
  }),
  createApiKey: t.field({
    type: CreatedApiKey,
    authScopes: { authenticated: true },
    errors: {},
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) => apiKeys.createApiKey(ctx.domain, withoutNulls(input)),
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    authScopes: { authenticated: true },
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => apiKeys.revokeApiKey(ctx.domain, String(args.id)),
  }),
}));
