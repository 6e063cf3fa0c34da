// A plugin file described by a sandboxed `describe` run, wrapped as a Scorer whose every
// run is another sandboxed task. The output is checked here, in the host, before it can
// reach a Result.
import { ScoringError } from "../errors.ts";
import type { ScorerOutput } from "../result.ts";
import type { ScoreContext, Scorer } from "../types.ts";
import { PLUGIN_NAME } from "./api.ts";
import { type PluginInfoMessage, runPluginTask, type SandboxLimits } from "./sandbox.ts";

/** The plugin's exports as the host accepts them; a string explains what is wrong. */
export function checkInfo(info: PluginInfoMessage): string | null {
  if (typeof info.name !== "string" || !PLUGIN_NAME.test(info.name)) {
    return `export "name" must match ${PLUGIN_NAME} (got ${JSON.stringify(info.name)})`;
  }
  if (typeof info.version !== "string" || info.version.trim() === "" || info.version.length > 64) {
    return `export "version" must be a non-empty string (got ${JSON.stringify(info.version)})`;
  }
  return null;
}

function checkOutput(output: unknown, file: string): ScorerOutput {
  const bad = (why: string) =>
    new ScoringError("SCORER_FAILED", `plugin returned an invalid result: ${why}`, {
      plugin: file,
      reason: "BAD_OUTPUT",
    });
  if (typeof output !== "object" || output === null) throw bad("expected { metrics, artifacts? }");
  const { metrics, artifacts } = output as { metrics?: unknown; artifacts?: unknown };
  if (typeof metrics !== "object" || metrics === null || Array.isArray(metrics))
    throw bad("metrics must be an object");
  const entries = Object.entries(metrics);
  if (entries.length === 0) throw bad("metrics is empty");
  for (const [name, value] of entries) {
    if (typeof value !== "number" || !Number.isFinite(value))
      throw bad(`metric ${name} is not a finite number`);
  }
  if (
    artifacts !== undefined &&
    (typeof artifacts !== "object" || artifacts === null || Array.isArray(artifacts))
  ) {
    throw bad("artifacts must be an object");
  }
  return {
    metrics: metrics as Record<string, number>,
    artifacts: (artifacts ?? {}) as Record<string, unknown>,
  };
}

export function pluginScorer(file: string, info: PluginInfoMessage, limits: SandboxLimits): Scorer {
  return {
    name: info.name as string,
    version: info.version as string,
    kind: "PLUGIN",
    description: info.description,
    paramsSchema: info.paramsSchema,
    defaultMetric: info.defaultMetric ?? "",
    format: info.format,
    async run(ctx: ScoreContext) {
      const input = {
        workspace: ctx.workspace,
        gtPath: ctx.gtPath,
        predPath: ctx.predPath,
        gtFile: ctx.gtFile,
        predFile: ctx.predFile,
        params: ctx.params,
      };
      const reply = await runPluginTask(file, { kind: "score", input }, limits, ctx.signal);
      const output = checkOutput(reply.output, file);
      const ran = checkInfo(reply.info) === null ? (reply.info.version as string) : undefined;
      // Without a declared default metric, the first metric returned is the score.
      const defaultMetric = reply.info.defaultMetric ?? Object.keys(output.metrics)[0];
      return { ...output, version: ran, defaultMetric };
    },
  };
}
