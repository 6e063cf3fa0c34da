// The Scorer interface: built-ins and plugins look the same to the registry and to
// scoreWorkspace. A scorer reads the workspace's ground truth and predictions and returns
// metrics; the summary, timing and versioning are added around it.
import type { ScorerOutput } from "./result.ts";

export type ScorerKind = "BUILTIN" | "PLUGIN";
/** Which ground-truth/prediction files a scorer reads; "any" takes whichever exists. */
export type InputFormat = "csv" | "json" | "any";

export interface ReadCaps {
  /** Largest CSV file accepted (bytes). */
  maxCsvBytes: number;
  /** Largest JSON file accepted (bytes); JSON is parsed whole, so this cap is lower. */
  maxJsonBytes: number;
  /** Defects listed per file before the rest are only counted. */
  defectCap: number;
}

export interface ScoreContext {
  workspace: string;
  gtPath: string;
  predPath: string;
  /** Workspace-relative names for error details, e.g. `input/gt.csv`. */
  gtFile: string;
  predFile: string;
  params: Record<string, unknown>;
  caps: ReadCaps;
  signal?: AbortSignal;
}

export interface ScorerInfo {
  name: string;
  version: string;
  kind: ScorerKind;
  description: string;
  /** JSON Schema of the params object. */
  paramsSchema: Record<string, unknown>;
  defaultMetric: string;
  format: InputFormat;
}

export interface Scorer extends ScorerInfo {
  /**
   * `version` and `defaultMetric` override the registered ones when a plugin reports what
   * the code it actually ran declares (it may have been edited since it was loaded).
   */
  run(ctx: ScoreContext): Promise<ScorerOutput & { version?: string; defaultMetric?: string }>;
}
