// Audit rows are written by the same transaction as the change they describe, so a failed
// mutation leaves none and a committed one exactly one.
import type { PrismaTx } from "../../db/database.ts";
import type { Sql } from "../../db/sql.ts";
import type { DomainContext } from "../context.ts";

export interface AuditEntry {
  action: string;
  tenantId?: string | null;
  targetType: string;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
}

/** JSON-safe copy: dates as ISO strings, bigints as strings, undefined dropped. */
export function auditSnapshot(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return JSON.parse(
    JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v)),
  ) as unknown;
}

export async function recordAudit(
  tx: PrismaTx,
  ctx: Pick<DomainContext, "actor" | "requestId">,
  entry: AuditEntry,
): Promise<void> {
  const before = auditSnapshot(entry.before);
  const after = auditSnapshot(entry.after);
  await tx.auditLog.create({
    data: {
      action: entry.action,
      tenantId: entry.tenantId ?? null,
      targetType: entry.targetType,
      targetId: entry.targetId ?? null,
      actorUserId: ctx.actor?.userId ?? null,
      actorKeyId: ctx.actor?.apiKeyId ?? null,
      requestId: ctx.requestId,
      // Prisma distinguishes JSON null from "no value"; store SQL NULL for absent sides.
      ...(before === null ? {} : { before: before as object }),
      ...(after === null ? {} : { after: after as object }),
    },
  });
}

/** The same row written with plain SQL, for transactions on the hot job paths. */
export async function recordAuditSql(
  tx: Sql,
  ctx: Pick<DomainContext, "actor" | "requestId">,
  entry: AuditEntry,
): Promise<void> {
  const before = auditSnapshot(entry.before);
  const after = auditSnapshot(entry.after);
  await tx.query(
    `INSERT INTO "AuditLog" (action, "tenantId", "targetType", "targetId", "actorUserId",
       "actorKeyId", "requestId", before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb)`,
    [
      entry.action,
      entry.tenantId ?? null,
      entry.targetType,
      entry.targetId ?? null,
      ctx.actor?.userId ?? null,
      ctx.actor?.apiKeyId ?? null,
      ctx.requestId,
      before === null ? null : JSON.stringify(before),
      after === null ? null : JSON.stringify(after),
    ],
  );
}
