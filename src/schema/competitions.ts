// Competitions and phases.
import type { KeysetPage } from "../db/keyset-page.ts";
import * as competitions from "../domain/competitions.ts";
import { builder } from "./builder.ts";
import { keysetConnection } from "./connections.ts";
import { JobState, LeaderboardVisibility, SortOrder } from "./enums.ts";
import { withoutNulls } from "./tenants.ts";

export const PhaseRef = builder.prismaObject("Phase", {
  fields: (t) => ({
    id: t.exposeID("id"),
    slug: t.exposeString("slug"),
    name: t.exposeString("name"),
    startsAt: t.expose("startsAt", { type: "DateTime", nullable: true }),
    endsAt: t.expose("endsAt", { type: "DateTime", nullable: true }),
    dailyLimit: t.exposeInt("dailyLimit", {
      nullable: true,
      description: "Counted submissions per tenant per UTC day; null for no limit",
    }),
    totalLimit: t.exposeInt("totalLimit", {
      nullable: true,
      description: "Counted submissions per tenant over the whole phase; null for no limit",
    }),
    private: t.exposeBoolean("private", {
      description: "Scores stay hidden from teams until an admin reveals the phase",
    }),
    revealedAt: t.expose("revealedAt", { type: "DateTime", nullable: true }),
  }),
});

export const CompetitionRef = builder.prismaObject("Competition", {
  fields: (t) => ({
    id: t.exposeID("id"),
    slug: t.exposeString("slug"),
    title: t.exposeString("title"),
    description: t.exposeString("description"),
    scorer: t.exposeString("scorer"),
    scorerParams: t.expose("scorerParams", { type: "JSON" }),
    metric: t.exposeString("metric", { description: "The Result metric that ranks submissions" }),
    tiebreakMetrics: t.exposeStringList("tiebreakMetrics", {
      description: "Metrics that break ties, in order; each sorts like `metric`",
    }),
    sortOrder: t.expose("sortOrder", { type: SortOrder }),
    leaderboardVisibility: t.expose("leaderboardVisibility", { type: LeaderboardVisibility }),
    resultCache: t.exposeBoolean("resultCache", {
      description: "Identical entries reuse a stored Result instead of being scored again",
    }),
    countedStates: t.expose("countedStates", {
      type: [JobState],
      description: "Submissions in these states count toward daily and total limits",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    phases: t.relation("phases", { query: { orderBy: { slug: "asc" } } }),
  }),
});

const PhaseInput = builder.inputType("PhaseInput", {
  fields: (t) => ({
    slug: t.string({ required: true }),
    name: t.string({ required: true }),
    startsAt: t.field({ type: "DateTime" }),
    endsAt: t.field({ type: "DateTime" }),
    dailyLimit: t.int(),
    totalLimit: t.int(),
    private: t.boolean({ description: "Hide scores from teams until revealed (default false)" }),
  }),
});

const CreateCompetitionInput = builder.inputType("CreateCompetitionInput", {
  fields: (t) => ({
    slug: t.string({ required: true }),
    title: t.string({ required: true }),
    description: t.string(),
    scorer: t.string({ required: true }),
    scorerParams: t.field({ type: "JSON" }),
    metric: t.string({ required: true }),
    tiebreakMetrics: t.stringList(),
    resultCache: t.boolean(),
    sortOrder: t.field({ type: SortOrder }),
    leaderboardVisibility: t.field({ type: LeaderboardVisibility }),
    countedStates: t.field({ type: [JobState] }),
    phases: t.field({ type: [PhaseInput], required: true }),
  }),
});

const UpdateCompetitionInput = builder.inputType("UpdateCompetitionInput", {
  fields: (t) => ({
    title: t.string(),
    description: t.string(),
    scorer: t.string(),
    scorerParams: t.field({ type: "JSON" }),
    metric: t.string(),
    tiebreakMetrics: t.stringList(),
    resultCache: t.boolean(),
    sortOrder: t.field({ type: SortOrder }),
    leaderboardVisibility: t.field({ type: LeaderboardVisibility }),
    countedStates: t.field({ type: [JobState] }),
  }),
});

builder.queryFields((t) => ({
  competitions: t.connection({
    type: CompetitionRef,
    authScopes: { authenticated: true },
    resolve: (_root, args, ctx) =>
      keysetConnection(
        args,
        (page: KeysetPage<string>) => competitions.listCompetitions(ctx.domain, page),
        (competition) => competition.slug,
      ),
  }),
  competition: t.field({
    type: CompetitionRef,
    authScopes: { authenticated: true },
    errors: {},
    args: { slug: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => competitions.getCompetition(ctx.domain, args.slug),
  }),
}));

builder.mutationFields((t) => ({
  createCompetition: t.field({
    type: CompetitionRef,
    authScopes: { platformAdmin: true },
    errors: {},
    args: { input: t.arg({ type: CreateCompetitionInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      competitions.createCompetition(ctx.domain, ctx.services.scorers, {
        ...withoutNulls(input),
        scorerParams: (input.scorerParams ?? undefined) as Record<string, unknown> | undefined,
        phases: input.phases.map(withoutNulls),
      }),
  }),
  updateCompetition: t.field({
    type: CompetitionRef,
    authScopes: { platformAdmin: true },
    errors: {},
    args: {
      slug: t.arg.string({ required: true }),
      input: t.arg({ type: UpdateCompetitionInput, required: true }),
    },
    resolve: (_root, args, ctx) =>
      competitions.updateCompetition(ctx.domain, ctx.services.scorers, args.slug, {
        ...withoutNulls(args.input),
        scorerParams: (args.input.scorerParams ?? undefined) as Record<string, unknown> | undefined,
      }),
  }),
}));
