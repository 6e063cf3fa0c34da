// The Kubernetes executor's path for one run, measured end to end against the fake cluster
// (test/kube: the API server and Job controller in this process, pods on the local Docker
// engine): Job created, pod scheduled and started, log followed, Job deleted and gone.
// What it shows is the executor's and the API's share of a run on top of `docker run`;
// a real cluster adds its own scheduling and kubelet latency.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createKubernetesExecutor } from "../src/executors/kubernetes/kubernetes-executor.ts";
import type { Executor, RunRequest } from "../src/executors/types.ts";
import { startFakeKubernetes } from "../test/kube/server.ts";
import type { BenchBackend } from "./executors.ts";

const CLAIM = "bench-workspaces";

/**
 * The benchmark's job through the Kubernetes executor. The pod can only mount what lies
 * under the workspace volume, so each run gets its own folder under the claim's root with
 * the same input and output mounts as `request`'s.
 */
export async function kubernetesBackend(request: RunRequest): Promise<BenchBackend> {
  const root = mkdtempSync(path.join(os.tmpdir(), "autoscorer-bench-k8s-"));
  const fake = await startFakeKubernetes({
    claims: { [CLAIM]: root },
    node: { cpuMillis: 4000, memoryMb: 4096 },
  });
  const executor: Executor = createKubernetesExecutor({
    nodeName: "bench-node",
    namespace: "default",
    cluster: { kubeConfig: fake.kubeConfig() },
    volumes: [{ hostPath: root, claimName: CLAIM }],
    capacity: { cpuMillis: 4000, memoryMb: 4096, gpus: 0, maxJobs: 1 },
    splitLogStreams: true,
  });
  let sequence = 0;
  return {
    name: "Kubernetes executor (fake API server)",
    async runOnce() {
      sequence += 1;
      const dir = path.join(root, `run-${sequence}`);
      for (const sub of ["input/data", "output", "logs", "scratch"])
        mkdirSync(path.join(dir, sub), { recursive: true });
      const began = performance.now();
      const outcome = await executor.start({
        ...request,
        jobId: `bench-${process.pid}-${sequence}`,
        mounts: [
          { source: path.join(dir, "input", "data"), target: "input/data", readOnly: true },
          { source: path.join(dir, "output"), target: "output", readOnly: false },
        ],
        logDir: path.join(dir, "logs"),
        scratchDir: path.join(dir, "scratch"),
      }).outcome;
      const ms = performance.now() - began;
      if (!outcome.ok)
        throw new Error(`run ${sequence} failed: ${outcome.code} ${outcome.message}`);
      rmSync(dir, { recursive: true, force: true });
      return ms;
    },
    async close() {
      await executor.close();
      await fake.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
