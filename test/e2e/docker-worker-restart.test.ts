// A Docker worker process SIGKILLed while its job's container runs, then started again
// under the same node name: the container outlived the worker, the new worker adopts it
// (found by its labels) and follows it to its end, and the job is scored once, in the
// attempt that started it. No container of the job is left on the engine.
import { readFileSync } from "node:fs";
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
  outcomesOf,
  randomName,
  submitJob,
  teamPipeline,
  until,
  waitForJob,
} from "./helpers.ts";

describeWithDocker("a Docker worker killed mid-run and restarted", () => {
  let p: TestPipeline;
  let key: string;
  let workers: DockerWorkers;

  beforeAll(async () => {
    ({ p, key } = await teamPipeline());
    workers = dockerWorkers(p);
  });
  afterEach(async () => workers.stopAll());
  afterAll(async () => p?.close());

  it("adopts the run that outlived it: one Result, same attempt, no container left", async () => {
    const node = randomName("restart");
    // A lease far longer than the test: the job is not handed to anyone else meanwhile,
    // so only the restarted worker can finish it.
    const longLease = { AUTOSCORER_SCHEDULER__LEASE_SECONDS: "60" };
    const first = await workers.start(node, longLease);
    // Long enough to still run when the second worker is up (a worker starts in seconds).
    const id = await submitJob(
      p.api,
      key,
      containerJob("round-1", "sleep 8; ", { executor: "DOCKER" }),
    );
    const running = await until("the job's container to run", async () => {
      const [found] = await containersOfJob(id);
      return found?.State === "running" && found;
    });
    expect(running.Labels).toMatchObject({ [LABELS.node]: node, [LABELS.attempt]: "1" });
    expect((await waitForJob(p.api, key, id, ["RUNNING"])).attempt).toBe(1);

    const exited = new Promise((resolve) => first.child.once("exit", resolve));
    first.child.kill("SIGKILL");
    await exited;
    // The run outlived its worker: the engine still runs it.
    expect((await containersOfJob(id)).map((c) => [c.Id, c.State])).toEqual([
      [running.Id, "running"],
    ]);

    const second = await workers.start(node, longLease);
    const job = await waitForJob(p.api, key, id);
    expect(job).toMatchObject({ state: "SUCCEEDED", attempt: 1, errorCode: null });
    expect(job.result).toMatchObject({ attempt: 1, metrics: EXPECTED_METRICS });
    expect(second.output()).toContain("adopted a run that outlived its worker");
    const runInfo = JSON.parse(
      readFileSync(path.join(p.workspaceRoot, id, "attempt-1", "logs", "run_info.json"), "utf8"),
    );
    expect(runInfo).toMatchObject({
      outcome: "SUCCEEDED",
      details: { node, containerId: running.Id, adopted: true },
    });
    // Re-attached while it ran: its later output reached the job's logs.
    expect(job.logs.map((chunk) => chunk.text).join("\n")).toContain("uid=1000");
    // Never handed back: no attempt ended, nothing went back to waiting.
    expect(job.events.filter((e) => e.fromState === "RUNNING").map((e) => e.toState)).toEqual([
      "SUCCEEDED",
    ]);
    expect(await outcomesOf(p.api, id)).toEqual({ results: [{ attempt: 1 }], successes: 1 });
    expect(await containersOfJob(id)).toEqual([]);
  });
});
