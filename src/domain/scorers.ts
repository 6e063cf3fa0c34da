// Scorers as the API sees them: every caller may list them (competitions and jobs name
// one); only platform admins reload plugins, and each reload is audited.
import type { PluginLoadError, ReloadReport, ScorerInfo } from "../scorers/index.ts";
import { recordAudit } from "./audit/record.ts";
import type { DomainContext } from "./context.ts";
import { requireAuthenticated, requirePlatformAdmin } from "./principal.ts";

/** Scorer names that exist: a job or competition may only name one of these. */
export interface ScorerNames {
  has(name: string): boolean;
}

/** What the API needs of the scorer registry (src/scorers/registry.ts provides it). */
export interface ScorerCatalog extends ScorerNames {
  list(): ScorerInfo[];
  loadErrors(): PluginLoadError[];
  reload(): Promise<ReloadReport>;
}

const versions = (scorers: ScorerInfo[]) =>
  Object.fromEntries(
    scorers.map((s) => [s.name, `${s.kind === "PLUGIN" ? "plugin" : "builtin"} ${s.version}`]),
  );

export function listScorers(ctx: DomainContext, catalog: ScorerCatalog): ScorerInfo[] {
  requireAuthenticated(ctx.actor);
  return catalog.list();
}

export async function reloadScorers(
  ctx: DomainContext,
  registry: ScorerCatalog,
): Promise<ReloadReport> {
  requirePlatformAdmin(ctx.actor);
  const before = registry.list();
  const report = await registry.reload();
  // The reload itself is not transactional (it reads files); the audit row records its outcome.
  await ctx.db.prisma.$transaction(async (tx) => {
    await recordAudit(tx, ctx, {
      action: "scorers.reload",
      targetType: "ScorerRegistry",
      before: { scorers: versions(before) },
      after: { scorers: versions(report.scorers), errors: report.errors },
    });
  });
  return { ...report, scorers: [...report.scorers].sort((a, b) => a.name.localeCompare(b.name)) };
}
