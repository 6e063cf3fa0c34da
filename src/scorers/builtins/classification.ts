// classification_f1 and classification_accuracy: scikit-learn's accuracy_score and
// precision/recall/f1 (macro, micro, weighted) with `labels` = the classes present in the
// ground truth and zero_division=0. Both scorers compute every metric; they differ in the
// default summary metric.

import { statSync } from "node:fs";
import { z } from "zod";
import { jsonSchemaOf, parseParams, scorerParams } from "../params.ts";
import type { ScorerOutput } from "../result.ts";
import { ExactSum } from "../tabular/exact-sum.ts";
import { type Codes, readGroundTruth, readPredictions } from "../tabular/read-table.ts";
import type { ScoreContext, Scorer } from "../types.ts";

const paramsSchema = scorerParams({
  idColumn: z.string().min(1).default("id").describe("Column joining predictions to ground truth"),
  labelColumn: z.string().min(1).default("label").describe("Column holding the class label"),
});

const METRICS = [
  "accuracy",
  "f1_macro",
  "f1_micro",
  "f1_weighted",
  "precision_macro",
  "recall_macro",
];

export interface ClassReport {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** sklearn's _prf_divide with zero_division=0. */
const divide = (numerator: number, denominator: number) =>
  denominator === 0 ? 0 : numerator / denominator;

/** sklearn 1.2's F-beta with beta=1: (1 + β²)·p·r / (β²·p + r), a zero denominator read as 1. */
function fScore(precision: number, recall: number): number {
  let denominator = precision + recall;
  if (denominator === 0) denominator = 1;
  return (2 * precision * recall) / denominator;
}

function mean(values: number[]): number {
  const sum = new ExactSum();
  for (const v of values) sum.add(v);
  return sum.value() / values.length;
}

function weightedMean(values: number[], weights: number[]): number {
  const sum = new ExactSum();
  let total = 0;
  values.forEach((v, i) => {
    sum.add(v * (weights[i] as number));
    total += weights[i] as number;
  });
  return total === 0 ? 0 : sum.value() / total;
}

/** Metrics from ground-truth and predicted class codes; `otherCode` marks unseen labels. */
export function classificationMetrics(
  truth: Codes,
  predicted: Codes,
  n: number,
  classLabels: string[],
): { metrics: Record<string, number>; perClass: ClassReport[] } {
  const k = classLabels.length;
  const tp = new Float64Array(k);
  const trueSum = new Float64Array(k);
  const predSum = new Float64Array(k + 1);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const t = truth[i] as number;
    const p = predicted[i] as number;
    trueSum[t] = (trueSum[t] as number) + 1;
    predSum[p] = (predSum[p] as number) + 1;
    if (t === p) {
      tp[t] = (tp[t] as number) + 1;
      correct++;
    }
  }
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  const support: number[] = [];
  let tpAll = 0;
  let predAll = 0;
  let trueAll = 0;
  for (let c = 0; c < k; c++) {
    const p = divide(tp[c] as number, predSum[c] as number);
    const r = divide(tp[c] as number, trueSum[c] as number);
    precision.push(p);
    recall.push(r);
    f1.push(fScore(p, r));
    support.push(trueSum[c] as number);
    tpAll += tp[c] as number;
    predAll += predSum[c] as number;
    trueAll += trueSum[c] as number;
  }
  const microP = divide(tpAll, predAll);
  const microR = divide(tpAll, trueAll);
  const metrics: Record<string, number> = {
    accuracy: correct / n,
    f1_macro: mean(f1),
    f1_micro: fScore(microP, microR),
    f1_weighted: weightedMean(f1, support),
    precision_macro: mean(precision),
    recall_macro: mean(recall),
  };
  const perClass = classLabels
    .map((label, c) => ({
      label,
      precision: precision[c] as number,
      recall: recall[c] as number,
      f1: f1[c] as number,
      support: support[c] as number,
    }))
    .sort((a, b) => compareLabels(a.label, b.label));
  return { metrics, perClass };
}

/** Numeric labels in numeric order (as scikit-learn sorts ints), others by code point. */
function compareLabels(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== "" && b.trim() !== "" && Number.isFinite(x) && Number.isFinite(y) && x !== y) {
    return x - y;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

async function scoreClassification(ctx: ScoreContext): Promise<ScorerOutput> {
  const params = parseParams(paramsSchema, ctx.params);
  const spec = {
    idColumn: params.idColumn,
    valueColumn: params.labelColumn,
    kind: "label" as const,
  };
  const limits = {
    maxBytes: ctx.caps.maxCsvBytes,
    signal: ctx.signal,
    defectCap: ctx.caps.defectCap,
  };
  const gt = await readGroundTruth(ctx.gtPath, ctx.gtFile, spec, limits, statSync(ctx.gtPath).size);
  const pred = await readPredictions(ctx.predPath, ctx.predFile, spec, gt, limits, ctx.gtFile);
  const labels = Array.from({ length: gt.labels.size }, (_, c) => gt.labels.key(c));
  const { metrics, perClass } = classificationMetrics(gt.codes, pred.codes, gt.rows, labels);
  return { metrics, artifacts: { rows: gt.rows, classes: labels.length, perClass } };
}

function classificationScorer(name: string, defaultMetric: string, description: string): Scorer {
  return {
    name,
    version: "1.0.0",
    kind: "BUILTIN",
    description,
    paramsSchema: jsonSchemaOf(paramsSchema),
    defaultMetric,
    format: "csv",
    run: scoreClassification,
  };
}

export const classificationF1 = classificationScorer(
  "classification_f1",
  "f1_macro",
  `Single-label classification from CSV (id, label); scikit-learn parity. Metrics: ${METRICS.join(", ")}. Default score: f1_macro.`,
);

export const classificationAccuracy = classificationScorer(
  "classification_accuracy",
  "accuracy",
  `Single-label classification from CSV (id, label); scikit-learn parity. Metrics: ${METRICS.join(", ")}. Default score: accuracy.`,
);
