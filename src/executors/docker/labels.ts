// How a container says whose it is. The labels are the only link between a container and
// its run once the worker that made it is gone: `adopt` finds a run by them, `sweep`
// removes this node's leftovers by them, and `sweepForeign` the runs of dead nodes that are
// over; containers of other software on a shared engine carry none and are never touched.
// The name also fences: a second start of the same run on the same node collides with the
// first instead of running twice.
import { createHash } from "node:crypto";
import type { RunRequest } from "../types.ts";

const PREFIX = "io.autoscorer";

export const LABELS = {
  job: `${PREFIX}.job`,
  attempt: `${PREFIX}.attempt`,
  tenant: `${PREFIX}.tenant`,
  node: `${PREFIX}.node`,
} as const;

export function runLabels(request: RunRequest, node: string): Record<string, string> {
  return {
    [LABELS.job]: request.jobId,
    [LABELS.attempt]: String(request.attempt),
    [LABELS.tenant]: request.tenantId,
    [LABELS.node]: node,
  };
}

/** A `listContainers` filter for this node's containers, optionally one run's. */
export function labelFilter(node: string, run?: { jobId: string; attempt: number }) {
  const label = [`${LABELS.node}=${node}`];
  if (run) label.push(`${LABELS.job}=${run.jobId}`, `${LABELS.attempt}=${run.attempt}`);
  return { label };
}

/** A `listContainers` filter for the runs of every node on the engine. */
export const anyNodeFilter = () => ({ label: [LABELS.node] });

/** The run a container belongs to, or null when its labels are not a run's. */
export function runOf(labels: Record<string, string> | undefined) {
  const jobId = labels?.[LABELS.job];
  const attempt = Number(labels?.[LABELS.attempt]);
  if (!jobId || !Number.isInteger(attempt)) return null;
  return { jobId, attempt };
}

/**
 * Container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*. Job ids normally fit; anything else is
 * replaced and the name gets a hash of the original, so two ids never share a name.
 */
export function containerName(node: string, request: RunRequest): string {
  const raw = `autoscorer-${node}-${request.jobId}-${request.attempt}`;
  const safe = raw.replace(/[^a-zA-Z0-9_.-]/g, "_").slice(0, 200);
  if (safe === raw) return raw;
  const hash = createHash("sha256").update(raw).digest("hex").slice(0, 12);
  return `${safe}-${hash}`;
}
