// A fake Kubernetes cluster for tests: an API server on node:http that speaks the subset of
// the Kubernetes API the executor uses (batch/v1 Jobs, core/v1 Pods and their logs, watches
// with resourceVersion and bookmarks, metrics.k8s.io PodMetrics, Status objects), a Job
// controller, a scheduler for one node of fixed capacity, and a kubelet that really runs
// each pod with Docker. It is reached through a kubeconfig, with the real client-node, so
// the executor's own Kubernetes code paths are what the tests exercise.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type Docker from "dockerode";
import { stringify } from "yaml";
import { createDockerRuntime } from "./docker-runtime.ts";
import { createJobController } from "./job-controller.ts";
import { createKubelet } from "./kubelet.ts";
import { type ApiContext, route, sendJson } from "./routes.ts";
import { createScheduler, type NodeCapacity } from "./scheduler.ts";
import { ApiError, failure, unauthorized } from "./status.ts";
import { createStore, type Store, type StoredObject } from "./store.ts";

export interface FakeKubernetesOptions {
  /** Namespaces that exist; default ["default"]. */
  namespaces?: string[];
  /** The one node's name and allocatable capacity. */
  node?: Partial<NodeCapacity> & { name?: string };
  /** PersistentVolumeClaim name → the host directory that backs it. */
  claims?: Record<string, string>;
  imagePullBackoffMs?: number;
  /** Time a pod spends in ContainerCreating before its container is made. */
  containerStartDelayMs?: number;
  /** A ResourceQuota on the number of pods in each namespace. */
  podQuota?: number;
  /** The PodLogsQuerySplitStreams feature gate (on by default here). */
  splitLogStreams?: boolean;
  bookmarkIntervalMs?: number;
  /** The server ends each watch after this long (clients must resume). */
  maxWatchMs?: number;
  /** Changes kept for watches to resume from. */
  historyLimit?: number;
  docker?: Docker;
}

export interface FakeKubernetes {
  url: string;
  /** A kubeconfig file for this cluster (bearer token, skipTLSVerify over plain http). */
  kubeconfigPath: string;
  kubeConfig(): KubeConfig;
  nodeName: string;
  store: Store;
  acceptedJobs: ApiContext["acceptedJobs"];
  deletions: ApiContext["deletions"];
  requests: { method: string; path: string }[];
  jobs(namespace?: string): StoredObject[];
  pods(namespace?: string): StoredObject[];
  /** Drops the change history: watches from an older resourceVersion get 410. */
  compact(): void;
  /** An outage: open connections are cut and new ones reset until it is available again. */
  setAvailable(available: boolean): void;
  close(): Promise<void>;
}

export async function startFakeKubernetes(
  options: FakeKubernetesOptions = {},
): Promise<FakeKubernetes> {
  const instance = randomBytes(6).toString("hex");
  const token = randomBytes(16).toString("hex");
  const nodeName = options.node?.name ?? "fake-node";
  const claims = { ...(options.claims ?? {}) };
  const store = createStore({
    ...(options.historyLimit ? { historyLimit: options.historyLimit } : {}),
  });
  const runtime = await createDockerRuntime(instance, options.docker);
  const kubelet = createKubelet({
    store,
    runtime,
    nodeName,
    claims,
    imagePullBackoffMs: options.imagePullBackoffMs ?? 1000,
    containerStartDelayMs: options.containerStartDelayMs ?? 0,
  });
  const scheduler = createScheduler({
    store,
    nodeName,
    claims,
    capacity: {
      cpuMillis: options.node?.cpuMillis ?? 4000,
      memoryMb: options.node?.memoryMb ?? 4096,
      gpus: options.node?.gpus ?? 0,
      pods: options.node?.pods ?? 110,
    },
  });
  const jobs = createJobController({
    store,
    kubelet,
    ...(options.podQuota === undefined ? {} : { podQuota: options.podQuota }),
  });
  const context: ApiContext = {
    store,
    jobs,
    kubelet,
    namespaces: new Set(options.namespaces ?? ["default"]),
    splitLogStreams: options.splitLogStreams ?? true,
    watch: {
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
      maxWatchMs: options.maxWatchMs ?? 5 * 60_000,
    },
    watches: new Set(),
    acceptedJobs: [],
    deletions: [],
  };
  const requests: FakeKubernetes["requests"] = [];
  const sockets = new Set<Socket>();
  let available = true;

  const server = http.createServer((request, response) => {
    if (!available) {
      request.socket.destroy();
      return;
    }
    requests.push({ method: request.method ?? "", path: request.url ?? "" });
    const answer = async () => {
      if (request.headers.authorization !== `Bearer ${token}`) throw unauthorized();
      await route(context, request, response);
    };
    answer().catch((error: unknown) => {
      const status =
        error instanceof ApiError
          ? error.status
          : failure(500, "InternalError", `Internal error occurred: ${String(error)}`);
      if (!response.headersSent) sendJson(response, status.code, status);
      else response.destroy(error instanceof Error ? error : undefined);
    });
  });
  server.on("connection", (socket) => {
    if (!available) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const dir = mkdtempSync(path.join(os.tmpdir(), "autoscorer-fake-kube-"));
  const kubeconfigPath = path.join(dir, "kubeconfig");
  writeFileSync(
    kubeconfigPath,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "fake", cluster: { server: url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "fake", user: { token } }],
      contexts: [
        { name: "fake", context: { cluster: "fake", user: "fake", namespace: "default" } },
      ],
      "current-context": "fake",
    }),
  );

  return {
    url,
    kubeconfigPath,
    kubeConfig() {
      const config = new KubeConfig();
      config.loadFromFile(kubeconfigPath);
      return config;
    },
    nodeName,
    store,
    acceptedJobs: context.acceptedJobs,
    deletions: context.deletions,
    requests,
    jobs: (namespace) => store.list("jobs", namespace),
    pods: (namespace) => store.list("pods", namespace),
    compact: () => store.compact(),
    setAvailable(value) {
      available = value;
      if (!value) for (const socket of sockets) socket.destroy();
    },
    async close() {
      available = false;
      for (const watch of context.watches) watch.end();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      jobs.close();
      scheduler.close();
      await kubelet.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
