// pycocotools' COCOeval for bounding boxes, step for step: the same thresholds (built with
// NumPy's linspace arithmetic), the same stable sorts on -score, the same greedy matching
// with crowd and area-range ignores, the same 101-point interpolation and the same means.
// Where pycocotools has quirks (a ground-truth id of 0 reads as "unmatched"), so do we.
import { ExactSum } from "../../tabular/exact-sum.ts";
import type { CocoDetections, CocoGroundTruth } from "./coco-data.ts";

/** numpy.linspace(start, stop, num): i·step + start, with the last value set to stop. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}

export const IOU_THRESHOLDS = linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1);
const REC_THRESHOLDS = linspace(0, 1, Math.round((1 - 0) / 0.01) + 1);
const MAX_DETS = [1, 10, 100];
const AREA_RANGES: Array<[number, number]> = [
  [0 ** 2, 1e5 ** 2],
  [0 ** 2, 32 ** 2],
  [32 ** 2, 96 ** 2],
  [96 ** 2, 1e5 ** 2],
];
const AREA_LABELS = ["all", "small", "medium", "large"];
const EPS = 2 ** -52; // np.spacing(1)

/** evaluateImg's output for one image, category and area range. */
interface ImageEval {
  /** Detection indexes, best score first (stable), at most maxDets[-1]. */
  dets: number[];
  /** Where this image's T×D tables start in its area range's Pool. */
  at: number;
  /** Ground truths not ignored in this area range. */
  counted: number;
}

/**
 * Per threshold and detection: the matched ground-truth id (0 when unmatched) and the
 * ignore flag, for all images of one category and area range in one pair of arrays; tens of
 * thousands of tiny typed arrays cost more to allocate and collect than to fill.
 */
class Pool {
  matches = new Float64Array(4096);
  ignored = new Uint8Array(4096);
  used = 0;

  take(size: number): number {
    if (this.used + size > this.matches.length) {
      const length = Math.max(this.matches.length * 2, this.used + size);
      const matches = new Float64Array(length);
      matches.set(this.matches.subarray(0, this.used));
      const ignored = new Uint8Array(length);
      ignored.set(this.ignored.subarray(0, this.used));
      this.matches = matches;
      this.ignored = ignored;
    }
    const at = this.used;
    this.used += size;
    this.matches.fill(0, at, this.used);
    this.ignored.fill(0, at, this.used);
    return at;
  }
}

/** Stable order of `items` by descending score: np.argsort(-score, kind="mergesort"). */
function byScore(items: number[], score: Float64Array): number[] {
  // Items are in file order, so their index breaks ties exactly as their position would.
  return items.slice().sort((a, b) => (score[b] as number) - (score[a] as number) || a - b);
}

/** maskUtils.iou for boxes (bbIou in maskApi.c): a crowd's union is the detection's area. */
function iou(dt: CocoDetections, d: number, gt: CocoGroundTruth, g: number): number {
  const D = dt.bbox;
  const G = gt.bbox;
  const dx = D[d * 4] as number;
  const dy = D[d * 4 + 1] as number;
  const dw = D[d * 4 + 2] as number;
  const dh = D[d * 4 + 3] as number;
  const gx = G[g * 4] as number;
  const gy = G[g * 4 + 1] as number;
  const gw = G[g * 4 + 2] as number;
  const gh = G[g * 4 + 3] as number;
  const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
  if (w <= 0) return 0;
  const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
  if (h <= 0) return 0;
  const intersection = w * h;
  const union = gt.crowd[g] ? dw * dh : dw * dh + gw * gh - intersection;
  return intersection / union;
}

/** Reused per-threshold "ground truth matched by" table of evaluateImage. */
let scratch = new Float64Array(1024);

