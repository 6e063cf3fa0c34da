// Which executor backs each node a worker runs, from config: the one place that picks a
// backend implementation.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import type { Config } from "../config/schema.ts";
import { createDockerExecutor } from "../executors/docker/docker-executor.ts";
import { createKubernetesExecutor } from "../executors/kubernetes/kubernetes-executor.ts";
import { createLocalExecutor } from "../executors/local/local-executor.ts";
import type { Executor } from "../executors/types.ts";
import type { ExecutorKind } from "../generated/prisma/enums.ts";

export function createExecutorFor(kind: ExecutorKind, config: Config, nodeName: string): Executor {
  const { worker } = config;
  switch (kind) {
    case "LOCAL":
      return createLocalExecutor({
        capacity: {
          cpuMillis: worker.cpuMillis,
          memoryMb: worker.memoryMb,
          gpus: worker.gpus,
          maxJobs: worker.maxJobs,
        },
        // Per node, under the data directory: a restarted worker of this node finds what
        // its predecessor started.
        stateDir: path.resolve(config.dataDir, "executors", nodeName),
      });
    case "DOCKER": {
      const d = config.docker;
      const read = (file: string | undefined) => (file ? readFileSync(file) : undefined);
      return createDockerExecutor({
        nodeName,
        docker: d.host
          ? {
              host: d.host,
              port: d.port,
              protocol: d.protocol,
              ca: read(d.caFile),
              cert: read(d.certFile),
              key: read(d.keyFile),
            }
          : { socketPath: d.socketPath },
        pullPolicy: d.pullPolicy,
        runAsUser: d.runAsUser,
        runAsGroup: d.runAsGroup,
        tmpSizeMb: d.tmpSizeMb,
        pidsLimit: d.pidsLimit,
        capacity: { cpuMillis: d.cpuMillis, memoryMb: d.memoryMb, maxJobs: d.maxJobs },
        gpus: d.gpus,
        gpuRuntime: d.gpuRuntime,
        killGraceMs: d.killGraceMs,
        reconnectGraceMs: d.reconnectGraceMs,
      });
    }
    case "KUBERNETES": {
      const k = config.kubernetes;
      return createKubernetesExecutor({
        nodeName,
        namespace: k.namespace,
        cluster: k.inCluster
          ? { inCluster: true }
          : {
              kubeconfigPath: k.kubeconfig ?? path.join(homedir(), ".kube", "config"),
              context: k.context,
            },
        volumes: k.volumes,
        capacity: {
          cpuMillis: k.cpuMillis,
          memoryMb: k.memoryMb,
          gpus: k.gpus,
          maxJobs: k.maxJobs,
        },
        imagePullPolicy: k.imagePullPolicy,
        ttlSecondsAfterFinished: k.ttlSecondsAfterFinished,
        unschedulableTimeoutSeconds: k.unschedulableTimeoutSeconds,
        startupAllowanceSeconds: k.startupAllowanceSeconds,
        splitLogStreams: k.splitLogStreams,
        runtimeClassName: k.runtimeClassName,
        serviceAccountName: k.serviceAccountName,
        nodeSelector: k.nodeSelector,
      });
    }
    default:
      throw new Error(`the ${kind} executor is not configured in this build`);
  }
}
