// An executor node as the planner sees it, idle and usable unless told otherwise.
import type { ExecutorKind } from "../../src/generated/prisma/enums.ts";
import type { NodeState } from "../../src/scheduler/placement.ts";

export function node(
  name: string,
  over: Partial<NodeState> & { kind?: ExecutorKind } = {},
): NodeState {
  return {
    id: name,
    name,
    kind: "LOCAL",
    cpuMillis: 8000,
    memoryMb: 16384,
    gpus: 0,
    maxJobs: 8,
    usedCpuMillis: 0,
    usedMemoryMb: 0,
    usedGpus: 0,
    runningJobs: 0,
    usable: true,
    probeOnly: false,
    recovering: false,
    ...over,
  };
}
