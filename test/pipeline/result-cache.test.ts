// The result cache through the whole pipeline: identical inputs, scorer and params are scored
// once and reused (the Result says `cached`); other params or other bytes are scored afresh;
// a competition that opts out has every entry scored.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { submit } from "../jobs/helpers.ts";
import { GT, PRED, startTestPipeline, type TestPipeline } from "./helpers.ts";

let p: TestPipeline;
let key: string;

beforeAll(async () => {
  p = await startTestPipeline();
  await createTenant(p.api, "cache", { maxConcurrentJobs: 4 });
  key = (await createKey(p.api, "cache", "MEMBER")).token;
  p.input("cache", "same-1");
  p.input("cache", "same-2");
  p.input("cache", "other", { "gt.csv": GT, "pred.csv": PRED.replace("4,b", "4,a") });
  await p.addWorker("cache-node");
}, 60_000);
afterAll(async () => p?.close());

async function scored(input: Record<string, unknown>) {
  const job = await submit(p.api, { taskType: "classification", ...input }, key);
  const id = (job as { id: string }).id;
  await p.waitFor(id, ["SUCCEEDED"]);
  const result = await p.api.gql<{
    job: { result: { cached: boolean; metrics: Record<string, number> } };
  }>(`query($id: ID!) { job(id: $id) { ... on Job { result { cached metrics } } } }`, { id }, key);
  return result.data?.job.result as { cached: boolean; metrics: Record<string, number> };
}

describe("result cache", () => {
  it("scores identical inputs once and reuses the Result, whatever folder they sit in", async () => {
    const first = await scored({ scorer: "classification_f1", inputUri: "same-1" });
    const second = await scored({ scorer: "classification_f1", inputUri: "same-2" });
    expect(first.cached).toBe(false);
    expect(second).toEqual({ ...first, cached: true });
    // One entry, its hit noted for eviction.
    const { rows } = await p.api.db.pool.query<{ touched: boolean }>(
      `SELECT "lastHitAt" IS NOT NULL AS touched FROM "ResultCache"`,
    );
    expect(rows).toEqual([{ touched: true }]);
  });

  it("scores afresh for other params, another scorer or other bytes", async () => {
    expect(
      (
        await scored({
          scorer: "classification_f1",
          inputUri: "same-1",
          scorerParams: { metric: "accuracy" },
        })
      ).cached,
    ).toBe(false);
    expect((await scored({ scorer: "classification_accuracy", inputUri: "same-1" })).cached).toBe(
      false,
    );
    expect((await scored({ scorer: "classification_f1", inputUri: "other" })).cached).toBe(false);
  });

  it("scores every entry of a competition that opted out", async () => {
    const created = await p.api.gql(
      `mutation { createCompetition(input: { slug: "fresh", title: "Fresh", scorer: "classification_f1",
         metric: "f1_macro", resultCache: false, phases: [{ slug: "p1", name: "P1" }] }) { __typename } }`,
    );
    expect(created.errors).toBeUndefined();
    expect((await scored({ inputUri: "same-1", competition: "fresh" })).cached).toBe(false);
    expect((await scored({ inputUri: "same-2", competition: "fresh" })).cached).toBe(false);
  });
});
