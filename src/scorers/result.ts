// The Result every scorer produces (docs/contract.md) and the summary rules shared by all of
// them: which metric is the score, and how thresholds turn it into a rank and pass/fail.
import { z } from "zod";
import { ScoringError } from "./errors.ts";

export interface Result {
  summary: { score: number; rank: string | null; pass: boolean };
  metrics: Record<string, number>;
  artifacts: Record<string, unknown>;
  timing: { total_time: number };
  versioning: { scorer: string; version: string; timestamp: string };
}

/** What a scorer computes; scoreWorkspace adds the summary, timing and versioning. */
export interface ScorerOutput {
  metrics: Record<string, number>;
  artifacts?: Record<string, unknown>;
}

/** Parameters every scorer accepts; scorers add their own on top. */
export const summaryParamsSchema = z.object({
  /** Metric used as the summary score; each scorer has a default. */
  metric: z.string().min(1).optional(),
  /** Rank name → threshold, e.g. {"A": 0.9, "B": 0.8}. The best rank reached wins. */
  thresholds: z.record(z.string().min(1), z.number().finite()).optional(),
  /** Rank given when no threshold is reached (default "F"). */
  belowRank: z.string().min(1).optional(),
  /** Score needed to pass; absent, every scored submission passes. */
  passThreshold: z.number().finite().optional(),
});
export type SummaryParams = z.infer<typeof summaryParamsSchema>;

/** Metrics where smaller is better; thresholds are then upper bounds. */
const LOWER_IS_BETTER = new Set(["rmse", "mse", "mae", "log_loss", "loss", "error"]);

export function lowerIsBetter(metric: string): boolean {
  return LOWER_IS_BETTER.has(metric);
}

/** Ranks for metrics in [0, 1] when a competition configures none. */
const DEFAULT_THRESHOLDS: Record<string, number> = { A: 0.9, B: 0.8, C: 0.7, D: 0.6 };
const BOUNDED_METRICS = /^(accuracy|f1_|precision_|recall_|map|mar)/;

export function summarize(
  metrics: Record<string, number>,
  params: SummaryParams,
  defaultMetric: string,
): Result["summary"] {
  const metric = params.metric ?? defaultMetric;
  const score = metrics[metric];
  if (score === undefined) {
    throw new ScoringError(
      "INVALID_VALUE",
      `params.metric "${metric}" is not a metric of this scorer`,
      {
        param: "metric",
        available: Object.keys(metrics),
      },
    );
  }
  const lower = lowerIsBetter(metric);
  const meets = (threshold: number) => (lower ? score <= threshold : score >= threshold);
  const thresholds =
    params.thresholds ?? (BOUNDED_METRICS.test(metric) ? DEFAULT_THRESHOLDS : undefined);
  let rank: string | null = null;
  if (thresholds) {
    const ordered = Object.entries(thresholds).sort(([, a], [, b]) => (lower ? a - b : b - a));
    rank = ordered.find(([, threshold]) => meets(threshold))?.[0] ?? params.belowRank ?? "F";
  }
  const pass = params.passThreshold === undefined ? true : meets(params.passThreshold);
  return { score, rank, pass };
}
