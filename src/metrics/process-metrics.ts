// The metrics every process keeps of its own work: GraphQL operations it served, job moves
// it wrote, workspaces it scored, webhook attempts it made, and Node's process metrics.
// They count from the process's start, whatever roles it runs; Prometheus scrapes every
// process and sums them (docs/operations.md, "Metrics"). All are created at once, so each
// process exports every name (with no samples until something happens) and alert rules
// never depend on a series that appears only after its first event.
//
// One set per process rather than per platform: the lifecycle counts job moves from a
// module that takes no dependencies (src/domain/jobs/lifecycle.ts), so what it counts into
// must be reachable without them.
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { ATTEMPT_RESULTS } from "../domain/webhooks/deliveries.ts";
import { WEBHOOK_EVENTS, wireName } from "../domain/webhooks/events.ts";

export interface ProcessMetrics {
  registry: Registry;
  /** Lifecycle moves committed by this process's transactions; `from` is NONE at submission. */
  jobTransitions: Counter<"from" | "to">;
  graphqlOperations: Counter<"operation" | "type" | "outcome">;
  graphqlDuration: Histogram<"operation" | "type">;
  scorerDuration: Histogram<"scorer" | "outcome">;
  webhookAttempts: Counter<"result">;
  webhookAttemptDuration: Histogram<"result">;
  webhookDeliveries: Counter<"event" | "outcome">;
}

let shared: ProcessMetrics | undefined;

export function processMetrics(): ProcessMetrics {
  shared ??= createProcessMetrics();
  return shared;
}

function createProcessMetrics(): ProcessMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics: ProcessMetrics = {
    registry,
    jobTransitions: new Counter({
      name: "autoscorer_job_transitions_total",
      help: "Job state changes written by this process (from NONE: submitted)",
      labelNames: ["from", "to"],
      registers,
    }),
    graphqlOperations: new Counter({
      name: "autoscorer_graphql_operations_total",
      help: "GraphQL operations served, by operation name, type and outcome (ok, client_error, server_error)",
      labelNames: ["operation", "type", "outcome"],
      registers,
    }),
    graphqlDuration: new Histogram({
      name: "autoscorer_graphql_operation_duration_seconds",
      help: "Execution time of GraphQL queries and mutations (subscriptions: until they start)",
      labelNames: ["operation", "type"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    scorerDuration: new Histogram({
      name: "autoscorer_scorer_duration_seconds",
      help: "Time a worker's scorer took to score one workspace, by scorer and outcome (ok, error)",
      labelNames: ["scorer", "outcome"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600],
      registers,
    }),
    webhookAttempts: new Counter({
      name: "autoscorer_webhook_attempts_total",
      help: "Webhook delivery attempts, by result (success, http_error, network_error, timeout, refused)",
      labelNames: ["result"],
      registers,
    }),
    webhookAttemptDuration: new Histogram({
      name: "autoscorer_webhook_attempt_duration_seconds",
      help: "Time a webhook receiver took to answer one attempt",
      labelNames: ["result"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    webhookDeliveries: new Counter({
      name: "autoscorer_webhook_deliveries_total",
      help: "Webhook deliveries that ended: delivered, or failed once their attempts ran out",
      labelNames: ["event", "outcome"],
      registers,
    }),
  };
  // Series that alerts take increase() of start at zero: a series whose first sample is
  // already 1 hides that first failure from increase() and rate().
  for (const result of ATTEMPT_RESULTS) metrics.webhookAttempts.inc({ result }, 0);
  for (const event of WEBHOOK_EVENTS) {
    for (const outcome of ["delivered", "failed"]) {
      metrics.webhookDeliveries.inc({ event: wireName(event), outcome }, 0);
    }
  }
  return metrics;
}
