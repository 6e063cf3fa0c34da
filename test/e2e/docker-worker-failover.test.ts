// A Docker worker process SIGKILLed while its job's container runs, with another Docker
// worker up: the lost lease sends the job back, it runs again on the other node and is
// scored once. The killed node never comes back; once the job has moved on, the survivor
// removes the container the dead node left on the engine.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { LABELS } from "../../src/executors/docker/labels.ts";
import { describeWithDocker } from "../helpers/docker.ts";
import type { TestPipeline } from "../pipeline/helpers.ts";
import { type DockerWorkers, dockerWorkers } from "./docker-worker-processes.ts";
import {
  containerJob,
  containersOfJob,
  EXPECTED_METRICS,
  executor,
  outcomesOf,
  randomName,
  submitJob,
  teamPipeline,
  until,
  waitForJob,
} from "./helpers.ts";

describeWithDocker("a Docker worker killed mid-run, another one up", () => {
  let p: TestPipeline;
  let key: string;
  let workers: DockerWorkers;

  beforeAll(async () => {
    ({ p, key } = await teamPipeline());
    workers = dockerWorkers(p);
  });
  afterEach(async () => workers.stopAll());
  afterAll(async () => p?.close());

  it("runs the job again elsewhere, records one Result, and the survivor removes the dead node's container", async () => {
    const killed = randomName("killed");
    const survivor = randomName("survivor");
    // Leases of 2 s (spawnRole's setting): a dead worker's job comes back within seconds.
    const first = await workers.start(killed);
    // The run holds until the test says go (a file in the team's data folder, which runs
    // see read-only), so attempt 1 is still running when its worker dies, however slowly
    // the survivor starts; attempt 2 finds the file and goes straight on.
    const input = path.join(p.api.inputRoot, "team", p.input("team", "held"));
    const id = await submitJob(
      p.api,
      key,
      containerJob("held", "until [ -e input/data/go ]; do sleep 0.1; done; ", {
        executor: "DOCKER",
      }),
    );
    const orphan = await until("the job's container to run", async () => {
      const [found] = await containersOfJob(id);
      return found?.State === "running" && found;
    });
    expect(orphan.Labels).toMatchObject({ [LABELS.node]: killed, [LABELS.attempt]: "1" });
    // Up before the kill, so the job has somewhere to go as soon as its lease runs out.
    const second = await workers.start(survivor);
    first.child.kill("SIGKILL");
    writeFileSync(path.join(input, "data", "go"), "");

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

    // The survivor removed its own container, and the dead node's too: the job had moved
    // on to attempt 2, so attempt 1's run was over.
    await until(
      "the dead node's container to be removed",
      async () => (await containersOfJob(id)).length === 0,
    );
    expect(second.output()).toContain("removing a run its dead node left");
    // The sweep changed nothing about the job.
    expect((await waitForJob(p.api, key, id)).state).toBe("SUCCEEDED");
    expect(await outcomesOf(p.api, id)).toEqual({
      results: [{ attempt: job.attempt }],
      successes: 1,
    });
  });
});
