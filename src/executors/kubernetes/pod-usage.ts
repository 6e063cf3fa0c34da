// CPU and memory of a running pod, from the metrics API (metrics.k8s.io, served by
// metrics-server). Kubernetes has no stream of these, so they are read at an interval; a
// cluster without metrics-server answers 404 and the run simply has no samples (the
// memory limit is still enforced by the kubelet: OOMKilled).
import type { KubeClient } from "./kube-client.ts";
import { parseQuantity } from "./quantity.ts";

interface PodMetrics {
  containers?: { name?: string; usage?: { cpu?: string; memory?: string } }[];
}

export interface UsageSampler {
  /** The highest memory seen, in bytes (null when never sampled). */
  readonly peakBytes: number | null;
  stop(): void;
}

export function sampleUsage(options: {
  client: KubeClient;
  namespace: string;
  pod: string;
  everyMs: number;
  onSample(sample: { cpuMillis: number; memoryBytes: number; at: number }): void;
}): UsageSampler {
  let peak: number | null = null;
  let busy = false;
  const read = async () => {
    if (busy) return;
    busy = true;
    try {
      const metrics = (await options.client.custom.getNamespacedCustomObject({
        group: "metrics.k8s.io",
        version: "v1beta1",
        namespace: options.namespace,
        plural: "pods",
        name: options.pod,
      })) as PodMetrics;
      let cpu = 0;
      let memory = 0;
      for (const container of metrics.containers ?? []) {
        cpu += parseQuantity(container.usage?.cpu) ?? 0;
        memory += parseQuantity(container.usage?.memory) ?? 0;
      }
      peak = Math.max(peak ?? 0, memory);
      options.onSample({
        cpuMillis: Math.round(cpu * 1000),
        memoryBytes: Math.round(memory),
        at: Date.now(),
      });
    } catch {
      // Deliberately quiet: samples are a convenience. No metrics-server (404), a pod not
      // measured yet (404) or a slow API must not disturb the run; the next tick tries again.
    } finally {
      busy = false;
    }
  };
  const timer = options.everyMs > 0 ? setInterval(() => void read(), options.everyMs) : undefined;
  if (timer) void read();
  return {
    get peakBytes() {
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}