function evaluateImage(
  gt: CocoGroundTruth,
  dt: CocoDetections,
  gts: number[],
  dets: number[],
  ious: Float64Array,
  range: [number, number],
  pool: Pool,
): ImageEval {
  const T = IOU_THRESHOLDS.length;
  const G = gts.length;
  const D = dets.length;
  const [low, high] = range;
  // np.argsort(_ignore, kind="mergesort"): counted ground truths first, order kept.
  const order: number[] = [];
  for (let pass = 0; pass < 2; pass++) {
    for (let o = 0; o < G; o++) {
      const g = gts[o] as number;
      const area = gt.area[g] as number;
      const ignore = gt.crowd[g] || area < low || area > high ? 1 : 0;
      if (ignore === pass) order.push(o);
    }
  }
  const gtIgnore: number[] = [];
  const crowd: number[] = [];
  const gtId: number[] = [];
  for (const o of order) {
    const g = gts[o] as number;
    const area = gt.area[g] as number;
    gtIgnore.push(gt.crowd[g] || area < low || area > high ? 1 : 0);
    crowd.push(gt.crowd[g] as number);
    gtId.push(gt.annotationId[g] as number);
  }
  const at = pool.take(T * D);
  const matches = pool.matches;
  const ignored = pool.ignored;
  if (G > 0 && D > 0) {
    if (scratch.length < T * G) scratch = new Float64Array(T * G * 2);
    const gtMatched = scratch;
    gtMatched.fill(0, 0, T * G);
    for (let t = 0; t < T; t++) {
      for (let di = 0; di < D; di++) {
        let best = Math.min(IOU_THRESHOLDS[t] as number, 1 - 1e-10);
        let m = -1;
        for (let gi = 0; gi < G; gi++) {
          if ((gtMatched[t * G + gi] as number) > 0 && !crowd[gi]) continue;
          if (m > -1 && gtIgnore[m] === 0 && gtIgnore[gi] === 1) break;
          const value = ious[di * G + (order[gi] as number)] as number;
          if (value < best) continue;
          best = value;
          m = gi;
        }
        if (m === -1) continue;
        ignored[at + t * D + di] = gtIgnore[m] as number;
        matches[at + t * D + di] = gtId[m] as number;
        gtMatched[t * G + m] = (dets[di] as number) + 1;
      }
    }
  }
  for (let di = 0; di < D; di++) {
    const area = dt.area[dets[di] as number] as number;
    if (area >= low && area <= high) continue;
    for (let t = 0; t < T; t++) if (matches[at + t * D + di] === 0) ignored[at + t * D + di] = 1;
  }
  let counted = 0;
  for (const g of gtIgnore) if (g === 0) counted++;
  return { dets, at, counted };
}

/**
 * COCOeval.accumulate for one category. pycocotools concatenates each image's first maxDet
 * detections (images in id order) and stable-sorts them on -score, per area range and
 * maxDet. The detection lists do not depend on the area range, and a stable sort of a
 * subsequence keeps its order, so one sort per category serves all twelve combinations.
 */
function accumulateCategory(
  evals: Array<Array<ImageEval | null>>,
  pools: Pool[],
  k: number,
  score: Float64Array,
  precision: Float64Array,
  recall: Float64Array,
  pIndex: (t: number, r: number, k: number, a: number, m: number) => number,
  rIndex: (t: number, k: number, a: number, m: number) => number,
): void {
  const T = IOU_THRESHOLDS.length;
  const R = REC_THRESHOLDS.length;
  const first = evals[0] ?? [];
  const images: number[] = [];
  let n = 0;
  first.forEach((e, i) => {
    if (e) {
      images.push(i);
      n += e.dets.length;
    }
  });
  if (images.length === 0) return;
  const owner = new Int32Array(n);
  const local = new Int32Array(n);
  const scores = new Float64Array(n);
  let at = 0;
  images.forEach((i, slot) => {
    const e = first[i] as ImageEval;
    e.dets.forEach((d, di) => {
      owner[at] = slot;
      local[at] = di;
      scores[at] = score[d] as number;
      at++;
    });
  });
  const order = new Int32Array(n);
  for (let j = 0; j < n; j++) order[j] = j;
  order.sort((x, y) => (scores[y] as number) - (scores[x] as number) || x - y);
  const tpFlag = new Uint8Array(T * n);
  const fpFlag = new Uint8Array(T * n);
  const rc = new Float64Array(n);
  const pr = new Float64Array(n);
  AREA_RANGES.forEach((_, a) => {
    const row = evals[a] ?? [];
    const pool = pools[a] as Pool;
    let npig = 0;
    for (const i of images) npig += (row[i] as ImageEval).counted;
    if (npig === 0) return;
    for (let p = 0; p < n; p++) {
      const j = order[p] as number;
      const e = row[images[owner[j] as number] as number] as ImageEval;
      const di = local[j] as number;
      const D = e.dets.length;
      for (let t = 0; t < T; t++) {
        const flag = 1 - (pool.ignored[e.at + t * D + di] as number);
        const matched = pool.matches[e.at + t * D + di] !== 0 ? 1 : 0;
        tpFlag[t * n + p] = flag & matched;
        fpFlag[t * n + p] = flag & (1 - matched);
      }
    }
    MAX_DETS.forEach((limit, m) => {
      for (let t = 0; t < T; t++) {
        let tp = 0;
        let fp = 0;
        let nd = 0;
        for (let p = 0; p < n; p++) {
          if ((local[order[p] as number] as number) >= limit) continue;
          tp += tpFlag[t * n + p] as number;
          fp += fpFlag[t * n + p] as number;
          rc[nd] = tp / npig;
          pr[nd] = tp / (fp + tp + EPS);
          nd++;
        }
        recall[rIndex(t, k, a, m)] = nd ? (rc[nd - 1] as number) : 0;
        for (let j = nd - 1; j > 0; j--)
          if ((pr[j] as number) > (pr[j - 1] as number)) pr[j - 1] = pr[j] as number;
        // np.searchsorted(rc, recThrs, side="left"); past the end the rest stay 0.
        let j = 0;
        for (let r = 0; r < R; r++) {
          const threshold = REC_THRESHOLDS[r] as number;
          while (j < nd && (rc[j] as number) < threshold) j++;
          precision[pIndex(t, r, k, a, m)] = j < nd ? (pr[j] as number) : 0;
        }
      }
    });
  });
}

