// Competitions and their phases: which scorer ranks submissions, by which metric and order,
// and the submission limits. Platform admins manage them; every authenticated caller reads.
import { z } from "zod";
import type { KeysetPage } from "../db/keyset-page.ts";
import { prismaSql } from "../db/prisma-sql.ts";
import type { Competition, Phase } from "../generated/prisma/client.ts";
import { JobState } from "../generated/prisma/enums.ts";
import { recordAudit } from "./audit/record.ts";
import type { DomainContext } from "./context.ts";
import { isUniqueViolation, NotFoundError, ValidationError } from "./errors.ts";
import { rebuildLeaderboards } from "./leaderboards/entries.ts";
import { requireAuthenticated, requirePlatformAdmin } from "./principal.ts";
import type { ScorerNames } from "./scorers.ts";
import { parseInput, SLUG_PATTERN } from "./validation.ts";

const slug = z.string().regex(SLUG_PATTERN, "lower-case letters, digits and inner dashes");
const limit = z.number().int().min(0).max(1_000_000);

const phaseSchema = z
  .object({
    slug,
    name: z.string().trim().min(1).max(200),
    startsAt: z.date().nullish(),
    endsAt: z.date().nullish(),
    dailyLimit: limit.nullish(),
    totalLimit: limit.nullish(),
    private: z.boolean().nullish(),
  })
  .refine((p) => !p.startsAt || !p.endsAt || p.startsAt < p.endsAt, {
    message: "startsAt must be before endsAt",
    path: ["endsAt"],
  });

const competitionFields = {
  title: z.string().trim().min(1).max(200),
  description: z.string().max(20_000),
  scorer: z.string().min(1),
  scorerParams: z.record(z.string(), z.unknown()),
  metric: z.string().min(1).max(100),
  tiebreakMetrics: z.array(z.string().min(1).max(100)).max(5),
  resultCache: z.boolean(),
  sortOrder: z.enum(["ASC", "DESC"]),
  leaderboardVisibility: z.enum(["PUBLIC", "PARTICIPANTS", "HIDDEN"]),
  countedStates: z.array(z.enum(JobState)).max(7),
};

const createSchema = z
  .object({ slug, ...competitionFields, phases: z.array(phaseSchema).min(1).max(20) })
  .partial({
    description: true,
    scorerParams: true,
    tiebreakMetrics: true,
    resultCache: true,
    sortOrder: true,
    leaderboardVisibility: true,
    countedStates: true,
  })
  .refine((c) => new Set(c.phases.map((p) => p.slug)).size === c.phases.length, {
    message: "phase slugs must be unique",
    path: ["phases"],
  });
export type CreateCompetitionInput = z.input<typeof createSchema>;

const updateSchema = z.object(competitionFields).partial();
export type UpdateCompetitionInput = z.input<typeof updateSchema>;

export type CompetitionWithPhases = Competition & { phases: Phase[] };

/** The fields that decide how entries rank; changing one rebuilds the leaderboards. */
const RANKING = ["metric", "tiebreakMetrics", "sortOrder"] as const;

function checkScorer(scorers: ScorerNames, scorer: string | undefined): void {
  if (scorer !== undefined && !scorers.has(scorer)) {
    throw new ValidationError([{ field: "scorer", message: `unknown scorer "${scorer}"` }]);
  }
}

/**
 * Competitions, in slug order (a backward page nearest-first, see KeysetPage): public
 * information to every authenticated caller.
 */
export async function listCompetitions(
  ctx: DomainContext,
  page: KeysetPage<string>,
): Promise<Competition[]> {
  requireAuthenticated(ctx.actor);
  return ctx.db.prisma.competition.findMany({
    where: { slug: { gt: page.after, lt: page.before } },
    orderBy: { slug: page.inverted ? "desc" : "asc" },
    take: page.limit,
  });
}

export async function getCompetition(
  ctx: DomainContext,
  competitionSlug: string,
): Promise<CompetitionWithPhases> {
  requireAuthenticated(ctx.actor);
  const competition = await ctx.db.prisma.competition.findUnique({
    where: { slug: competitionSlug },
    include: { phases: { orderBy: { slug: "asc" } } },
  });
  if (!competition) throw new NotFoundError("competition", competitionSlug);
  return competition;
}

export async function createCompetition(
  ctx: DomainContext,
  scorers: ScorerNames,
  raw: CreateCompetitionInput,
): Promise<CompetitionWithPhases> {
  requirePlatformAdmin(ctx.actor);
  const { phases, ...input } = parseInput(createSchema, raw);
  checkScorer(scorers, input.scorer);
  try {
    return await ctx.db.prisma.$transaction(async (tx) => {
      const competition = await tx.competition.create({
        data: {
          ...input,
          scorerParams: (input.scorerParams ?? {}) as object,
          phases: { create: phases.map((p) => ({ ...p, private: p.private ?? false })) },
        },
        include: { phases: { orderBy: { slug: "asc" } } },
      });
      await recordAudit(tx, ctx, {
        action: "competition.create",
        targetType: "Competition",
        targetId: competition.id,
        after: competition,
      });
      return competition;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ValidationError([{ field: "slug", message: `"${input.slug}" is already taken` }]);
    }
    throw error;
  }
}

export async function updateCompetition(
  ctx: DomainContext,
  scorers: ScorerNames,
  competitionSlug: string,
  raw: UpdateCompetitionInput,
): Promise<CompetitionWithPhases> {
  requirePlatformAdmin(ctx.actor);
  const input = parseInput(updateSchema, raw);
  checkScorer(scorers, input.scorer);
  return ctx.db.prisma.$transaction(async (tx) => {
    const before = await tx.competition.findUnique({
      where: { slug: competitionSlug },
      include: { phases: { orderBy: { slug: "asc" } } },
    });
    if (!before) throw new NotFoundError("competition", competitionSlug);
    const after = await tx.competition.update({
      where: { id: before.id },
      data: {
        ...input,
        ...(input.scorerParams ? { scorerParams: input.scorerParams as object } : {}),
      },
      include: { phases: { orderBy: { slug: "asc" } } },
    });
    // What ranks entries changed: every entry's key (and maybe which job is best) with it.
    if (RANKING.some((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]))) {
      await rebuildLeaderboards(prismaSql(tx), before.id);
    }
    await recordAudit(tx, ctx, {
      action: "competition.update",
      targetType: "Competition",
      targetId: before.id,
      before,
      after,
    });
    return after;
  });
}
