// detection_map: COCO bounding-box evaluation with pycocotools parity. Ground truth is a COCO
// annotation file (input/gt.json), predictions a COCO results list (output/pred.json).
import { jsonSchemaOf, parseParams, scorerParams } from "../../params.ts";
import { readJson } from "../../readers/json.ts";
import type { ScorerOutput } from "../../result.ts";
import type { ScoreContext, Scorer } from "../../types.ts";
import { parseDetections, parseGroundTruth } from "./coco-data.ts";
import { cocoEvaluate } from "./cocoeval.ts";

const paramsSchema = scorerParams({});

async function scoreDetection(ctx: ScoreContext): Promise<ScorerOutput> {
  parseParams(paramsSchema, ctx.params);
  const read = (path: string, file: string) =>
    readJson(path, { file, maxBytes: ctx.caps.maxJsonBytes, signal: ctx.signal });
  const gt = parseGroundTruth(await read(ctx.gtPath, ctx.gtFile), ctx.gtFile, ctx.caps.defectCap);
  const dt = parseDetections(
    await read(ctx.predPath, ctx.predFile),
    ctx.predFile,
    gt,
    ctx.caps.defectCap,
  );
  const { stats, perCategory } = cocoEvaluate(gt, dt, ctx.signal);
  return {
    metrics: stats,
    artifacts: {
      images: gt.imageIds.length,
      groundTruthBoxes: gt.count,
      detections: dt.count,
      perCategory,
    },
  };
}

export const detectionMap: Scorer = {
  name: "detection_map",
  version: "1.0.0",
  kind: "BUILTIN",
  description:
    "COCO bounding-box detection (gt.json annotations, pred.json results); pycocotools COCOeval parity. Metrics: map, map_50, map_75, map_small, map_medium, map_large, mar_1, mar_10, mar_100, mar_small, mar_medium, mar_large; per-category AP in artifacts. Default score: map.",
  paramsSchema: jsonSchemaOf(paramsSchema),
  defaultMetric: "map",
  format: "json",
  run: scoreDetection,
};
