// A Docker engine that stops answering, through the whole platform: the Docker node talks to
// the engine through a proxy the test can break. Jobs placed on it in the moment before its
// worker's health check notices fail as lost to the platform, open the node's circuit
// breaker (seen in the `executors` query) and fail over to the healthy local node; jobs
// submitted once the node is known down wait for it. When the engine is back, the breaker
// half-opens, a probe succeeds, it closes, and Docker runs jobs again. Every job submitted
// ends SUCCEEDED with exactly one Result, and no container of theirs is left.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TestApi } from "../helpers/api.ts";
import { describeWithDocker } from "../helpers/docker.ts";
import type { TestPipeline } from "../pipeline/helpers.ts";
import { type EngineProxy, startEngineProxy } from "./engine-proxy.ts";
import {
  containerJob,
  containersOfJob,
  EXPECTED_METRICS,
  executor,
  type NodeSeen,
  outcomesOf,
  randomName,
  readJob,
  submitJob,
  teamPipeline,
  until,
  waitForJob,
} from "./helpers.ts";

/**
 * Every breaker state the node shows in the `executors` query, in order (repeats dropped),
 * until stopped. Polled often: a state may last only a breaker period.
 */
function watchCircuit(api: TestApi, name: string) {
  const seen: NodeSeen["circuit"][] = [];
  let stopped = false;
  const polling = (async () => {
    while (!stopped) {
      const { circuit } = await executor(api, name);
      if (seen.at(-1) !== circuit) seen.push(circuit);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  // Reported by stop(), which every path of the test awaits.
  polling.catch(() => {});
  return {
    seen,
    async stop() {
      stopped = true;
      await polling;
    },
  };
}

describeWithDocker("a Docker engine outage, end to end", () => {
  let p: TestPipeline;
  let proxy: EngineProxy;
  let key: string;
  const dockerNode = randomName("docker");
  const localNode = randomName("local");

  beforeAll(async () => {
    ({ p, key } = await teamPipeline({
      config: {
        // Docker is where jobs go; the local node is only where they may fail over to.
        "scheduler.defaultBackend": "DOCKER",
        // Jobs placed on the broken node in one go may come back to it before its breaker
        // has counted enough failures; the budget covers those extra attempts.
        "scheduler.maxAttempts": 5,
      },
      quota: { maxConcurrentJobs: 10 },
    }));
    proxy = await startEngineProxy();
    await p.addWorker(localNode);
    await p.addWorker(
      dockerNode,
      {},
      {
        "worker.executors": ["DOCKER"],
        "docker.socketPath": proxy.socketPath,
        "docker.pullPolicy": "never",
        // Room for every job of the test at once, whatever this machine's CPU count.
        "docker.maxJobs": 8,
        // The production heartbeat (5 s) rather than the tests' half second: an engine that
        // breaks between two health checks is what the breaker is for.
        "scheduler.heartbeatSeconds": 5,
        "scheduler.leaseSeconds": 30,
      },
    );
  });
  afterAll(async () => {
    await p?.close();
    await proxy?.close();
  });

  /** Drains or resumes a node as an admin would; returns its status. */
  async function adminOn(mutation: "drainExecutor" | "resumeExecutor", name: string) {
    const response = await p.api.gql<Record<string, { status?: string }>>(
      `mutation($name: String!) { ${mutation}(name: $name) {
         __typename ... on ExecutorNode { status } ... on Error { code } } }`,
      { name },
    );
    return response.data?.[mutation]?.status;
  }

  it("opens the breaker, fails over or waits, loses nothing, and closes again", async () => {
    const submit = () => submitJob(p.api, key, containerJob("round-1"));
    const before = await submit();
    expect(await waitForJob(p.api, key, before)).toMatchObject({
      state: "SUCCEEDED",
      backend: "DOCKER",
    });
    const docker = await executor(p.api, dockerNode);
    const local = await executor(p.api, localNode);
    expect(docker).toMatchObject({ healthy: true, circuit: "CLOSED" });

    // Jobs held back by a drain reach the node together when it resumes: each of them is
    // placed on the broken engine before the breaker can open.
    expect(await adminOn("drainExecutor", dockerNode)).toBe("DRAINING");
    const failedOver = await Promise.all([submit(), submit(), submit(), submit()]);
    // Break the engine just after a heartbeat found it healthy: the next one is 5 s away.
    const beat = docker.lastHeartbeatAt;
    await until("a heartbeat of the Docker node", async () => {
      return (await executor(p.api, dockerNode)).lastHeartbeatAt !== beat;
    });
    for (const id of failedOver) expect((await readJob(p.api, key, id)).state).toBe("PENDING");
    await proxy.refuse();
    const circuit = watchCircuit(p.api, dockerNode);
    const waiting: string[] = [];
    try {
      expect(await adminOn("resumeExecutor", dockerNode)).toBe("ACTIVE");
      await until("the Docker node's breaker to open", () => circuit.seen.includes("OPEN"));
      expect((await executor(p.api, dockerNode)).consecutiveFailures).toBeGreaterThanOrEqual(3);
      for (const id of failedOver) {
        const job = await waitForJob(p.api, key, id);
        expect(job, id).toMatchObject({ state: "SUCCEEDED", backend: "LOCAL" });
        expect(job.executorNodeId).toBe(local.id);
        expect(job.result).toMatchObject({ attempt: job.attempt, metrics: EXPECTED_METRICS });
        // It reached the broken node first, and was lost there to the platform.
        expect(job.events).toContainEqual(
          expect.objectContaining({ attempt: 1, errorCode: "EXECUTOR_UNAVAILABLE" }),
        );
      }

      // Once the node reports its engine down, a new job has not failed anywhere yet: its
      // backend is down, and it waits for it (it used to fail NO_EXECUTOR_AVAILABLE here).
      await until("the Docker node to report unhealthy", async () => {
        return !(await executor(p.api, dockerNode)).healthy;
      });
      waiting.push(...(await Promise.all([submit(), submit()])));
      // The breaker half-opens while the engine is still down: seconds of scheduler passes.
      await until("the breaker to half-open", () => circuit.seen.at(-1) === "HALF_OPEN", 15_000);
      for (const id of waiting) {
        const job = await readJob(p.api, key, id);
        expect(job.state, JSON.stringify(job)).toBe("PENDING");
      }

      await proxy.restore();
      for (const id of waiting) {
        const job = await waitForJob(p.api, key, id);
        expect(job, id).toMatchObject({ state: "SUCCEEDED", attempt: 1, backend: "DOCKER" });
        expect(job.executorNodeId).toBe(docker.id);
      }
      // A success closes the breaker at the node's next heartbeat.
      await until("the breaker to close", () => circuit.seen.at(-1) === "CLOSED", 15_000);
    } finally {
      await circuit.stop();
    }
    expect(circuit.seen).toEqual(["CLOSED", "OPEN", "HALF_OPEN", "CLOSED"]);

    // Docker takes jobs again.
    const after = await submit();
    expect(await waitForJob(p.api, key, after)).toMatchObject({
      state: "SUCCEEDED",
      attempt: 1,
      backend: "DOCKER",
    });

    for (const id of [before, ...failedOver, ...waiting, after]) {
      expect(await outcomesOf(p.api, id), id).toMatchObject({ results: [{}], successes: 1 });
      expect(await containersOfJob(id), id).toEqual([]);
    }
  });
});
