// How the summary is derived from metrics and params: the score metric, ranks from
// thresholds (upper bounds for lower-is-better metrics), pass/fail; and cancellation.
import { beforeAll, describe, expect, it } from "vitest";
import {
  createScorerRegistry,
  type ScorerRegistry,
  scoreWorkspace,
} from "../../src/scorers/index.ts";
import { summarize } from "../../src/scorers/result.ts";
import { makeWorkspace } from "./helpers.ts";

describe("summary", () => {
  it("ranks by the best threshold reached and passes at passThreshold", () => {
    const metrics = { accuracy: 0.85, f1_macro: 0.72 };
    expect(summarize(metrics, {}, "accuracy")).toEqual({ score: 0.85, rank: "B", pass: true });
    expect(summarize(metrics, { metric: "f1_macro" }, "accuracy")).toEqual({
      score: 0.72,
      rank: "C",
      pass: true,
    });
    expect(
      summarize(
        metrics,
        { thresholds: { gold: 0.9, silver: 0.8 }, passThreshold: 0.9 },
        "accuracy",
      ),
    ).toEqual({
      score: 0.85,
      rank: "silver",
      pass: false,
    });
    expect(
      summarize(metrics, { thresholds: { gold: 0.9 }, belowRank: "none" }, "accuracy").rank,
    ).toBe("none");
  });

  it("treats thresholds as upper bounds for errors, and gives no default rank to unbounded metrics", () => {
    const metrics = { rmse: 2.5, mse: 6.25, mae: 2, r2: 0.9 };
    expect(summarize(metrics, {}, "rmse")).toEqual({ score: 2.5, rank: null, pass: true });
    expect(summarize(metrics, { thresholds: { A: 1, B: 3 }, passThreshold: 2 }, "rmse")).toEqual({
      score: 2.5,
      rank: "B",
      pass: false,
    });
    expect(summarize(metrics, { thresholds: { A: 1, B: 2 } }, "rmse").rank).toBe("F");
  });

  describe("through scoreWorkspace", () => {
    let registry: ScorerRegistry;
    beforeAll(async () => {
      registry = await createScorerRegistry();
    });

    it("applies params and custom columns", async () => {
      const workspace = makeWorkspace({
        "input/gt.csv": "key,y,other\na,1,x\nb,2,x\nc,3,x\n",
        "output/pred.csv": "other,key,y\nx,c,3\nx,a,1.5\nx,b,2\n",
      });
      const result = await scoreWorkspace(registry, {
        workspace,
        scorer: "regression_rmse",
        params: {
          idColumn: "key",
          valueColumn: "y",
          metric: "mae",
          thresholds: { A: 0.1, B: 0.2 },
        },
      });
      expect(result.metrics.mae).toBeCloseTo(0.5 / 3, 15);
      expect(result.summary).toEqual({ score: result.metrics.mae, rank: "B", pass: true });
      expect(result.versioning).toMatchObject({ scorer: "regression_rmse", version: "1.0.0" });
      expect(Date.parse(result.versioning.timestamp)).not.toBeNaN();
      expect(result.timing.total_time).toBeGreaterThan(0);
    });

    it("stops when the caller aborts", async () => {
      const controller = new AbortController();
      controller.abort(new Error("job cancelled"));
      const workspace = makeWorkspace({
        "input/gt.csv": "id,label\na,x\n",
        "output/pred.csv": "id,label\na,x\n",
      });
      await expect(
        scoreWorkspace(registry, {
          workspace,
          scorer: "classification_f1",
          params: {},
          signal: controller.signal,
        }),
      ).rejects.toThrow("job cancelled");
    });
  });
});
