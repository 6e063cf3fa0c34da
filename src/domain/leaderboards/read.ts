// Reading a leaderboard: a competition phase's entries in rank order, as the caller may see
// them. Who may look is the competition's `leaderboardVisibility` (PUBLIC: every signed-in
// caller; PARTICIPANTS: platform admins and tenants that entered the competition; HIDDEN:
// platform admins). A private phase hides scores and ranks from teams until an admin
// reveals it: teams then see who entered and when, and admins see everything.
import type { Sql } from "../../db/sql.ts";
import type { SortOrder } from "../../generated/prisma/enums.ts";
import type { DomainContext } from "../context.ts";
import { ForbiddenError, NotFoundError } from "../errors.ts";
import { type Principal, requireAuthenticated } from "../principal.ts";

export interface LeaderboardRow {
  rank: number;
  tenantId: string;
  tenantSlug: string;
  tenantName: string;
  jobId: string;
  score: number;
  metrics: Record<string, number | null>;
  submittedAt: Date;
}

/** An entry whose score is hidden: only that the team entered, and when. */
export type HiddenRow = Pick<
  LeaderboardRow,
  "tenantId" | "tenantSlug" | "tenantName" | "submittedAt"
>;

export interface LeaderboardBoard {
  competition: {
    id: string;
    slug: string;
    title: string;
    metric: string;
    tiebreakMetrics: string[];
    sortOrder: SortOrder;
  };
  phase: { id: string; slug: string; name: string; private: boolean; revealedAt: Date | null };
  /** Scores and ranks are hidden from this view (a private phase not yet revealed). */
  scoresHidden: boolean;
  /** In rank order; empty when scores are hidden. */
  entries: LeaderboardRow[];
  /** Who entered, when scores are hidden; empty otherwise. */
  hidden: HiddenRow[];
}

/** Admins see everything; everyone else sees what teams see. */
export type LeaderboardView = "admin" | "team";

export const viewOf = (actor: Principal): LeaderboardView =>
  actor.isPlatformAdmin ? "admin" : "team";

export interface Target {
  competitionId: string;
  competitionSlug: string;
  title: string;
  metric: string;
  tiebreakMetrics: string[];
  sortOrder: SortOrder;
  visibility: "PUBLIC" | "PARTICIPANTS" | "HIDDEN";
  phaseId: string;
  phaseSlug: string;
  phaseName: string;
  private: boolean;
  revealedAt: Date | null;
}

const TARGET_SQL = `
  SELECT c.id AS "competitionId", c.slug AS "competitionSlug", c.title, c.metric,
         c."tiebreakMetrics", c."sortOrder", c."leaderboardVisibility" AS visibility,
         p.id AS "phaseId", p.slug AS "phaseSlug", p.name AS "phaseName", p.private,
         p."revealedAt", p."startsAt", p."endsAt"
    FROM "Competition" c JOIN "Phase" p ON p."competitionId" = c.id`;

/** A phase's leaderboard target as it is now (its rules may have changed since). */
export async function leaderboardTargetOf(sql: Sql, phaseId: string): Promise<Target> {
  const { rows } = await sql.query<Target & { startsAt: unknown; endsAt: unknown }>(
    `${TARGET_SQL} WHERE p.id = $1`,
    [phaseId],
  );
  const row = rows[0];
  if (!row) throw new NotFoundError("phase", phaseId);
  const { startsAt: _s, endsAt: _e, ...target } = row;
  return target;
}

/**
 * The phase a leaderboard shows: the one named, else the one open now, else the latest
 * to have opened. Checks that the caller may see the competition's leaderboard at all.
 */
export async function leaderboardTarget(
  ctx: DomainContext,
  competitionSlug: string,
  phaseSlug: string | null,
): Promise<Target> {
  const actor = requireAuthenticated(ctx.actor);
  const { rows } = await ctx.db.pool.query<Target & { startsAt: Date | null; endsAt: Date | null }>(
    `${TARGET_SQL} WHERE c.slug = $1 ORDER BY p."startsAt" NULLS FIRST, p.slug`,
    [competitionSlug],
  );
  if (rows.length === 0) throw new NotFoundError("competition", competitionSlug);
  const now = ctx.now?.() ?? new Date();
  const open = rows.filter(
    (p) => (!p.startsAt || p.startsAt <= now) && (!p.endsAt || now < p.endsAt),
  );
  const started = rows.filter((p) => !p.startsAt || p.startsAt <= now);
  const phase = phaseSlug
    ? rows.find((p) => p.phaseSlug === phaseSlug)
    : (open[0] ?? started.at(-1) ?? rows[0]);
  if (!phase) throw new NotFoundError("phase", phaseSlug ?? "");
  await requireMayView(ctx.db.pool, actor, phase);
  const { startsAt: _s, endsAt: _e, ...target } = phase;
  return target;
}

async function requireMayView(sql: Sql, actor: Principal, target: Target): Promise<void> {
  if (actor.isPlatformAdmin || target.visibility === "PUBLIC") return;
  if (target.visibility === "HIDDEN") {
    throw new ForbiddenError("this competition's leaderboard is not published");
  }
  const { rows } = await sql.query(
    `SELECT 1 FROM "Job" WHERE "competitionId" = $1 AND "tenantId" = $2 LIMIT 1`,
    [target.competitionId, actor.tenantId],
  );
  if (rows.length === 0) {
    throw new ForbiddenError("this leaderboard is shown to the competition's participants only");
  }
}

/** The board of `target` as `view` sees it: every entry, in rank order. */
export async function readLeaderboard(
  sql: Sql,
  target: Target,
  view: LeaderboardView,
): Promise<LeaderboardBoard> {
  const { rows } = await sql.query<LeaderboardRow>(
    `SELECT row_number() OVER (ORDER BY e."rankKey", e."submittedAt")::int AS rank,
            e."tenantId", t.slug AS "tenantSlug", t.name AS "tenantName", e."jobId", e.score,
            e.metrics, e."submittedAt"
       FROM "LeaderboardEntry" e JOIN "Tenant" t ON t.id = e."tenantId"
      WHERE e."phaseId" = $1
      ORDER BY e."rankKey", e."submittedAt"`,
    [target.phaseId],
  );
  const scoresHidden = view === "team" && target.private && target.revealedAt === null;
  return {
    competition: {
      id: target.competitionId,
      slug: target.competitionSlug,
      title: target.title,
      metric: target.metric,
      tiebreakMetrics: target.tiebreakMetrics,
      sortOrder: target.sortOrder,
    },
    phase: {
      id: target.phaseId,
      slug: target.phaseSlug,
      name: target.phaseName,
      private: target.private,
      revealedAt: target.revealedAt,
    },
    scoresHidden,
    entries: scoresHidden ? [] : rows,
    hidden: scoresHidden
      ? rows
          .map(({ tenantId, tenantSlug, tenantName, submittedAt }) => ({
            tenantId,
            tenantSlug,
            tenantName,
            submittedAt,
          }))
          // Entry order would hint at the ranking: teams see them by name.
          .sort((a, b) => a.tenantSlug.localeCompare(b.tenantSlug))
      : [],
  };
}

/** The leaderboard query: the target the caller may see, read for the caller's view. */
export async function getLeaderboard(
  ctx: DomainContext,
  competitionSlug: string,
  phaseSlug: string | null,
): Promise<LeaderboardBoard> {
  const target = await leaderboardTarget(ctx, competitionSlug, phaseSlug);
  return readLeaderboard(ctx.db.pool, target, viewOf(requireAuthenticated(ctx.actor)));
}
