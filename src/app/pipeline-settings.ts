// The job pipeline's settings, read off the Config in one place: the scheduler, the
// worker and the API's submission path all agree on paths, leases and retry policy.
import { hostname } from "node:os";
import path from "node:path";
import type { Config } from "../config/schema.ts";
import type { ExecutorKind } from "../generated/prisma/enums.ts";
import type { SchedulerSettings } from "../scheduler/scheduler.ts";
import type { LiveOutputSettings } from "../worker/live-output.ts";
import type { WorkerSettings } from "../worker/worker.ts";

export const inputRootOf = (config: Config): string =>
  path.resolve(config.inputDir ?? path.join(config.dataDir, "inputs"));

export const workspaceRootOf = (config: Config): string =>
  path.resolve(config.workspaceDir ?? path.join(config.dataDir, "workspaces"));

const backoffOf = (config: Config) => ({
  baseMs: config.scheduler.backoffBaseMs,
  maxMs: config.scheduler.backoffMaxMs,
});

const breakerOf = (config: Config) => ({
  failures: config.scheduler.breakerFailures,
  openSeconds: config.scheduler.breakerOpenSeconds,
});

export function schedulerSettingsOf(config: Config): SchedulerSettings {
  const s = config.scheduler;
  return {
    rules: {
      defaultBackend: s.defaultBackend,
      kubernetesCpuMillisAbove: s.kubernetesCpuMillisAbove,
      kubernetesMemoryMbAbove: s.kubernetesMemoryMbAbove,
    },
    reaper: { backoff: backoffOf(config), breaker: breakerOf(config), batch: s.passLimit },
    passLimit: s.passLimit,
    dispatchTimeoutMs: s.leaseSeconds * 1000,
    tickMs: s.tickMs,
    passIntervalMs: s.passIntervalMs,
  };
}

/**
 * A worker's node name for one of its executors: `worker.name` itself when the worker runs
 * one executor and names it, else `<name or host name>-<kind>`.
 */
export function nodeNameOf(config: Config, kind: ExecutorKind): string {
  const { name, executors } = config.worker;
  if (name && executors.length === 1) return name;
  return `${name ?? hostname()}-${kind.toLowerCase()}`;
}

export function workerSettingsOf(config: Config, kind: ExecutorKind): WorkerSettings {
  return {
    name: nodeNameOf(config, kind),
    leaseMs: config.scheduler.leaseSeconds * 1000,
    heartbeatMs: Math.min(
      config.scheduler.heartbeatSeconds * 1000,
      (config.scheduler.leaseSeconds * 1000) / 3,
    ),
    workspaceRoot: workspaceRootOf(config),
    inputRoot: inputRootOf(config),
    backoff: backoffOf(config),
    breaker: breakerOf(config),
    batchSize: config.worker.batchSize,
    shutdownGraceMs: config.worker.shutdownGraceSeconds * 1000,
    workspaceRetentionMs: config.worker.workspaceRetentionHours * 3_600_000,
    prepareAllowanceMs: config.worker.prepareAllowanceSeconds * 1000,
  };
}

export function liveOutputSettingsOf(config: Config): LiveOutputSettings {
  const { realtime } = config;
  return {
    flushMs: realtime.logFlushMs,
    chunkBytes: realtime.logChunkKb * 1024,
    bytesPerAttempt: realtime.logMbPerAttempt * 1024 * 1024,
    sampleMs: realtime.sampleMs,
    samplesPerAttempt: realtime.samplesPerAttempt,
  };
}
