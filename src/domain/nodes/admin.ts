// What callers see and change of executor nodes. Every authenticated caller may see the
// nodes and their load (a submitter deserves to know whether anything is running at all);
// only platform admins drain or resume a node, and each change is audited.
import { inTransaction } from "../../db/sql.ts";
import type { ExecutorStatus } from "../../generated/prisma/enums.ts";
import { recordAuditSql } from "../audit/record.ts";
import type { DomainContext } from "../context.ts";
import { InvalidStateError, NotFoundError } from "../errors.ts";
import { requireAuthenticated, requirePlatformAdmin } from "../principal.ts";
import { announceNode, type NodeRow, type NodeWithLoad, nodesWithLoad } from "./nodes.ts";

export async function listExecutors(ctx: DomainContext): Promise<NodeWithLoad[]> {
  requireAuthenticated(ctx.actor);
  return nodesWithLoad(ctx.db.pool);
}

/** DRAINING: the node finishes what it runs and gets nothing new. */
export const drainExecutor = (ctx: DomainContext, name: string) => setStatus(ctx, name, "DRAINING");

export const resumeExecutor = (ctx: DomainContext, name: string) => setStatus(ctx, name, "ACTIVE");

async function setStatus(
  ctx: DomainContext,
  name: string,
  status: ExecutorStatus,
): Promise<NodeWithLoad> {
  requirePlatformAdmin(ctx.actor);
  return inTransaction(ctx.db.pool, async (tx) => {
    const { rows } = await tx.query<NodeRow>(
      `SELECT * FROM "ExecutorNode" WHERE name = $1 FOR UPDATE`,
      [name],
    );
    const before = rows[0];
    if (!before) throw new NotFoundError("executor", name);
    if (before.status === status) {
      throw new InvalidStateError(`executor ${name} is already ${status}`, { status });
    }
    await tx.query(`UPDATE "ExecutorNode" SET status = $2::"ExecutorStatus" WHERE id = $1`, [
      before.id,
      status,
    ]);
    await announceNode(tx, before.id);
    await recordAuditSql(tx, ctx, {
      action: status === "DRAINING" ? "executor.drain" : "executor.resume",
      targetType: "ExecutorNode",
      targetId: before.id,
      before: { status: before.status },
      after: { status },
    });
    return (await nodesWithLoad(tx, before.id))[0] as NodeWithLoad;
  });
}
