// Plugins run in worker threads with time and heap limits and reload when edited on disk.
import { unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createScorerRegistry,
  type ScorerRegistry,
  ScoringError,
  scoreWorkspace,
} from "../../src/scorers/index.ts";
import { makeWorkspace, tempDir } from "./helpers.ts";

/** A plugin that counts ground-truth lines and reports `value` as its metric. */
const plugin = (name: string, version: string, body = "return { metrics: { value: 1 } };") => `
import { readFileSync } from "node:fs";
export const name = ${JSON.stringify(name)};
export const version = ${JSON.stringify(version)};
export const description = "test plugin";
export const paramsSchema = { type: "object" };
export async function score(input) {
  const rows = readFileSync(input.gtPath, "utf8").trim().split("\\n").length - 1;
  ${body}
}
`;

const workspace = () =>
  makeWorkspace({
    "input/gt.csv": "id,label\na,x\nb,y\n",
    "output/pred.csv": "id,label\na,x\nb,x\n",
  });

async function failure(promise: Promise<unknown>): Promise<ScoringError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ScoringError);
  return error as ScoringError;
}

describe("scorer plugins", () => {
  let registry: ScorerRegistry | undefined;
  afterEach(() => registry?.close());

  it("loads a plugin, scores with it and records its version", async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, "rows.mjs"),
      plugin("rows", "1.2.3", "return { metrics: { rows }, artifacts: { from: 'plugin' } };"),
    );
    registry = await createScorerRegistry({ pluginDir: dir, timeLimitMs: 5000, memoryMb: 64 });
    expect(registry.list().find((s) => s.name === "rows")).toMatchObject({
      kind: "PLUGIN",
      version: "1.2.3",
      description: "test plugin",
    });
    const result = await scoreWorkspace(registry, {
      workspace: workspace(),
      scorer: "rows",
      params: { thresholds: { A: 2 } },
    });
    expect(result.metrics).toEqual({ rows: 2 });
    expect(result.summary).toEqual({ score: 2, rank: "A", pass: true });
    expect(result.artifacts).toEqual({ from: "plugin" });
    expect(result.versioning).toMatchObject({ scorer: "rows", version: "1.2.3" });
  });

  it("picks up a plugin edited on disk within 2 s, without a restart", async () => {
    const dir = tempDir();
    const file = path.join(dir, "hot.mjs");
    writeFileSync(file, plugin("hot", "1.0.0", "return { metrics: { value: 1 } };"));
    registry = await createScorerRegistry({
      pluginDir: dir,
      watch: true,
      timeLimitMs: 5000,
      memoryMb: 64,
    });
    expect(registry.get("hot")?.version).toBe("1.0.0");
    const started = Date.now();
    writeFileSync(file, plugin("hot", "2.0.0", "return { metrics: { value: 2 } };"));
    while (registry.get("hot")?.version !== "2.0.0" && Date.now() - started < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(registry.get("hot")?.version).toBe("2.0.0");
    expect(Date.now() - started).toBeLessThan(2000);
    const result = await scoreWorkspace(registry, {
      workspace: workspace(),
      scorer: "hot",
      params: {},
    });
    expect(result.metrics.value).toBe(2);
    expect(result.versioning.version).toBe("2.0.0");

    // A new file appears and a deleted one disappears the same way.
    writeFileSync(path.join(dir, "added.mjs"), plugin("added", "0.1.0"));
    const addedBy = Date.now() + 2000;
    while (!registry.has("added") && Date.now() < addedBy)
      await new Promise((r) => setTimeout(r, 20));
    expect(registry.has("added")).toBe(true);
    unlinkSync(file);
    const removedBy = Date.now() + 2000;
    while (registry.has("hot") && Date.now() < removedBy)
      await new Promise((r) => setTimeout(r, 20));
    expect(registry.has("hot")).toBe(false);
  });

  it("stops a plugin with an infinite loop at its time limit", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "spin.mjs"), plugin("spin", "1.0.0", "for (;;) {}"));
    registry = await createScorerRegistry({ pluginDir: dir, timeLimitMs: 500, memoryMb: 64 });
    const started = Date.now();
    const error = await failure(
      scoreWorkspace(registry, { workspace: workspace(), scorer: "spin", params: {} }),
    );
    expect(error.code).toBe("SCORER_FAILED");
    expect(error.details.reason).toBe("TIME_LIMIT");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("reports a throwing plugin as SCORER_FAILED with its message", async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, "boom.mjs"),
      plugin("boom", "1.0.0", "throw new Error('bad day');"),
    );
    registry = await createScorerRegistry({ pluginDir: dir, timeLimitMs: 5000, memoryMb: 64 });
    const error = await failure(
      scoreWorkspace(registry, { workspace: workspace(), scorer: "boom", params: {} }),
    );
    expect(error.code).toBe("SCORER_FAILED");
    expect(error.message).toContain("bad day");
  });

  it("stops a plugin that exhausts its heap", async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, "hog.mjs"),
      plugin(
        "hog",
        "1.0.0",
        "const keep = []; for (;;) keep.push(new Array(100000).fill({ rows }));",
      ),
    );
    registry = await createScorerRegistry({ pluginDir: dir, timeLimitMs: 20_000, memoryMb: 64 });
    const error = await failure(
      scoreWorkspace(registry, { workspace: workspace(), scorer: "hog", params: {} }),
    );
    expect(error.code).toBe("SCORER_FAILED");
    expect(error.details.reason).toBe("MEMORY_LIMIT");
  });

  it("rejects invalid plugin output and plugins that exit", async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, "nan.mjs"),
      plugin("nan", "1.0.0", "return { metrics: { value: NaN } };"),
    );
    writeFileSync(path.join(dir, "quit.mjs"), plugin("quit", "1.0.0", "process.exit(3);"));
    registry = await createScorerRegistry({ pluginDir: dir, timeLimitMs: 5000, memoryMb: 64 });
    const nan = await failure(
      scoreWorkspace(registry, { workspace: workspace(), scorer: "nan", params: {} }),
    );
    expect(nan).toMatchObject({ code: "SCORER_FAILED", details: { reason: "BAD_OUTPUT" } });
    const quit = await failure(
      scoreWorkspace(registry, { workspace: workspace(), scorer: "quit", params: {} }),
    );
    expect(quit).toMatchObject({ code: "SCORER_FAILED", details: { reason: "EXITED" } });
  });

  it("keeps a good plugin and the built-ins working after bad ones fail", async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, "good.mjs"),
      plugin("good", "1.0.0", "return { metrics: { rows } };"),
    );
    writeFileSync(path.join(dir, "spin.mjs"), plugin("spin", "1.0.0", "for (;;) {}"));
    writeFileSync(path.join(dir, "boom.mjs"), plugin("boom", "1.0.0", "throw new Error('no');"));
    registry = await createScorerRegistry({ pluginDir: dir, timeLimitMs: 500, memoryMb: 64 });
    const ws = workspace();
    const [spin, boom, good] = await Promise.allSettled([
      scoreWorkspace(registry, { workspace: ws, scorer: "spin", params: {} }),
      scoreWorkspace(registry, { workspace: ws, scorer: "boom", params: {} }),
      scoreWorkspace(registry, { workspace: ws, scorer: "good", params: {} }),
    ]);
    expect(spin.status).toBe("rejected");
    expect(boom.status).toBe("rejected");
    expect(good.status === "fulfilled" && good.value.metrics.rows).toBe(2);
    const after = await scoreWorkspace(registry, { workspace: ws, scorer: "good", params: {} });
    expect(after.metrics.rows).toBe(2);
    const builtin = await scoreWorkspace(registry, {
      workspace: ws,
      scorer: "classification_accuracy",
      params: {},
    });
    expect(builtin.metrics.accuracy).toBe(0.5);
  });

  it("skips and reports plugins that cannot load, name clashes included", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "a-syntax.mjs"), "export const name = ;");
    writeFileSync(path.join(dir, "b-clash.mjs"), plugin("classification_f1", "9.9.9"));
    writeFileSync(
      path.join(dir, "c-noversion.mjs"),
      "export const name = 'nov'; export function score() {}",
    );
    writeFileSync(path.join(dir, "d-ok.mjs"), plugin("fine", "1.0.0"));
    writeFileSync(path.join(dir, "notes.txt"), "not a plugin");
    registry = await createScorerRegistry({ pluginDir: dir, timeLimitMs: 5000, memoryMb: 64 });
    const errors = registry.loadErrors();
    expect(errors.map((e) => path.basename(e.file)).sort()).toEqual([
      "a-syntax.mjs",
      "b-clash.mjs",
      "c-noversion.mjs",
    ]);
    expect(errors.find((e) => e.file.endsWith("b-clash.mjs"))?.message).toContain("built-in");
    expect(registry.get("classification_f1")?.kind).toBe("BUILTIN");
    expect(registry.has("fine")).toBe(true);
    expect(registry.has("nov")).toBe(false);
  });

  it("does not let a plugin see the host's environment", async () => {
    const dir = tempDir();
    process.env.AUTOSCORER_TEST_SECRET = "s3cret";
    writeFileSync(
      path.join(dir, "env.mjs"),
      plugin(
        "env",
        "1.0.0",
        "return { metrics: { seen: process.env.AUTOSCORER_TEST_SECRET ? 1 : 0 } };",
      ),
    );
    registry = await createScorerRegistry({ pluginDir: dir, timeLimitMs: 5000, memoryMb: 64 });
    const result = await scoreWorkspace(registry, {
      workspace: workspace(),
      scorer: "env",
      params: {},
    });
    expect(result.metrics.seen).toBe(0);
  });
});
