// Which executor backs each node a worker runs, from config: the one place that picks a
// backend implementation.
import path from "node:path";
import type { Config } from "../config/schema.ts";
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
    default:
      throw new Error(`the ${kind} executor is not configured in this build`);
  }
}
