// The import graph of src/ has no cycle: modules depend on leaves (types, the contract) and
// on layers below them, never back. Type-only imports count: a cycle of types still ties
// two modules together.
import path from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("src/ import graph", () => {
  it("has no cycle", async () => {
    const graph = await madge(path.join(ROOT, "src"), {
      fileExtensions: ["ts"],
      tsConfig: path.join(ROOT, "tsconfig.json"),
      excludeRegExp: [/generated/],
      detectiveOptions: { ts: { skipTypeImports: false } },
    });
    const files = Object.keys(graph.obj());
    // The graph was really read: the lifecycle and its dependencies are in it.
    expect(files.length).toBeGreaterThan(100);
    expect(graph.obj()["domain/jobs/lifecycle.ts"]).toContain("domain/jobs/job-row.ts");
    expect(graph.circular()).toEqual([]);
  });
});
