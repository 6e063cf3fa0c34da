// Every golden case (expected metrics from scikit-learn 1.2.1 and pycocotools 2.0) scored
// through the library and through the CLI; every metric must agree to 1e-9.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createScorerRegistry,
  type Result,
  type ScorerRegistry,
  scoreWorkspace,
} from "../../src/scorers/index.ts";
import { copyCase, goldenCases } from "./helpers.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const cases = goldenCases();

function expectParity(metrics: Record<string, number>, expected: Record<string, number>): void {
  for (const [name, value] of Object.entries(expected)) {
    const got = metrics[name];
    expect(got, name).toBeTypeOf("number");
    expect(
      Math.abs((got as number) - value),
      `${name}: got ${got}, expected ${value}`,
    ).toBeLessThanOrEqual(1e-9);
  }
}

describe("golden cases", () => {
  let registry: ScorerRegistry;
  beforeAll(async () => {
    registry = await createScorerRegistry();
  });

  it("covers every scorer the fixtures name", () => {
    expect(cases.length).toBeGreaterThanOrEqual(7);
    expect(new Set(cases.map((c) => c.scorer))).toEqual(
      new Set(["classification_f1", "regression_rmse", "detection_map"]),
    );
  });

  for (const c of cases) {
    it(`${c.name}: library matches the peer to 1e-9 and writes output/result.json`, async () => {
      const workspace = copyCase(c.dir);
      const result = await scoreWorkspace(registry, {
        workspace,
        scorer: c.scorer,
        params: c.params,
      });
      expectParity(result.metrics, c.metrics);
      expect(result.versioning.scorer).toBe(c.scorer);
      const written = JSON.parse(
        readFileSync(path.join(workspace, "output/result.json"), "utf8"),
      ) as Result;
      expect(written.metrics).toEqual(result.metrics);
      expect(written.summary.score).toBe(
        result.metrics[
          c.scorer === "regression_rmse"
            ? "rmse"
            : c.scorer === "detection_map"
              ? "map"
              : "f1_macro"
        ],
      );
    });

    it(`${c.name}: CLI matches the peer to 1e-9`, () => {
      const workspace = copyCase(c.dir);
      const run = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "src/cli/main.ts",
          "score",
          "--workspace",
          workspace,
          "--scorer",
          c.scorer,
          "--params",
          JSON.stringify(c.params),
        ],
        { cwd: ROOT, encoding: "utf8", env: { ...process.env, AUTOSCORER_CONFIG: "" } },
      );
      expect(run.status, run.stderr).toBe(0);
      const printed = JSON.parse(run.stdout) as Result;
      expectParity(printed.metrics, c.metrics);
      const written = JSON.parse(
        readFileSync(path.join(workspace, "output/result.json"), "utf8"),
      ) as Result;
      expect(written).toEqual(printed);
    });
  }
});
