// What /metrics answers: the process's own metrics (./process-metrics.ts) and, in API
// processes, the platform's state read at scrape time (./platform-gauges.ts), in the
// Prometheus text format.
import { Registry } from "prom-client";

export interface MetricsEndpoint {
  contentType: string;
  render(): Promise<string>;
}

export function createMetricsEndpoint(registries: readonly Registry[]): MetricsEndpoint {
  // Merged once: a name exported by two registries is a wiring bug, refused at start-up.
  const merged = Registry.merge([...registries]);
  return { contentType: merged.contentType, render: () => merged.metrics() };
}
