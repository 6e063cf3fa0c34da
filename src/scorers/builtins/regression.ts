// regression_rmse: scikit-learn's mean_squared_error, mean_absolute_error and r2_score, with
// rmse = sqrt(mse). Sums are correctly rounded, so row order never changes a metric.
import { statSync } from "node:fs";
import { z } from "zod";
import { jsonSchemaOf, parseParams, scorerParams } from "../params.ts";
import type { ScorerOutput } from "../result.ts";
import { ExactSum } from "../tabular/exact-sum.ts";
import { readGroundTruth, readPredictions } from "../tabular/read-table.ts";
import type { ScoreContext, Scorer } from "../types.ts";

const paramsSchema = scorerParams({
  idColumn: z.string().min(1).default("id").describe("Column joining predictions to ground truth"),
  valueColumn: z.string().min(1).default("value").describe("Column holding the numeric target"),
});

export function regressionMetrics(
  truth: Float64Array,
  predicted: Float64Array,
  n: number,
): Record<string, number> {
  const squared = new ExactSum();
  const absolute = new ExactSum();
  const total = new ExactSum();
  for (let i = 0; i < n; i++) {
    const t = truth[i] as number;
    const d = t - (predicted[i] as number);
    squared.add(d * d);
    absolute.add(Math.abs(d));
    total.add(t);
  }
  const mean = total.value() / n;
  const spread = new ExactSum();
  for (let i = 0; i < n; i++) {
    const d = (truth[i] as number) - mean;
    spread.add(d * d);
  }
  const residual = squared.value();
  const denominator = spread.value();
  const mse = residual / n;
  // sklearn: a constant ground truth gives r2 = 1 for a perfect fit and 0 otherwise.
  const r2 = denominator !== 0 ? 1 - residual / denominator : residual === 0 ? 1 : 0;
  return { rmse: Math.sqrt(mse), mse, mae: absolute.value() / n, r2 };
}

async function scoreRegression(ctx: ScoreContext): Promise<ScorerOutput> {
  const params = parseParams(paramsSchema, ctx.params);
  const spec = {
    idColumn: params.idColumn,
    valueColumn: params.valueColumn,
    kind: "number" as const,
  };
  const limits = {
    maxBytes: ctx.caps.maxCsvBytes,
    signal: ctx.signal,
    defectCap: ctx.caps.defectCap,
  };
  const gt = await readGroundTruth(ctx.gtPath, ctx.gtFile, spec, limits, statSync(ctx.gtPath).size);
  const pred = await readPredictions(ctx.predPath, ctx.predFile, spec, gt, limits, ctx.gtFile);
  return {
    metrics: regressionMetrics(gt.values, pred.values, gt.rows),
    artifacts: { rows: gt.rows },
  };
}

export const regressionRmse: Scorer = {
  name: "regression_rmse",
  version: "1.0.0",
  kind: "BUILTIN",
  description:
    "Regression from CSV (id, value); scikit-learn parity. Metrics: rmse, mse, mae, r2. Default score: rmse (lower is better).",
  paramsSchema: jsonSchemaOf(paramsSchema),
  defaultMetric: "rmse",
  format: "csv",
  run: scoreRegression,
};
