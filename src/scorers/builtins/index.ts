// The built-in scorers; they run in-process because they are ours and fast.
import type { Scorer } from "../types.ts";
import { classificationAccuracy, classificationF1 } from "./classification.ts";
import { detectionMap } from "./detection/scorer.ts";
import { regressionRmse } from "./regression.ts";

export const BUILTIN_SCORERS: readonly Scorer[] = [
  classificationF1,
  classificationAccuracy,
  regressionRmse,
  detectionMap,
];