export interface CocoEvalResult {
  stats: Record<string, number>;
  /** AP@[.5:.95] per category (area all, maxDets 100); -1 when it has no ground truth. */
  perCategory: Array<{ categoryId: number; name: string; ap: number }>;
}

export function cocoEvaluate(
  gt: CocoGroundTruth,
  dt: CocoDetections,
  signal?: AbortSignal,
): CocoEvalResult {
  const I = gt.imageIds.length;
  const K = gt.categoryIds.length;
  const T = IOU_THRESHOLDS.length;
  const R = REC_THRESHOLDS.length;
  const A = AREA_RANGES.length;
  const M = MAX_DETS.length;
  const maxDet = MAX_DETS[M - 1] as number;
  // _prepare: annotations per (category, image) in file order.
  const cells = (count: number, image: Int32Array, category: Int32Array) => {
    const map = new Map<number, number[]>();
    for (let n = 0; n < count; n++) {
      const key = (category[n] as number) * I + (image[n] as number);
      const list = map.get(key);
      if (list) list.push(n);
      else map.set(key, [n]);
    }
    return map;
  };
  const gtCells = cells(gt.count, gt.image, gt.category);
  const dtCells = cells(dt.count, dt.image, dt.category);

  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const pIndex = (t: number, r: number, k: number, a: number, m: number) =>
    (((t * R + r) * K + k) * A + a) * M + m;
  const rIndex = (t: number, k: number, a: number, m: number) => ((t * K + k) * A + a) * M + m;

  const pools = AREA_RANGES.map(() => new Pool());
  let ious = new Float64Array(1024);
  for (let k = 0; k < K; k++) {
    signal?.throwIfAborted();
    for (const pool of pools) pool.used = 0;
    // evalImgs for this category: per area range, per image (null when no gt and no dt).
    const evals: Array<Array<ImageEval | null>> = AREA_RANGES.map(() => []);
    for (let i = 0; i < I; i++) {
      const gts = gtCells.get(k * I + i) ?? [];
      const allDets = dtCells.get(k * I + i) ?? [];
      if (gts.length === 0 && allDets.length === 0) {
        for (const list of evals) list.push(null);
        continue;
      }
      const dets = byScore(allDets, dt.score).slice(0, maxDet);
      if (ious.length < dets.length * gts.length)
        ious = new Float64Array(dets.length * gts.length * 2);
      for (let di = 0; di < dets.length; di++) {
        for (let gi = 0; gi < gts.length; gi++)
          ious[di * gts.length + gi] = iou(dt, dets[di] as number, gt, gts[gi] as number);
      }
      AREA_RANGES.forEach((range, a) => {
        evals[a]?.push(evaluateImage(gt, dt, gts, dets, ious, range, pools[a] as Pool));
      });
    }
    accumulateCategory(evals, pools, k, dt.score, precision, recall, pIndex, rIndex);
  }

  const mean = (values: number[]) => {
    const valid = values.filter((v) => v > -1);
    if (valid.length === 0) return -1;
    const sum = new ExactSum();
    for (const v of valid) sum.add(v);
    return sum.value() / valid.length;
  };
  const summarize = (
    ap: boolean,
    iouThr: number | null,
    area: string,
    maxDets: number,
    category?: number,
  ) => {
    const ts =
      iouThr === null
        ? [...IOU_THRESHOLDS.keys()]
        : IOU_THRESHOLDS.flatMap((t, i) => (t === iouThr ? [i] : []));
    const a = AREA_LABELS.indexOf(area);
    const m = MAX_DETS.indexOf(maxDets);
    const ks = category === undefined ? [...Array(K).keys()] : [category];
    const values: number[] = [];
    for (const t of ts) {
      if (ap)
        for (let r = 0; r < R; r++)
          for (const k of ks) values.push(precision[pIndex(t, r, k, a, m)] as number);
      else for (const k of ks) values.push(recall[rIndex(t, k, a, m)] as number);
    }
    return mean(values);
  };
  const stats = {
    map: summarize(true, null, "all", 100),
    map_50: summarize(true, 0.5, "all", 100),
    map_75: summarize(true, 0.75, "all", 100),
    map_small: summarize(true, null, "small", 100),
    map_medium: summarize(true, null, "medium", 100),
    map_large: summarize(true, null, "large", 100),
    mar_1: summarize(false, null, "all", 1),
    mar_10: summarize(false, null, "all", 10),
    mar_100: summarize(false, null, "all", 100),
    mar_small: summarize(false, null, "small", 100),
    mar_medium: summarize(false, null, "medium", 100),
    mar_large: summarize(false, null, "large", 100),
  };
  const perCategory = gt.categoryIds.map((categoryId, k) => ({
    categoryId,
    name: gt.categoryNames[k] as string,
    ap: summarize(true, null, "all", 100, k),
  }));
  return { stats, perCategory };
}
