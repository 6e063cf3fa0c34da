// A container job from submitJob to its Result on a real Docker engine: the API takes the
// JobSpec, the scheduler places it on the worker whose executor is Docker (a local node
// beside it shows the choice is real), the run is a hardened container labelled with the
// job, the scorer reads what it wrote, and nothing of it stays on the engine.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LABELS } from "../../src/executors/docker/labels.ts";
import { describeWithDocker } from "../helpers/docker.ts";
import { BUSYBOX_IMAGE } from "../images/build.ts";
import type { TestPipeline } from "../pipeline/helpers.ts";
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

describeWithDocker("a container job on the Docker executor, end to end", () => {
  let p: TestPipeline;
  let key: string;
  // Random: the engine is shared with other test files and other runs.
  const dockerNode = randomName("docker");

  beforeAll(async () => {
    ({ p, key } = await teamPipeline());
    await p.addWorker(randomName("local"));
    await p.addWorker(
      dockerNode,
      {},
      { "worker.executors": ["DOCKER"], "docker.pullPolicy": "never" },
    );
  });
  afterAll(async () => p?.close());

  it("runs the JobSpec's container on the Docker node, scores it, and removes the container", async () => {
    const id = await submitJob(
      p.api,
      key,
      containerJob("round-1", "sleep 1; ", { executor: "DOCKER" }),
    );
    // While it runs, the engine holds exactly one container for it, made by the Docker node.
    const seen = await until("the job's container", async () => {
      const found = await containersOfJob(id);
      return found.length > 0 && found;
    });
    expect(seen).toHaveLength(1);
    const container = seen[0] as (typeof seen)[number];
    expect(container.Image).toBe(BUSYBOX_IMAGE);
    expect(container.Labels).toMatchObject({
      [LABELS.job]: id,
      [LABELS.attempt]: "1",
      [LABELS.node]: dockerNode,
    });

    const job = await waitForJob(p.api, key, id);
    expect(job).toMatchObject({
      state: "SUCCEEDED",
      attempt: 1,
      backend: "DOCKER",
      errorCode: null,
    });
    expect(job.executorNodeId).toBe((await executor(p.api, dockerNode)).id);
    expect(job.result).toMatchObject({ attempt: 1, cached: false, metrics: EXPECTED_METRICS });
    // The command ran as the container's non-root user; the worker itself runs as root here.
    expect(job.logs.map((chunk) => chunk.text).join("\n")).toContain("uid=1000");
    const runInfo = JSON.parse(
      readFileSync(path.join(p.workspaceRoot, id, "attempt-1", "logs", "run_info.json"), "utf8"),
    );
    expect(runInfo).toMatchObject({
      executor: "DOCKER",
      outcome: "SUCCEEDED",
      details: { node: dockerNode, containerId: container.Id, adopted: false },
    });

    // Removed before the outcome was reported: nothing to wait for.
    expect(await containersOfJob(id)).toEqual([]);
    expect(await outcomesOf(p.api, id)).toEqual({ results: [{ attempt: 1 }], successes: 1 });
  });
});
