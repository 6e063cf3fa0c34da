// The fake cluster's scheduler: one node with a fixed allocatable capacity. A pod is bound
// when its requests fit beside the pods already bound there (requests, not use, as the real
// scheduler counts); otherwise it stays Pending with PodScheduled=False, reason
// Unschedulable, and the message kubectl shows ("0/1 nodes are available: 1 Insufficient
// memory."). Pending pods are tried again whenever a pod ends or goes.
import { setConditions } from "./conditions.ts";
import type { ContainerSpec, PodSpec, VolumeSpec } from "./pod-plan.ts";
import { parseQuantity } from "./quantity.ts";
import type { Store, StoredObject } from "./store.ts";

export interface NodeCapacity {
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  pods: number;
}

export interface Scheduler {
  close(): void;
}

const GPU = "nvidia.com/gpu";

/** What a pod asks for, in the node's units; requests default to limits, as the API does. */
function podRequests(spec: PodSpec): { cpuMillis: number; memoryMb: number; gpus: number } {
  const total = { cpuMillis: 0, memoryMb: 0, gpus: 0 };
  for (const container of spec.containers as ContainerSpec[]) {
    const read = (name: string) =>
      parseQuantity(container.resources?.requests?.[name] ?? container.resources?.limits?.[name]) ??
      0;
    total.cpuMillis += read("cpu") * 1000;
    total.memoryMb += read("memory") / 2 ** 20;
    total.gpus += read(GPU);
  }
  return total;
}

const isTerminal = (pod: StoredObject) =>
  pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

export function createScheduler(options: {
  store: Store;
  nodeName: string;
  capacity: NodeCapacity;
  claims: Readonly<Record<string, string>>;
}): Scheduler {
  const { store, capacity } = options;
  let queued = false;

  const reconcile = () => {
    queued = false;
    const pods = store.list("pods");
    const used = { cpuMillis: 0, memoryMb: 0, gpus: 0, pods: 0 };
    for (const pod of pods) {
      if ((pod.spec as PodSpec).nodeName !== options.nodeName || isTerminal(pod)) continue;
      const requests = podRequests(pod.spec as PodSpec);
      used.cpuMillis += requests.cpuMillis;
      used.memoryMb += requests.memoryMb;
      used.gpus += requests.gpus;
      used.pods += 1;
    }
    const pending = pods
      .filter((p) => !(p.spec as PodSpec).nodeName && !p.metadata.deletionTimestamp)
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
    for (const pod of pending) {
      const requests = podRequests(pod.spec as PodSpec);
      const missingClaims = ((pod.spec as PodSpec).volumes ?? [])
        .flatMap((v: VolumeSpec) =>
          v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : [],
        )
        .filter((claim) => options.claims[claim] === undefined);
      const shortOf: string[] = [];
      if (used.cpuMillis + requests.cpuMillis > capacity.cpuMillis)
        shortOf.push("1 Insufficient cpu");
      if (used.memoryMb + requests.memoryMb > capacity.memoryMb)
        shortOf.push("1 Insufficient memory");
      if (requests.gpus > 0 && used.gpus + requests.gpus > capacity.gpus)
        shortOf.push(`1 Insufficient ${GPU}`);
      if (used.pods + 1 > capacity.pods) shortOf.push("1 Too many pods");
      const { namespace, name } = pod.metadata;
      if (missingClaims.length > 0 || shortOf.length > 0) {
        const why =
          missingClaims.length > 0
            ? `persistentvolumeclaim "${missingClaims[0]}" not found`
            : `${shortOf.join(", ")}`;
        const message = `0/1 nodes are available: ${why}. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.`;
        store.update("pods", namespace, name, (p) => {
          p.status = {
            ...p.status,
            phase: "Pending",
            conditions: setConditions(p.status?.conditions, [
              { type: "PodScheduled", status: "False", reason: "Unschedulable", message },
            ]),
          };
        });
        continue;
      }
      used.cpuMillis += requests.cpuMillis;
      used.memoryMb += requests.memoryMb;
      used.gpus += requests.gpus;
      used.pods += 1;
      store.update("pods", namespace, name, (p) => {
        p.spec.nodeName = options.nodeName;
        p.status = {
          ...p.status,
          phase: "Pending",
          conditions: setConditions(p.status?.conditions, [
            { type: "PodScheduled", status: "True" },
          ]),
        };
      });
    }
  };

  const unsubscribe = store.subscribe((event) => {
    if (event.resource !== "pods" || queued) return;
    queued = true;
    setImmediate(reconcile);
  });
  return { close: unsubscribe };
}
