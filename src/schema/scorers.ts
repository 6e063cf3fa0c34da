// Scorers: the built-ins and loaded plugins, and the admin's reload.

import { listScorers, reloadScorers } from "../domain/scorers.ts";
import type { PluginLoadError, ReloadReport, ScorerInfo } from "../scorers/index.ts";
import { builder } from "./builder.ts";

const ScorerKind = builder.enumType("ScorerKind", { values: ["BUILTIN", "PLUGIN"] });

const ScorerRef = builder.objectRef<ScorerInfo>("Scorer").implement({
  description: "A scorer jobs and competitions can name",
  fields: (t) => ({
    name: t.exposeString("name"),
    version: t.exposeString("version", { description: "Recorded in every Result's versioning" }),
    kind: t.field({ type: ScorerKind, resolve: (s) => s.kind }),
    description: t.exposeString("description"),
    paramsSchema: t.field({
      type: "JSON",
      description: "JSON Schema of scorerParams",
      resolve: (s) => s.paramsSchema,
    }),
    defaultMetric: t.exposeString("defaultMetric", {
      description:
        "The summary score when params.metric is absent; empty when a plugin picks its first metric",
    }),
    format: t.exposeString("format", { description: "Input files it reads: csv, json or any" }),
  }),
});

const ScorerLoadErrorRef = builder.objectRef<PluginLoadError>("ScorerLoadError").implement({
  description: "A plugin file that did not load",
  fields: (t) => ({ file: t.exposeString("file"), message: t.exposeString("message") }),
});

const ReloadScorersResult = builder.objectRef<ReloadReport>("ReloadScorersResult").implement({
  fields: (t) => ({
    scorers: t.field({ type: [ScorerRef], resolve: (r) => r.scorers }),
    errors: t.field({ type: [ScorerLoadErrorRef], resolve: (r) => r.errors }),
  }),
});

builder.queryFields((t) => ({
  scorers: t.field({
    type: [ScorerRef],
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => listScorers(ctx.domain, ctx.services.scorers),
  }),
}));

builder.mutationFields((t) => ({
  reloadScorers: t.field({
    type: ReloadScorersResult,
    description: "Reloads scorer plugins from the plugin folder now (admins only; audited)",
    authScopes: { platformAdmin: true },
    errors: {},
    resolve: (_root, _args, ctx) => reloadScorers(ctx.domain, ctx.services.scorers),
  }),
}));
