// scheduler.passIntervalMs: a pass that follows another starts no sooner than the interval
// after it (under load, one pass admits what several submissions brought), while a
// scheduler that has been idle longer than the interval admits a new job at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { submitAccepted } from "../jobs/helpers.ts";
import { startTestPipeline, type TestPipeline } from "./helpers.ts";

const INTERVAL_MS = 1500;

let p: TestPipeline;
let key: string;

beforeAll(async () => {
  // No timer passes: only the jobs' own events wake the scheduler here.
  p = await startTestPipeline({
    config: { "scheduler.passIntervalMs": INTERVAL_MS, "scheduler.tickMs": 600_000 },
  });
  await createTenant(p.api, "paced", { submissionsPerDay: 100, maxConcurrentJobs: 8 });
  key = (await createKey(p.api, "paced", "MEMBER")).token;
  await p.addWorker("paced-node");
  p.input("paced", "ok");
}, 60_000);
afterAll(async () => p?.close());

const submitJob = (): Promise<string> =>
  submitAccepted(
    p.api,
    { taskType: "classification", scorer: "classification_f1", inputUri: "ok" },
    key,
  );

/** When the job was admitted and submitted, by the database's clock. */
async function times(id: string): Promise<{ queuedAt: number; submittedAt: number }> {
  await p.waitFor(id, ["SUCCEEDED"]);
  const job = await p.job(id);
  if (!job.queuedAt) throw new Error(`job ${id} has no queuedAt`);
  return { queuedAt: job.queuedAt.getTime(), submittedAt: job.submittedAt.getTime() };
}

describe("scheduler pass interval", () => {
  it("admits a job at once after an idle spell, and the next no sooner than the interval", async () => {
    // Idle for longer than the interval (the start-up pass, the worker's node).
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS + 200));
    const first = await times(await submitJob());
    expect(first.queuedAt - first.submittedAt).toBeLessThan(INTERVAL_MS);

    const second = await times(await submitJob());
    // Its pass started at least the interval after the first job's pass, which began at
    // most a moment before that job's admission.
    expect(second.queuedAt - first.queuedAt).toBeGreaterThanOrEqual(INTERVAL_MS - 300);
  });
});
