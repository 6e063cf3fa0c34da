// Every scoring error code from docs/contract.md, produced by a concrete bad workspace, with
// file and row numbers in the details; and every defect of a file reported at once.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createScorerRegistry,
  type Defect,
  type ScorerRegistry,
  ScoringError,
  scoreWorkspace,
} from "../../src/scorers/index.ts";
import { makeWorkspace, tempDir } from "./helpers.ts";

interface Details {
  file: string;
  defects: Defect[];
  defectCount: number;
  truncated: boolean;
}

const GT = "id,label\na,cat\nb,dog\nc,cat\n";

describe("bad input", () => {
  let registry: ScorerRegistry;
  beforeAll(async () => {
    registry = await createScorerRegistry({
      caps: { maxCsvBytes: 10_000, maxJsonBytes: 10_000, defectCap: 5 },
    });
  });

  async function fails(
    files: Record<string, string | Uint8Array>,
    scorer = "classification_f1",
    params: unknown = {},
  ): Promise<ScoringError> {
    const error = await scoreWorkspace(registry, {
      workspace: makeWorkspace(files),
      scorer,
      params,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ScoringError);
    return error as ScoringError;
  }
  const details = (error: ScoringError) => error.details as unknown as Details;

  it("MISSING_FILE: no predictions, or no workspace", async () => {
    const error = await fails({ "input/gt.csv": GT });
    expect(error.code).toBe("MISSING_FILE");
    expect(details(error).file).toBe("output/pred.csv");
    const none = await scoreWorkspace(registry, {
      workspace: path.join(tempDir(), "nope"),
      scorer: "regression_rmse",
      params: {},
    }).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: "MISSING_FILE" });
  });

  it("EMPTY_INPUT: an empty file and a header without rows", async () => {
    const empty = await fails({ "input/gt.csv": GT, "output/pred.csv": "" });
    expect(empty.code).toBe("EMPTY_INPUT");
    expect(details(empty).file).toBe("output/pred.csv");
    const headerOnly = await fails({
      "input/gt.csv": "id,label\n",
      "output/pred.csv": "id,label\na,cat\n",
    });
    expect(headerOnly.code).toBe("EMPTY_INPUT");
    expect(details(headerOnly).file).toBe("input/gt.csv");
    const emptyJson = await fails(
      { "input/gt.json": "{}", "output/pred.json": "[]" },
      "detection_map",
    );
    expect(emptyJson.code).toBe("PARSE_ERROR");
  });

  it("PARSE_ERROR: wrong field counts and quoting, every row reported with its number", async () => {
    const error = await fails({
      "input/gt.csv": GT,
      "output/pred.csv": 'id,label\na,cat,extra\nb\n"c"x,cat\n',
    });
    expect(error.code).toBe("PARSE_ERROR");
    expect(details(error).defects.map((d) => [d.code, d.row, d.line])).toEqual([
      ["PARSE_ERROR", 1, 2],
      ["PARSE_ERROR", 2, 3],
      ["PARSE_ERROR", 3, 4],
    ]);
    const unterminated = await fails({
      "input/gt.csv": GT,
      "output/pred.csv": 'id,label\na,cat\nb,"dog\n',
    });
    expect(unterminated.code).toBe("PARSE_ERROR");
    expect(details(unterminated).defects[0]).toMatchObject({ row: 2, line: 3 });
    const json = await fails(
      { "input/gt.json": '{"images": [', "output/pred.json": "[]" },
      "detection_map",
    );
    expect(json.code).toBe("PARSE_ERROR");
    expect(details(json).defects[0]?.line).toBe(1);
  });

  it("BAD_HEADER: a missing or duplicated column", async () => {
    const error = await fails({ "input/gt.csv": GT, "output/pred.csv": "id,prediction\na,cat\n" });
    expect(error.code).toBe("BAD_HEADER");
    expect(details(error).defects[0]).toMatchObject({ row: 0, line: 1, file: "output/pred.csv" });
    const twice = await fails({
      "input/gt.csv": "id,label,label\na,cat,cat\n",
      "output/pred.csv": GT,
    });
    expect(twice.code).toBe("BAD_HEADER");
    expect(details(twice).file).toBe("input/gt.csv");
  });

  it("MISSING_ID: ground-truth ids without a prediction, and empty id cells", async () => {
    const error = await fails({ "input/gt.csv": GT, "output/pred.csv": "id,label\nb,dog\n" });
    expect(error.code).toBe("MISSING_ID");
    expect(details(error).defects.map((d) => [d.id, d.gtRow])).toEqual([
      ["a", 1],
      ["c", 3],
    ]);
    const empty = await fails({
      "input/gt.csv": GT,
      "output/pred.csv": "id,label\na,cat\n,dog\nc,cat\n",
    });
    expect(empty.code).toBe("MISSING_ID");
    expect(details(empty).defects[0]).toMatchObject({ row: 2, line: 3 });
  });

  it("DUPLICATE_ID: a repeated id in predictions, ground truth and COCO ids", async () => {
    const error = await fails({
      "input/gt.csv": GT,
      "output/pred.csv": "id,label\na,cat\nb,dog\nc,cat\na,dog\n",
    });
    expect(error.code).toBe("DUPLICATE_ID");
    expect(details(error).defects[0]).toMatchObject({ row: 4, id: "a" });
    expect(details(error).defects[0]?.message).toContain("more than once");
    const gt = await fails(
      { "input/gt.csv": "id,value\nx,1\nx,2\n", "output/pred.csv": "id,value\nx,1\n" },
      "regression_rmse",
    );
    expect(gt.code).toBe("DUPLICATE_ID");
    expect(details(gt).defects[0]).toMatchObject({ row: 2, file: "input/gt.csv" });
    const coco = await fails(
      {
        "input/gt.json": JSON.stringify({
          images: [{ id: 1 }, { id: 1 }],
          categories: [{ id: 1 }],
          annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], area: 1 }],
        }),
        "output/pred.json": "[]",
      },
      "detection_map",
    );
    expect(coco.code).toBe("DUPLICATE_ID");
    expect(details(coco).defects[0]).toMatchObject({ row: 2, path: "images[1].id" });
  });

  it("UNKNOWN_ID: prediction ids, image ids and category ids the ground truth lacks", async () => {
    const error = await fails({
      "input/gt.csv": GT,
      "output/pred.csv": "id,label\na,cat\nb,dog\nc,cat\nzz,cat\n",
    });
    expect(error.code).toBe("UNKNOWN_ID");
    expect(details(error).defects[0]).toMatchObject({ row: 4, line: 5, id: "zz" });
    const coco = await fails(
      {
        "input/gt.json": JSON.stringify({
          images: [{ id: 1 }],
          categories: [{ id: 1 }],
          annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], area: 1 }],
        }),
        "output/pred.json": JSON.stringify([
          { image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], score: 0.5 },
          { image_id: 7, category_id: 1, bbox: [0, 0, 1, 1], score: 0.5 },
          { image_id: 1, category_id: 9, bbox: [0, 0, 1, 1], score: 0.5 },
        ]),
      },
      "detection_map",
    );
    expect(coco.code).toBe("UNKNOWN_ID");
    expect(details(coco).defects.map((d) => [d.row, d.path])).toEqual([
      [2, "[1].image_id"],
      [3, "[2].category_id"],
    ]);
  });

  it("INVALID_VALUE: NaN, Infinity, text and empty cells, bad boxes and scores, bad params", async () => {
    const error = await fails(
      {
        "input/gt.csv": "id,value\na,1\nb,2\nc,3\nd,4\n",
        "output/pred.csv": "id,value\na,NaN\nb,Infinity\nc,abc\nd,\n",
      },
      "regression_rmse",
    );
    expect(error.code).toBe("INVALID_VALUE");
    expect(details(error).defects.map((d) => d.row)).toEqual([1, 2, 3, 4]);
    expect(details(error).defects.every((d) => d.column === "value")).toBe(true);
    const label = await fails({
      "input/gt.csv": GT,
      "output/pred.csv": "id,label\na,\nb,dog\nc,cat\n",
    });
    expect(label.code).toBe("INVALID_VALUE");
    expect(details(label).defects[0]?.row).toBe(1);
    const coco = await fails(
      {
        "input/gt.json": JSON.stringify({
          images: [{ id: 1 }],
          categories: [{ id: 1 }],
          annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], area: 1 }],
        }),
        "output/pred.json": JSON.stringify([
          { image_id: 1, category_id: 1, bbox: [0, 0, -1, 1], score: 0.5 },
          { image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], score: "high" },
        ]),
      },
      "detection_map",
    );
    expect(coco.code).toBe("INVALID_VALUE");
    expect(details(coco).defects.map((d) => d.row)).toEqual([1, 2]);
    const params = await fails({ "input/gt.csv": GT, "output/pred.csv": GT }, "classification_f1", {
      labelColum: "x",
    });
    expect(params.code).toBe("INVALID_VALUE");
    const metric = await fails({ "input/gt.csv": GT, "output/pred.csv": GT }, "classification_f1", {
      metric: "auc",
    });
    expect(metric.code).toBe("INVALID_VALUE");
  });

  it("FILE_TOO_LARGE: a file over the configured cap", async () => {
    const big = `id,label\n${Array.from({ length: 2000 }, (_, i) => `row${i},cat`).join("\n")}\n`;
    const error = await fails({ "input/gt.csv": GT, "output/pred.csv": big });
    expect(error.code).toBe("FILE_TOO_LARGE");
    expect(details(error).file).toBe("output/pred.csv");
    const json = await fails(
      {
        "input/gt.json": `{"images": [], "pad": "${"x".repeat(20_000)}"}`,
        "output/pred.json": "[]",
      },
      "detection_map",
    );
    expect(json.code).toBe("FILE_TOO_LARGE");
  });

  it("UNKNOWN_SCORER", async () => {
    const error = await fails({ "input/gt.csv": GT, "output/pred.csv": GT }, "no_such_scorer");
    expect(error).toMatchObject({ code: "UNKNOWN_SCORER", details: { scorer: "no_such_scorer" } });
  });

  it("SCORER_FAILED: a plugin that throws", async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, "throws.mjs"),
      "export const name = 'throws'; export const version = '1'; export function score() { throw new Error('x'); }",
    );
    const plugins = await createScorerRegistry({ pluginDir: dir, timeLimitMs: 5000, memoryMb: 64 });
    const error = await scoreWorkspace(plugins, {
      workspace: makeWorkspace({ "input/gt.csv": GT, "output/pred.csv": GT }),
      scorer: "throws",
      params: {},
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "SCORER_FAILED" });
    plugins.close();
  });

  it("reports every defect of a file at once, up to the cap, and counts the rest", async () => {
    const rows = Array.from({ length: 12 }, (_, i) => `x${i},cat`).join("\n");
    const error = await fails({ "input/gt.csv": GT, "output/pred.csv": `id,label\n${rows}\n` });
    expect(error.code).toBe("UNKNOWN_ID");
    const d = details(error);
    expect(d.defects).toHaveLength(5);
    expect(d.defects.map((x) => x.row)).toEqual([1, 2, 3, 4, 5]);
    expect(d.defectCount).toBeGreaterThanOrEqual(12);
    expect(d.truncated).toBe(true);
  });

  it("never writes a Result for a bad file", async () => {
    const workspace = makeWorkspace({ "input/gt.csv": GT, "output/pred.csv": "id,label\na,cat\n" });
    await expect(
      scoreWorkspace(registry, { workspace, scorer: "classification_f1", params: {} }),
    ).rejects.toThrow();
    const { existsSync } = await import("node:fs");
    expect(existsSync(path.join(workspace, "output/result.json"))).toBe(false);
  });
});
