// The plugin API (see docs/scorers.md). A plugin is one ES module file in the configured
// plugin folder; it runs in a worker thread with a time and heap limit, never in the host.

/** What a plugin's `score` receives. Paths are absolute; the plugin reads the files itself. */
export interface PluginScoreInput {
  workspace: string;
  gtPath: string;
  predPath: string;
  /** Workspace-relative names, e.g. `input/gt.csv`, for messages. */
  gtFile: string;
  predFile: string;
  params: Record<string, unknown>;
}

/** What `score` returns (or resolves to): finite numeric metrics and optional JSON artifacts. */
export interface PluginScoreOutput {
  metrics: Record<string, number>;
  artifacts?: Record<string, unknown>;
}

/** The module's exports. */
export interface PluginModule {
  name: string;
  version: string;
  description?: string;
  /** JSON Schema of the params, shown by the `scorers` query. */
  paramsSchema?: Record<string, unknown>;
  /** Summary metric when params.metric is absent (default: the first metric returned). */
  defaultMetric?: string;
  /** Which files to read: "csv" (gt.csv, pred.csv), "json", or "any" (default). */
  format?: "csv" | "json" | "any";
  score(input: PluginScoreInput): PluginScoreOutput | Promise<PluginScoreOutput>;
}

/** Extensions loaded from the plugin folder; Node strips TypeScript types itself. */
export const PLUGIN_EXTENSIONS = [".js", ".mjs", ".ts", ".mts"];

export const PLUGIN_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;
