// What the Kubernetes executor is configured with, and why each setting exists. The defaults
// suit a real cluster; tests shorten the waits.
import type { KubeConfig } from "@kubernetes/client-node";
import type { IToleration } from "kubernetes-models/v1/Toleration";
import type { ExecutorCapacity } from "../types.ts";
import type { WorkspaceVolume } from "./volumes.ts";

/** How to reach the API server. */
export type ClusterAccess =
  /** The worker runs in the cluster: its pod's service account token and CA. */
  | { inCluster: true }
  /** A kubeconfig file (a worker outside the cluster); its current context unless named. */
  | { kubeconfigPath: string; context?: string }
  /** A ready KubeConfig (tests, or a caller that builds its own). */
  | { kubeConfig: KubeConfig };

export interface KubernetesExecutorOptions {
  /**
   * This worker's node name. Every Job carries it as a label, so `sweep` removes only what
   * this node started, never another worker's runs in the same namespace.
   */
  nodeName: string;
  /** The namespace the Jobs run in; the worker's service account needs RBAC there only. */
  namespace: string;
  cluster: ClusterAccess;
  /**
   * The host folders through which the worker sees the workspace volume(s), each with the
   * PVC that holds the same files in the cluster. A run's mounts must lie under one of them.
   */
  volumes: WorkspaceVolume[];
  /**
   * What this node may place on the cluster. The scheduler never books more than this; the
   * API cannot tell it (quotas, other tenants of the cluster), so configuration does.
   */
  capacity: ExecutorCapacity;
  /**
   * How long a finished Job stays when no worker deletes it (one that crashed): long enough
   * for a restarted worker to adopt it and read its logs, short enough not to pile up.
   * Default 3600.
   */
  ttlSecondsAfterFinished?: number;
  /**
   * How long a pod may stay unschedulable (no node with room, a GPU nobody has) before the
   * run ends with NO_EXECUTOR_AVAILABLE (GPU_NOT_AVAILABLE for GPUs) instead of waiting for
   * ever. Default 300.
   */
  unschedulableTimeoutSeconds?: number;
  /**
   * Added to the time limit for the Job's activeDeadlineSeconds, which counts from the Job's
   * start and so includes the image pull and pod start-up. The executor enforces the time
   * limit itself from the container's start; the deadline is the cluster's backstop for a
   * run no worker watches any more. Default 600.
   */
  startupAllowanceSeconds?: number;
  /**
   * The container's imagePullPolicy. IfNotPresent (the default) reuses an image a node has,
   * which suits immutable tags (a submission's image); Always re-checks the registry on
   * every run, for mutable tags; Never runs only pre-loaded images.
   */
  imagePullPolicy?: "IfNotPresent" | "Always" | "Never";
  /**
   * The non-root user and group the run's container runs as (Pod Security "restricted"
   * forbids root). Folders the run writes are handed to them. Default 1000 and 1000.
   */
  runAsUser?: number;
  runAsGroup?: number;
  /**
   * A service account for the pods, when the namespace's default one must not be used. Its
   * token is never mounted either way: a run has no business with the API server.
   */
  serviceAccountName?: string;
  /**
   * Between SIGTERM and SIGKILL when a run is stopped (pod terminationGracePeriodSeconds);
   * Kubernetes' default of 30 s would make a cancel slow. Default 2.
   */
  terminationGracePeriodSeconds?: number;
  /**
   * Read stdout and stderr apart. Kubernetes returns them interleaved unless the cluster
   * enables the PodLogsQuerySplitStreams feature gate (alpha since 1.32); a cluster without
   * it ignores the request and would return every line twice. Default false: all lines are
   * then reported as stdout.
   */
  splitLogStreams?: boolean;
  /**
   * Size of the writable /tmp (an emptyDir) beside the read-only root, in MiB: programs
   * need scratch space, and a bound keeps one run from filling the node's disk. Default 256.
   */
  tmpSizeMb?: number;
  /**
   * How often CPU and memory are read from metrics.k8s.io (it has no watch, so samples cost
   * one API call per run each time; metrics-server itself refreshes about every 15 s).
   * 0 turns sampling off. Default 2000.
   */
  usageSampleMs?: number;
  /**
   * How long the executor keeps retrying an API server that does not answer (or answers 5xx)
   * before a run ends with EXECUTOR_UNAVAILABLE. Default 30000.
   */
  apiRetryMs?: number;
  /** Largest container.log kept (default 16 MiB); later lines are only streamed. */
  logCapBytes?: number;
  /** Secrets for pulling from private registries. */
  imagePullSecrets?: string[];
  /** Where runs may be placed (GPU nodes, a dedicated pool). */
  nodeSelector?: Record<string, string>;
  tolerations?: IToleration[];
  /** A sandboxing runtime (gVisor, Kata) for strangers' code, when the cluster has one. */
  runtimeClassName?: string;
}

export type ResolvedOptions = Required<
  Omit<
    KubernetesExecutorOptions,
    | "serviceAccountName"
    | "imagePullSecrets"
    | "nodeSelector"
    | "tolerations"
    | "runtimeClassName"
    | "logCapBytes"
  >
> &
  Pick<
    KubernetesExecutorOptions,
    | "serviceAccountName"
    | "imagePullSecrets"
    | "nodeSelector"
    | "tolerations"
    | "runtimeClassName"
    | "logCapBytes"
  >;

/** A setting the executor cannot work with; thrown when the executor is created. */
export class KubernetesConfigError extends Error {
  override readonly name = "KubernetesConfigError";
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function resolveOptions(options: KubernetesExecutorOptions): ResolvedOptions {
  // Settings given as undefined keep their defaults.
  const given = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as KubernetesExecutorOptions;
  const resolved: ResolvedOptions = {
    ttlSecondsAfterFinished: 3600,
    unschedulableTimeoutSeconds: 300,
    startupAllowanceSeconds: 600,
    imagePullPolicy: "IfNotPresent",
    runAsUser: 1000,
    runAsGroup: 1000,
    terminationGracePeriodSeconds: 2,
    splitLogStreams: false,
    tmpSizeMb: 256,
    usageSampleMs: 2000,
    apiRetryMs: 30_000,
    ...given,
  };
  if (!resolved.nodeName) throw new KubernetesConfigError("nodeName is required");
  if (!DNS1123_LABEL.test(resolved.namespace) || resolved.namespace.length > 63)
    throw new KubernetesConfigError(
      `namespace "${resolved.namespace}" is not a valid namespace name`,
    );
  for (const id of ["runAsUser", "runAsGroup"] as const)
    if (!Number.isInteger(resolved[id]) || resolved[id] <= 0)
      throw new KubernetesConfigError(`${id} must be a positive integer: pods never run as root`);
  for (const volume of resolved.volumes)
    if (!volume.hostPath.startsWith("/") || !volume.claimName)
      throw new KubernetesConfigError(
        `volume ${JSON.stringify(volume)}: hostPath must be absolute and claimName set`,
      );
  return resolved;
}
