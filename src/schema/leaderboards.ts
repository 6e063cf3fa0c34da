// Leaderboards: each tenant's best entry per competition phase, in rank order, read once or
// followed live; and revealing a private phase's scores.
import type { KeysetPage } from "../db/keyset-page.ts";
import {
  getLeaderboard,
  type HiddenRow,
  type LeaderboardBoard,
  type LeaderboardRow,
} from "../domain/leaderboards/read.ts";
import { revealPhase } from "../domain/leaderboards/reveal.ts";
import type { Principal } from "../domain/principal.ts";
import { followLeaderboard, unwrap } from "../realtime/subscriptions.ts";
import { builder } from "./builder.ts";
import { keysetConnection } from "./connections.ts";
import { SortOrder } from "./enums.ts";

/** A team as every leaderboard viewer may see it: its name, nothing of its account. */
const LeaderboardTeam = builder
  .objectRef<Pick<LeaderboardRow, "tenantSlug" | "tenantName">>("LeaderboardTeam")
  .implement({
    fields: (t) => ({ slug: t.exposeString("tenantSlug"), name: t.exposeString("tenantName") }),
  });

/** An entry as one viewer sees it: scores hidden while a private phase is not revealed. */
interface ViewedEntry {
  row: LeaderboardRow | HiddenRow;
  viewer: Principal | null;
  /** 1-based place in the board's order: the key its connection pages by. */
  position: number;
}

/** The board's rows a viewer pages through: ranked, or by name while scores are hidden. */
const rowsOf = (board: LeaderboardBoard): Array<LeaderboardRow | HiddenRow> =>
  board.scoresHidden ? board.hidden : board.entries;

const isScored = (row: LeaderboardRow | HiddenRow): row is LeaderboardRow => "rank" in row;

const LeaderboardEntryRef = builder.objectRef<ViewedEntry>("LeaderboardEntry").implement({
  fields: (t) => ({
    rank: t.int({ nullable: true, resolve: ({ row }) => (isScored(row) ? row.rank : null) }),
    team: t.field({ type: LeaderboardTeam, resolve: ({ row }) => row }),
    score: t.float({
      nullable: true,
      description: "The competition's metric; null while the phase's scores are hidden",
      resolve: ({ row }) => (isScored(row) ? row.score : null),
    }),
    metrics: t.field({
      type: "JSON",
      nullable: true,
      description: "The metric and the tie-break metrics by name",
      resolve: ({ row }) => (isScored(row) ? row.metrics : null),
    }),
    submittedAt: t.field({ type: "DateTime", resolve: ({ row }) => row.submittedAt }),
    jobId: t.id({
      nullable: true,
      description: "The entry's job: the viewer's own team's, or any for platform admins",
      resolve: ({ row, viewer }) =>
        isScored(row) && (viewer?.isPlatformAdmin || viewer?.tenantId === row.tenantId)
          ? row.jobId
          : null,
    }),
    mine: t.boolean({ resolve: ({ row, viewer }) => viewer?.tenantId === row.tenantId }),
  }),
});

const LeaderboardRef = builder.objectRef<LeaderboardBoard>("Leaderboard").implement({
  description: "A competition phase's ranking: each team's best entry",
  fields: (t) => ({
    competition: t.string({ resolve: (b) => b.competition.slug }),
    title: t.string({ resolve: (b) => b.competition.title }),
    phase: t.string({ resolve: (b) => b.phase.slug }),
    phaseName: t.string({ resolve: (b) => b.phase.name }),
    metric: t.string({ resolve: (b) => b.competition.metric }),
    tiebreakMetrics: t.stringList({ resolve: (b) => b.competition.tiebreakMetrics }),
    sortOrder: t.field({ type: SortOrder, resolve: (b) => b.competition.sortOrder }),
    private: t.boolean({ resolve: (b) => b.phase.private }),
    revealedAt: t.field({ type: "DateTime", nullable: true, resolve: (b) => b.phase.revealedAt }),
    scoresHidden: t.boolean({
      description: "A private phase not yet revealed: teams see who entered, not how they did",
      resolve: (b) => b.scoresHidden,
    }),
    teams: t.int({
      description: "Teams with an entry",
      resolve: (b) => (b.scoresHidden ? b.hidden.length : b.entries.length),
    }),
    entries: t.connection({
      type: LeaderboardEntryRef,
      description: "In rank order (by name while scores are hidden)",
      resolve: (board, args, ctx) =>
        keysetConnection(
          args,
          async (page: KeysetPage<number>) => {
            // The board is in memory: positions in it are the keys.
            const entries = rowsOf(board)
              .map((row, i) => ({ row, viewer: ctx.actor, position: i + 1 }))
              .filter(
                (e) =>
                  (page.after === undefined || e.position > page.after) &&
                  (page.before === undefined || e.position < page.before),
              );
            return (page.inverted ? entries.reverse() : entries).slice(0, page.limit);
          },
          (entry) => entry.position,
        ),
    }),
    own: t.field({
      type: LeaderboardEntryRef,
      nullable: true,
      description: "The viewer's own team's entry, if it has one",
      resolve: (board, _args, ctx) => {
        const rows = rowsOf(board);
        const index = rows.findIndex((r) => r.tenantId === ctx.actor?.tenantId);
        const row = rows[index];
        return row ? { row, viewer: ctx.actor, position: index + 1 } : null;
      },
    }),
  }),
});

const RevealedPhaseRef = builder
  .objectRef<{ competition: string; phase: string; revealedAt: Date }>("RevealedPhase")
  .implement({
    fields: (t) => ({
      competition: t.exposeString("competition"),
      phase: t.exposeString("phase"),
      revealedAt: t.expose("revealedAt", { type: "DateTime" }),
    }),
  });

builder.queryFields((t) => ({
  leaderboard: t.field({
    type: LeaderboardRef,
    description: "A phase's ranking (default: the phase open now, else the latest opened)",
    authScopes: { authenticated: true },
    errors: {},
    args: { competition: t.arg.string({ required: true }), phase: t.arg.string() },
    resolve: (_root, args, ctx) => getLeaderboard(ctx.domain, args.competition, args.phase ?? null),
  }),
}));

builder.subscriptionFields((t) => ({
  leaderboardUpdated: t.field({
    type: LeaderboardRef,
    description: "A phase's ranking, now and whenever it changes",
    authScopes: { authenticated: true },
    args: { competition: t.arg.string({ required: true }), phase: t.arg.string() },
    subscribe: (_root, args, ctx) =>
      followLeaderboard(ctx.domain, ctx.services.live, args.competition, args.phase ?? null),
    resolve: (payload) => unwrap(payload),
  }),
}));

builder.mutationFields((t) => ({
  revealPhase: t.field({
    type: RevealedPhaseRef,
    description: "Show a private phase's scores and ranks to the teams",
    authScopes: { platformAdmin: true },
    errors: {},
    args: {
      competition: t.arg.string({ required: true }),
      phase: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, ctx) => {
      const revealed = await revealPhase(ctx.domain, args.competition, args.phase);
      return { competition: args.competition, phase: args.phase, revealedAt: revealed.revealedAt };
    },
  }),
}));
