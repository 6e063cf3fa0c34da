// Properties of scoring over generated workspaces: row order never matters, and a damaged
// file ends in a ScoringError with a code from docs/contract.md or a finite score, never anything else.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createScorerRegistry,
  SCORING_ERROR_CODES,
  type ScorerRegistry,
  ScoringError,
  scoreWorkspace,
} from "../../src/scorers/index.ts";
import { makeWorkspace } from "./helpers.ts";

const csv = (header: string, rows: string[][]) =>
  `${header}\n${rows.map((r) => r.join(",")).join("\n")}\n`;

/** A classification or regression workspace: ground truth and a prediction per id. */
const tabularCase = fc
  .record({
    kind: fc.constantFrom("classification_f1", "regression_rmse"),
    rows: fc.uniqueArray(
      fc.record({
        id: fc.stringMatching(/^[a-z0-9_]{1,8}$/),
        truth: fc.integer({ min: 0, max: 4 }),
        guess: fc.integer({ min: 0, max: 5 }),
        value: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        noise: fc.double({ min: -100, max: 100, noNaN: true }),
      }),
      { minLength: 1, maxLength: 60, selector: (r) => r.id },
    ),
  })
  .map(({ kind, rows }) => {
    const classification = kind === "classification_f1";
    const header = classification ? "id,label" : "id,value";
    const gt = rows.map((r) => [r.id, classification ? `c${r.truth}` : String(r.value)]);
    const pred = rows.map((r) => [
      r.id,
      classification ? `c${r.guess}` : String(r.value + r.noise),
    ]);
    return { kind, header, gt, pred };
  });

