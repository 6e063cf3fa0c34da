// A Docker worker process SIGKILLed while its job's container runs, with another Docker
// worker up: the lost lease sends the job back, it runs again on the other node and is
// scored once. The killed node's container is left on the engine (only that node may
// touch it), until a worker of that node starts again and sweeps it by its labels.
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { LABELS } from "../../src/executors/docker/labels.ts";
import { describeWithDocker } from "../helpers/docker.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { startTestPipeline, type TestPipeline } from "../pipeline/helpers.ts";
import { type DockerWorkers, dockerWorkers } from "./docker-worker-processes.ts";
import {
  containerJob,
  containersOfJob,
  EXPECTED_METRICS,
  executor,
  outcomesOf,
  randomName,
  submitJob,
  until,
  waitForJob,
} from "./helpers.ts";

describeWithDocker("a Docker worker killed mid-run, another one up", () => {
  let p: TestPipeline;
  let key: string;
  let workers: DockerWorkers;

  beforeAll(async () => {
    p = await startTestPipeline();
    await createTenant(p.api, "team", { submissionsPerDay: 100 });
    key = (await createKey(p.api, "team", "MEMBER")).token;
    p.input("team", "round-1");
    workers = dockerWorkers(p);
  });
  afterEach(async () => workers.stopAll());
  afterAll(async () => p?.close());

  it("runs the job again elsewhere, records one Result, and the killed node's restart sweeps its orphan", async () => {
    const killed = randomName("killed");
    const survivor = randomName("survivor");
    // Leases of 2 s (spawnRole's setting): a dead worker's job comes back within seconds.
    const first = await workers.start(killed);
    const id = await submitJob(
      p.api,
      key,
      containerJob("round-1", "sleep 3; ", { executor: "DOCKER" }),
    );
    const orphan = await until("the job's container to run", async () => {
      const [found] = await containersOfJob(id);
      return found?.State === "running" && found;
    });
    expect(orphan.Labels).toMatchObject({ [LABELS.node]: killed, [LABELS.attempt]: "1" });
    // Up before the kill, so the job has somewhere to go as soon as its lease runs out.
    await workers.start(survivor);
    first.child.kill("SIGKILL");

    const job = await waitForJob(p.api, key, id);
    expect(job).toMatchObject({ state: "SUCCEEDED", errorCode: null });
    expect(job.executorNodeId).toBe((await executor(p.api, survivor)).id);
    expect(job.result).toMatchObject({ attempt: job.attempt, metrics: EXPECTED_METRICS });
    // Attempt 1 ended as lost to the platform, not as the team's failure.
    expect(job.events).toContainEqual(
      expect.objectContaining({
        attempt: 1,
        fromState: "RUNNING",
        toState: "PENDING",
        errorCode: "EXECUTOR_UNAVAILABLE",
      }),
    );
    expect(await outcomesOf(p.api, id)).toEqual({
      results: [{ attempt: job.attempt }],
      successes: 1,
    });

    // The survivor removed its own container; the killed node's is still there, and no
    // other node may remove it.
    expect((await containersOfJob(id)).map((c) => c.Id)).toEqual([orphan.Id]);
    const restarted = await workers.start(killed);
    await until("the orphan to be swept", async () => (await containersOfJob(id)).length === 0);
    expect(restarted.output()).toContain("removed runs nobody owns any more");
    // The late sweep changed nothing about the job.
    expect((await waitForJob(p.api, key, id)).state).toBe("SUCCEEDED");
    expect(await outcomesOf(p.api, id)).toEqual({
      results: [{ attempt: job.attempt }],
      successes: 1,
    });
  });
});
