// revealPhase: shows a private phase's scores and ranks to the teams (platform admins only,
// audited). Live leaderboards update at once.
import { inTransaction } from "../../db/sql.ts";
import { recordAuditSql } from "../audit/record.ts";
import type { DomainContext } from "../context.ts";
import { InvalidStateError, NotFoundError } from "../errors.ts";
import { requirePlatformAdmin } from "../principal.ts";
import { announce } from "./entries.ts";

export interface RevealedPhase {
  competitionId: string;
  phaseId: string;
  revealedAt: Date;
}

export async function revealPhase(
  ctx: DomainContext,
  competitionSlug: string,
  phaseSlug: string,
): Promise<RevealedPhase> {
  requirePlatformAdmin(ctx.actor);
  return inTransaction(ctx.db.pool, async (tx) => {
    const { rows } = await tx.query<{
      competitionId: string;
      phaseId: string;
      private: boolean;
      revealedAt: Date | null;
    }>(
      `SELECT c.id AS "competitionId", p.id AS "phaseId", p.private, p."revealedAt"
         FROM "Competition" c JOIN "Phase" p ON p."competitionId" = c.id
        WHERE c.slug = $1 AND p.slug = $2 FOR UPDATE OF p`,
      [competitionSlug, phaseSlug],
    );
    const phase = rows[0];
    if (!phase) throw new NotFoundError("phase", `${competitionSlug}/${phaseSlug}`);
    if (!phase.private) throw new InvalidStateError("the phase is public: nothing to reveal");
    if (phase.revealedAt) {
      throw new InvalidStateError("the phase is already revealed", {
        revealedAt: phase.revealedAt.toISOString(),
      });
    }
    const {
      rows: [updated],
    } = await tx.query<{ revealedAt: Date }>(
      `UPDATE "Phase" SET "revealedAt" = now() WHERE id = $1 RETURNING "revealedAt"`,
      [phase.phaseId],
    );
    const revealedAt = (updated as { revealedAt: Date }).revealedAt;
    await recordAuditSql(tx, ctx, {
      action: "phase.reveal",
      targetType: "Phase",
      targetId: phase.phaseId,
      before: { revealedAt: null },
      after: { revealedAt },
    });
    await announce(tx, [{ competitionId: phase.competitionId, phaseId: phase.phaseId }]);
    return { competitionId: phase.competitionId, phaseId: phase.phaseId, revealedAt };
  });
}