function shuffled<T>(items: T[], seed: number): T[] {
  const copy = [...items];
  let state = seed || 1;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (Math.imul(state, 48271) + 11) % 2147483647;
    const j = Math.abs(state) % (i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

type Mutation =
  | { kind: "flip"; at: number; byte: number }
  | { kind: "truncate"; at: number }
  | { kind: "delete-row"; at: number }
  | { kind: "duplicate-row"; at: number }
  | { kind: "cell"; at: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("flip" as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("delete-row" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate-row" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("cell" as const),
    at: fc.nat(),
    text: fc.constantFrom(
      "NaN",
      "Infinity",
      "-Infinity",
      "",
      '"',
      '"a,b"',
      "1e400",
      "x\ny",
      "\u0000",
      "🙂",
    ),
  }),
);

function mutate(text: string, m: Mutation): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const lines = text.split("\n");
  switch (m.kind) {
    case "flip": {
      const copy = bytes.slice();
      if (copy.length > 0) copy[m.at % copy.length] = m.byte;
      return copy;
    }
    case "truncate":
      return bytes.slice(0, m.at % (bytes.length + 1));
    case "delete-row":
      lines.splice(m.at % lines.length, 1);
      return new TextEncoder().encode(lines.join("\n"));
    case "duplicate-row": {
      const i = m.at % lines.length;
      lines.splice(i, 0, lines[i] as string);
      return new TextEncoder().encode(lines.join("\n"));
    }
    case "cell": {
      const i = m.at % lines.length;
      const cells = (lines[i] as string).split(",");
      cells[(m.at >> 3) % cells.length] = m.text;
      lines[i] = cells.join(",");
      return new TextEncoder().encode(lines.join("\n"));
    }
  }
}

async function outcome(
  registry: ScorerRegistry,
  scorer: string,
  files: Record<string, string | Uint8Array>,
) {
  try {
    return await scoreWorkspace(registry, { workspace: makeWorkspace(files), scorer, params: {} });
  } catch (error) {
    if (!(error instanceof ScoringError))
      throw new Error(`not a ScoringError: ${String(error)}`, { cause: error });
    expect(SCORING_ERROR_CODES).toContain(error.code);
    return error;
  }
}

/** Ground truth whose variance underflows to a denormal: r2 is -Infinity, so refused. */
const underflowingR2 = {
  kind: "regression_rmse",
  header: "id,value",
  gt: [
    ["__", "-1.964659730878286e-162"],
    ["_", "0"],
    ["a", "0"],
    ["b", "0"],
    ["c", "0"],
  ],
  pred: [
    ["__", "-1.964659730878286e-162"],
    ["_", "2.9802322387695312e-8"],
    ["a", "0"],
    ["b", "0"],
    ["c", "0"],
  ],
};

/** What a scoring outcome is compared by: its metrics, or its refusal's code and details. */
const seen = (o: Awaited<ReturnType<typeof outcome>>) =>
  o instanceof ScoringError ? { code: o.code, details: o.details } : o.metrics;

describe("scoring properties", () => {
  let registry: ScorerRegistry;
  beforeAll(async () => {
    registry = await createScorerRegistry();
  });

  it("gives identical metrics however the rows of either file are ordered", async () => {
    await fc.assert(
      fc.asyncProperty(tabularCase, fc.integer(), fc.integer(), async (c, seedA, seedB) => {
        const original = await outcome(registry, c.kind, {
          "input/gt.csv": csv(c.header, c.gt),
          "output/pred.csv": csv(c.header, c.pred),
        });
        const reordered = await outcome(registry, c.kind, {
          "input/gt.csv": csv(c.header, shuffled(c.gt, seedA)),
          "output/pred.csv": csv(c.header, shuffled(c.pred, seedB)),
        });
        // A metric out of range (an r2 whose variance underflows) is refused the same way
        // in any order; everything else scores to the same metrics.
        expect(seen(reordered)).toEqual(seen(original));
      }),
      { numRuns: 60 },
    );
  });

  it("gives identical metrics for CRLF, quoted fields, a byte order mark and blank lines", async () => {
    await fc.assert(
      fc.asyncProperty(
        tabularCase,
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        async (c, crlf, quoted, bom) => {
          const plain = await outcome(registry, c.kind, {
            "input/gt.csv": csv(c.header, c.gt),
            "output/pred.csv": csv(c.header, c.pred),
          });
          const styled = (rows: string[][]) => {
            const eol = crlf ? "\r\n" : "\n";
            const cell = (v: string) => (quoted ? `"${v}"` : v);
            const lines = [c.header, ...rows.map((r) => r.map(cell).join(","))];
            return `${bom ? "\uFEFF" : ""}${lines.join(eol)}${eol}${eol}`;
          };
          const variant = await outcome(registry, c.kind, {
            "input/gt.csv": styled(c.gt),
            "output/pred.csv": styled(c.pred),
          });
          // As for row order: a metric out of range is refused alike in every style.
          expect(seen(variant)).toEqual(seen(plain));
        },
      ),
      { numRuns: 40, examples: [[underflowingR2, false, false, false]] },
    );
  });

  it("turns any damaged CSV into a contract error code or a finite score", async () => {
    await fc.assert(
      fc.asyncProperty(tabularCase, mutation, fc.boolean(), async (c, m, damageTruth) => {
        const gt = csv(c.header, c.gt);
        const pred = csv(c.header, c.pred);
        const result = await outcome(registry, c.kind, {
          "input/gt.csv": damageTruth ? mutate(gt, m) : gt,
          "output/pred.csv": damageTruth ? pred : mutate(pred, m),
        });
        if (!(result instanceof ScoringError)) {
          for (const value of Object.values(result.metrics))
            expect(Number.isFinite(value)).toBe(true);
          expect(Number.isFinite(result.summary.score)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("turns any damaged COCO file into a contract error code or a finite score", async () => {
    const gt = JSON.stringify({
      images: [{ id: 1 }, { id: 2 }],
      categories: [
        { id: 1, name: "a" },
        { id: 2, name: "b" },
      ],
      annotations: [
        { id: 1, image_id: 1, category_id: 1, bbox: [10, 10, 20, 20], area: 400, iscrowd: 0 },
        { id: 2, image_id: 2, category_id: 2, bbox: [0, 0, 50, 40], area: 2000, iscrowd: 0 },
        { id: 3, image_id: 2, category_id: 1, bbox: [5, 5, 100, 100], area: 10000, iscrowd: 1 },
      ],
    });
    const pred = JSON.stringify([
      { image_id: 1, category_id: 1, bbox: [11, 10, 20, 20], score: 0.9 },
      { image_id: 2, category_id: 2, bbox: [0, 2, 50, 40], score: 0.8 },
      { image_id: 2, category_id: 1, bbox: [6, 6, 90, 90], score: 0.4 },
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            kind: fc.constant("flip" as const),
            at: fc.nat(),
            byte: fc.integer({ min: 0, max: 255 }),
          }),
          fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
        ),
        fc.boolean(),
        async (m, damageTruth) => {
          const result = await outcome(registry, "detection_map", {
            "input/gt.json": damageTruth ? mutate(gt, m) : gt,
            "output/pred.json": damageTruth ? pred : mutate(pred, m),
          });
          if (!(result instanceof ScoringError)) {
            for (const value of Object.values(result.metrics))
              expect(Number.isFinite(value)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
