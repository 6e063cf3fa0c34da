// Which runs left on an engine are over (src/domain/jobs/attempts-over.ts): those whose job
// moved on to another attempt, ended, went back to wait, or is gone; never a run whose
// attempt is still the job's placed one, and never a run of a node this database does not
// know (an engine shared with another installation).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { attemptsOver } from "../../src/domain/jobs/attempts-over.ts";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { baseSpec, makeInput, submit } from "./helpers.ts";

let api: TestApi;
let member: string;

beforeAll(async () => {
  api = await startTestApi();
  await createTenant(api, "team", { submissionsPerDay: 10, maxConcurrentJobs: 10 });
  member = (await createKey(api, "team", "MEMBER")).token;
  makeInput(api, "team");
  await api.db.pool.query(
    `INSERT INTO "ExecutorNode" (id, name, kind, "cpuMillis", "memoryMb", "maxJobs")
     VALUES (gen_random_uuid(), 'node-a', 'DOCKER', 4000, 8192, 4)`,
  );
});
afterAll(async () => api?.close());

/** A job put straight into `state` at `attempt` (the lifecycle is not what is tested). */
async function jobIn(state: string, attempt: number): Promise<string> {
  const job = await submit(api, baseSpec("sub"), member);
  const id = (job as { id: string }).id;
  await api.db.pool.query(`UPDATE "Job" SET state = $2::"JobState", attempt = $3 WHERE id = $1`, [
    id,
    state,
    attempt,
  ]);
  return id;
}

it("names the runs that are over and no other", async () => {
  const running = await jobIn("RUNNING", 2);
  const queued = await jobIn("QUEUED", 1);
  const handedBack = await jobIn("PENDING", 1);
  const succeeded = await jobIn("SUCCEEDED", 1);
  const gone = randomUUID();
  const runs = [
    { jobId: running, attempt: 2, node: "node-a" },
    { jobId: running, attempt: 1, node: "node-a" },
    { jobId: queued, attempt: 1, node: "node-a" },
    { jobId: handedBack, attempt: 1, node: "node-a" },
    { jobId: succeeded, attempt: 1, node: "node-a" },
    { jobId: gone, attempt: 1, node: "node-a" },
    { jobId: "not-a-job-id", attempt: 1, node: "node-a" },
    { jobId: succeeded, attempt: 1, node: "another-installations-node" },
  ];
  expect(await attemptsOver(api.db.pool, runs)).toEqual(
    new Set([`${running}:1`, `${handedBack}:1`, `${succeeded}:1`, `${gone}:1`, "not-a-job-id:1"]),
  );
  expect(await attemptsOver(api.db.pool, [])).toEqual(new Set());
});
