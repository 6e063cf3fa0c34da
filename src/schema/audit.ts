// The audit log, newest first.
import type { KeysetPage } from "../db/keyset-page.ts";
import { listAuditLogs } from "../domain/audit/list.ts";
import { builder } from "./builder.ts";
import { keysetConnection } from "./connections.ts";

export const AuditLogRef = builder.prismaObject("AuditLog", {
  fields: (t) => ({
    id: t.id({ resolve: (row) => row.id.toString() }),
    at: t.expose("at", { type: "DateTime" }),
    action: t.exposeString("action"),
    actorUserId: t.exposeID("actorUserId", { nullable: true }),
    actorKeyId: t.exposeID("actorKeyId", { nullable: true }),
    tenantId: t.exposeID("tenantId", { nullable: true }),
    targetType: t.exposeString("targetType"),
    targetId: t.exposeString("targetId", { nullable: true }),
    before: t.expose("before", { type: "JSON", nullable: true }),
    after: t.expose("after", { type: "JSON", nullable: true }),
    requestId: t.exposeString("requestId", { nullable: true }),
  }),
});

const AuditLogFilter = builder.inputType("AuditLogFilter", {
  fields: (t) => ({
    tenant: t.string({ description: "Tenant slug" }),
    actorUserId: t.id(),
    action: t.string({ description: "e.g. tenant.create, quota.set, job.submit" }),
    since: t.field({ type: "DateTime", description: "Inclusive" }),
    until: t.field({ type: "DateTime", description: "Exclusive" }),
  }),
});

builder.queryFields((t) => ({
  auditLogs: t.connection(
    {
      type: AuditLogRef,
      authScopes: { authenticated: true },
      description: "Platform admins see all rows; tenant owners their tenant's. Newest first.",
      errors: {},
      args: { filter: t.arg({ type: AuditLogFilter }) },
      resolve: (_root, args, ctx) => {
        const filter = args.filter ?? {};
        return keysetConnection(
          args,
          (page: KeysetPage<bigint>) =>
            listAuditLogs(
              ctx.domain,
              {
                tenant: filter.tenant ?? undefined,
                actorUserId: filter.actorUserId ? String(filter.actorUserId) : undefined,
                action: filter.action ?? undefined,
                since: filter.since ?? undefined,
                until: filter.until ?? undefined,
              },
              page,
            ),
          (row) => row.id,
        );
      },
    },
    {},
  ),
}));
