// Placement: which backend a job belongs on, and the least-loaded node of that backend
// with room for it. Pure functions over a snapshot, so the rules are tested without a
// database and every scheduler process decides the same way.
import type { ExecutorKind } from "../generated/prisma/enums.ts";

export interface Demand {
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  executorPreference: ExecutorKind | null;
  /**
   * Its last attempt ended by a failure of the platform (an engine gone, a container that
   * could not be created): it may fail over to another backend. Never set for a team's own
   * failures, which would fail the same way anywhere.
   */
  failingOver?: boolean;
}

export interface NodeState {
  id: string;
  name: string;
  kind: ExecutorKind;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  maxJobs: number;
  usedCpuMillis: number;
  usedMemoryMb: number;
  usedGpus: number;
  runningJobs: number;
  /** Active, healthy, heartbeating and breaker closed (or half-open with room for a probe). */
  usable: boolean;
  /** Half-open breaker: at most one job may be placed until one succeeds. */
  probeOnly: boolean;
  /**
   * Its worker heartbeats but its executor cannot reach what it runs on (a Docker engine
   * that does not answer reports no capacity at all): what it reports now is not its size.
   */
  recovering: boolean;
}

export interface BackendRules {
  defaultBackend: ExecutorKind;
  kubernetesCpuMillisAbove: number;
  kubernetesMemoryMbAbove: number;
}

/**
 * The backends a job may go to, by the rules in order: the caller's explicit preference;
 * GPU jobs to Kubernetes or a Docker node with GPUs; jobs above the size thresholds to
 * Kubernetes; everything else to the default backend. A rule naming a backend that has no
 * node at all falls through to the kinds that do, so a one-machine install without
 * Kubernetes still runs a large job locally instead of parking it forever.
 */
export function candidateKinds(
  job: Demand,
  rules: BackendRules,
  registered: ReadonlySet<ExecutorKind>,
): ExecutorKind[] {
  let wanted: ExecutorKind[];
  if (job.executorPreference) wanted = [job.executorPreference];
  else if (job.gpus > 0) wanted = ["KUBERNETES", "DOCKER"];
  else if (
    job.cpuMillis > rules.kubernetesCpuMillisAbove ||
    job.memoryMb > rules.kubernetesMemoryMbAbove
  ) {
    wanted = ["KUBERNETES"];
  } else wanted = [rules.defaultBackend];
  const present = wanted.filter((kind) => registered.has(kind));
  // An explicit preference is a requirement: never silently run elsewhere.
  if (present.length > 0 || job.executorPreference) return present;
  return [...registered];
}

export const fits = (node: NodeState, job: Demand): boolean =>
  node.usedCpuMillis + job.cpuMillis <= node.cpuMillis &&
  node.usedMemoryMb + job.memoryMb <= node.memoryMb &&
  node.usedGpus + job.gpus <= node.gpus &&
  node.runningJobs < (node.probeOnly ? 1 : node.maxJobs);

/** Could the node hold the job at all, were it empty? */
export const couldEverFit = (node: NodeState, job: Demand): boolean =>
  job.cpuMillis <= node.cpuMillis && job.memoryMb <= node.memoryMb && job.gpus <= node.gpus;

/**
 * Might the node hold the job once it can? A recovering node's size is unknown until its
 * executor answers again, so it rules nothing out: jobs wait for it rather than fail.
 */
const mightEverFit = (node: NodeState, job: Demand): boolean =>
  node.recovering || couldEverFit(node, job);

/**
 * Free capacity left on a node if the job were placed there, as the mean free fraction of
 * CPU, memory and job slots (and GPUs on GPU nodes). Higher is less loaded.
 */
export function freeScoreAfter(node: NodeState, job: Demand): number {
  const parts = [
    (node.cpuMillis - node.usedCpuMillis - job.cpuMillis) / node.cpuMillis,
    (node.memoryMb - node.usedMemoryMb - job.memoryMb) / node.memoryMb,
    (node.maxJobs - node.runningJobs - 1) / node.maxJobs,
  ];
  if (node.gpus > 0) parts.push((node.gpus - node.usedGpus - job.gpus) / node.gpus);
  return parts.reduce((sum, part) => sum + part, 0) / parts.length;
}

export type Placement =
  | { ok: true; node: NodeState }
  /** No usable node has room now; the job waits. */
  | { ok: false; reason: "busy" }
  /** No registered node of an allowed backend could ever hold it. */
  | { ok: false; reason: "never"; code: "NO_EXECUTOR_AVAILABLE" | "GPU_NOT_AVAILABLE" };

export function placeJob(
  job: Demand,
  nodes: readonly NodeState[],
  rules: BackendRules,
  registered: ReadonlySet<ExecutorKind>,
): Placement {
  const kinds = new Set(candidateKinds(job, rules, registered));
  const allowed = nodes.filter((node) => kinds.has(node.kind));
  if (!allowed.some((node) => mightEverFit(node, job))) {
    // With no node registered at all the platform is still starting: wait, don't fail.
    if (nodes.length === 0) return { ok: false, reason: "busy" };
    const gpuShort = job.gpus > 0 && !allowed.some((node) => node.gpus >= job.gpus);
    return {
      ok: false,
      reason: "never",
      code: gpuShort ? "GPU_NOT_AVAILABLE" : "NO_EXECUTOR_AVAILABLE",
    };
  }
  const best = leastLoaded(allowed, job);
  if (best) return { ok: true, node: best };
  // Failover: the backend its rules chose has no usable node (breaker open, engine down,
  // drained), and its last attempt was lost to the platform: any healthy backend will do.
  if (job.failingOver && !job.executorPreference && !allowed.some((node) => node.usable)) {
    const elsewhere = leastLoaded(
      nodes.filter((node) => !kinds.has(node.kind)),
      job,
    );
    if (elsewhere) return { ok: true, node: elsewhere };
  }
  return { ok: false, reason: "busy" };
}

/** The usable node with room for the job and the most capacity left after placing it. */
function leastLoaded(nodes: readonly NodeState[], job: Demand): NodeState | undefined {
  let best: NodeState | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const node of nodes) {
    if (!node.usable || !fits(node, job)) continue;
    const score = freeScoreAfter(node, job);
    // Ties go to the node name, so every scheduler picks the same node from one snapshot.
    if (score > bestScore || (score === bestScore && best && node.name < best.name)) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}

/** Books the job onto the node in the snapshot, so later choices in one pass see it. */
export function reserve(node: NodeState, job: Demand): void {
  node.usedCpuMillis += job.cpuMillis;
  node.usedMemoryMb += job.memoryMb;
  node.usedGpus += job.gpus;
  node.runningJobs += 1;
}
