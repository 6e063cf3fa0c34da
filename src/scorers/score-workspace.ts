// The one entry point that scores a workspace: used by the CLI and by the job worker.
// It finds the inputs, runs the scorer, builds the Result and writes output/result.json.
// Bad input is a ScoringError with a code from docs/contract.md; nothing else escapes as a score.
import { isScoringErrorCode, ScoringError } from "./errors.ts";
import { parseParams } from "./params.ts";
import { type Result, summarize, summaryParamsSchema } from "./result.ts";
import type { ReadCaps, Scorer } from "./types.ts";
import { locateInputs, type WriteResult, writeResult } from "./workspace.ts";

/** What scoreWorkspace needs from a registry. */
export interface ScorerLookup {
  get(name: string): Scorer | undefined;
  readonly caps: ReadCaps;
}

export interface ScoreWorkspaceInput {
  workspace: string;
  scorer: string;
  params: unknown;
  signal?: AbortSignal;
  /** Writes output/result.json; writeResult (this thread's own calls) when not given. */
  write?: WriteResult;
}

function checkMetrics(metrics: Record<string, number>, scorer: string): void {
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      // Only possible with extreme values (e.g. squares overflowing): refuse, never report NaN.
      throw new ScoringError(
        "INVALID_VALUE",
        `metric ${name} of ${scorer} is not finite (${value}); values are out of range`,
        {
          metric: name,
        },
      );
    }
  }
}

export async function scoreWorkspace(
  registry: ScorerLookup,
  input: ScoreWorkspaceInput,
): Promise<Result> {
  const started = performance.now();
  const scorer = registry.get(input.scorer);
  if (!scorer) {
    throw new ScoringError("UNKNOWN_SCORER", `no scorer named "${input.scorer}"`, {
      scorer: input.scorer,
    });
  }
  const params = input.params ?? {};
  if (typeof params !== "object" || Array.isArray(params)) {
    throw new ScoringError("INVALID_VALUE", "params must be a JSON object", { param: "params" });
  }
  const summaryParams = parseParams(summaryParamsSchema, pick(params as Record<string, unknown>));
  const inputs = locateInputs(input.workspace, scorer.format);
  input.signal?.throwIfAborted();
  let output: Awaited<ReturnType<Scorer["run"]>>;
  try {
    output = await scorer.run({
      workspace: input.workspace,
      ...inputs,
      params: params as Record<string, unknown>,
      caps: registry.caps,
      signal: input.signal,
    });
  } catch (error) {
    if (error instanceof ScoringError || input.signal?.aborted) throw error;
    // A built-in failing on input it accepted is our bug; report it, keep the cause.
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown } | null)?.code;
    throw new ScoringError(
      isScoringErrorCode(code) ? code : "SCORER_FAILED",
      `scorer ${scorer.name} failed: ${message}`,
      { scorer: scorer.name },
      { cause: error },
    );
  }
  checkMetrics(output.metrics, scorer.name);
  const result: Result = {
    summary: summarize(output.metrics, summaryParams, output.defaultMetric || scorer.defaultMetric),
    metrics: output.metrics,
    artifacts: output.artifacts ?? {},
    timing: { total_time: 0 },
    versioning: {
      scorer: scorer.name,
      version: output.version ?? scorer.version,
      timestamp: new Date().toISOString(),
    },
  };
  result.timing.total_time = (performance.now() - started) / 1000;
  await (input.write ?? writeResult)(input.workspace, result);
  return result;
}

/** The summary params out of a scorer's params (scorers check their own keys). */
function pick(params: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(summaryParamsSchema.shape);
  return Object.fromEntries(Object.entries(params).filter(([k]) => keys.includes(k)));
}
