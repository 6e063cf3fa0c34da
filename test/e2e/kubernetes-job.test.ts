// Container jobs from submitJob to their Results on the Kubernetes backend: a worker whose
// executor is Kubernetes, configured as an operator would (a kubeconfig, a namespace, the
// PVCs behind the input and workspace folders), talks to the fake API server of test/kube,
// whose kubelet really runs each pod's container with Docker. One job asks for Kubernetes
// in its JobSpec; one gets there by the size rule (a local node beside it could hold it).
// Afterwards the cluster holds no Job and no pod of theirs, and Docker no pod container.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ANNOTATIONS, LABELS } from "../../src/executors/kubernetes/naming.ts";
import { docker } from "../executors/docker-helpers.ts";
import { describeWithDocker } from "../helpers/docker.ts";
import { type FakeKubernetes, startFakeKubernetes } from "../kube/server.ts";
import type { StoredObject } from "../kube/store.ts";
import type { TestPipeline } from "../pipeline/helpers.ts";
import {
  containerJob,
  EXPECTED_METRICS,
  executor,
  outcomesOf,
  randomName,
  submitJob,
  teamPipeline,
  waitForJob,
} from "./helpers.ts";

describeWithDocker("container jobs on the Kubernetes executor, end to end", () => {
  let p: TestPipeline;
  let fake: FakeKubernetes;
  let key: string;
  const kubeNode = randomName("kube");
  /** Every pod the fake cluster ever held, by uid: what the kubelet ran. */
  const pods = new Map<string, StoredObject>();

  beforeAll(async () => {
    // Above 1 CPU a job belongs on Kubernetes (the test default sends nothing there by size).
    ({ p, key } = await teamPipeline({
      config: { "scheduler.kubernetesCpuMillisAbove": 1000 },
      quota: { cpuMillis: 8000 },
    }));
    // The claims hold the very folders the worker writes: the fake kubelet mounts their
    // subPaths into the pod, as a ReadWriteMany volume would.
    fake = await startFakeKubernetes({
      claims: { inputs: p.api.inputRoot, workspaces: p.workspaceRoot },
      node: { cpuMillis: 4000, memoryMb: 2048 },
      imagePullBackoffMs: 200,
      bookmarkIntervalMs: 500,
    });
    fake.store.subscribe((event) => {
      if (event.resource === "pods") pods.set(event.object.metadata.uid, event.object);
    });
    await p.addWorker(randomName("local"));
    await p.addWorker(
      kubeNode,
      {},
      {
        "worker.executors": ["KUBERNETES"],
        "kubernetes.kubeconfig": fake.kubeconfigPath,
        "kubernetes.namespace": "default",
        "kubernetes.volumes": [
          { hostPath: p.api.inputRoot, claimName: "inputs" },
          { hostPath: p.workspaceRoot, claimName: "workspaces" },
        ],
        "kubernetes.cpuMillis": 4000,
        "kubernetes.memoryMb": 2048,
        "kubernetes.maxJobs": 4,
        "kubernetes.imagePullPolicy": "Never",
      },
    );
  });
  afterAll(async () => {
    await p?.close();
    await fake?.close();
  });

  it("runs each job as a Job and pod through the API server, scores it, and leaves nothing", async () => {
    const asked = await submitJob(
      p.api,
      key,
      containerJob("round-1", "", { executor: "KUBERNETES" }),
    );
    const large = await submitJob(
      p.api,
      key,
      containerJob("round-1", "", { resources: { cpu: "1500m", memory: "128Mi" } }),
    );
    const node = await executor(p.api, kubeNode);
    for (const id of [asked, large]) {
      const job = await waitForJob(p.api, key, id);
      expect(job, id).toMatchObject({ state: "SUCCEEDED", attempt: 1, backend: "KUBERNETES" });
      expect(job.executorNodeId).toBe(node.id);
      expect(job.result).toMatchObject({ attempt: 1, metrics: EXPECTED_METRICS });
      // The pod's security context: the restricted non-root user, not the worker's root.
      expect(job.logs.map((chunk) => chunk.text).join("\n")).toContain("uid=1000");
      expect(await outcomesOf(p.api, id)).toEqual({ results: [{ attempt: 1 }], successes: 1 });

      // The fake cluster accepted exactly one Job for it and ran its pod.
      const manifests = fake.acceptedJobs.filter(
        (accepted) =>
          (accepted.manifest as StoredObject).metadata.annotations?.[ANNOTATIONS.jobId] === id,
      );
      expect(manifests, id).toHaveLength(1);
      const ran = [...pods.values()].filter((pod) => pod.metadata.labels?.[LABELS.job] === id);
      expect(ran.length, id).toBeGreaterThan(0);
    }

    // The outcome resolves only once the Job and its pods are gone: nothing to wait for.
    expect(fake.jobs()).toEqual([]);
    expect(fake.pods()).toEqual([]);
    for (const pod of pods.values()) {
      const containers = await docker.listContainers({
        all: true,
        filters: { label: [`io.kubernetes.pod.uid=${pod.metadata.uid}`] },
      });
      expect(containers, pod.metadata.name).toEqual([]);
    }
  });
});
