// Turns the engine's stats stream into usage samples. The engine reports cumulative CPU
// time (ns) and the previous frame's alongside (`precpu_stats`, `preread`); the first frame
// has no previous one, so its CPU is averaged since the run started, and bounded by the
// run's quota: that first window is milliseconds long and holds the container's own
// start-up work, which can show several cores' worth that means nothing. Memory is the working
// set as `docker stats` shows it: usage less inactive page cache, whose field is named
// `total_inactive_file` under cgroup v1 and `inactive_file` under v2.

/** The fields read from one stats frame; everything is optional because engines differ. */
export interface StatsFrame {
  read?: string;
  preread?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  precpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: {
    usage?: number;
    /** cgroup v1 only: the highest usage the kernel saw. */
    max_usage?: number;
    stats?: { total_inactive_file?: number; inactive_file?: number };
  };
  pids_stats?: { current?: number; limit?: number };
}

export interface UsageSample {
  cpuMillis: number;
  memoryBytes: number;
}

export interface UsageTracker {
  /** A sample from one frame, or null for a frame without figures (a container that ended). */
  sample(frame: StatsFrame, nowMs: number): UsageSample | null;
  /** Highest memory charged to the run so far (bytes); null before the first sample. */
  readonly peakBytes: number | null;
}

/** The engine's zero time ("0001-01-01T00:00:00Z") marks a missing previous frame. */
const timeOf = (text: string | undefined): number | null => {
  if (!text || text.startsWith("0001-")) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
};

export function workingSetBytes(memory: NonNullable<StatsFrame["memory_stats"]>): number | null {
  const usage = memory.usage;
  if (typeof usage !== "number") return null;
  const inactive = memory.stats?.total_inactive_file ?? memory.stats?.inactive_file ?? 0;
  return inactive < usage ? usage - inactive : usage;
}

/**
 * `runningSinceMs`: when the command started, for the first frame's average;
 * `cpuLimitMillis`: the run's quota, which that average cannot honestly exceed.
 */
export function createUsageTracker(runningSinceMs: number, cpuLimitMillis: number): UsageTracker {
  let peakBytes: number | null = null;
  return {
    sample(frame, nowMs) {
      const memory = frame.memory_stats ? workingSetBytes(frame.memory_stats) : null;
      const cpuNs = frame.cpu_stats?.cpu_usage?.total_usage;
      if (memory === null || typeof cpuNs !== "number") return null;
      // The limit applies to everything charged to the cgroup, page cache included, so the
      // kernel's own high-water mark (v1) is the peak that compares with the limit.
      peakBytes = Math.max(peakBytes ?? 0, memory, frame.memory_stats?.max_usage ?? 0);
      const read = timeOf(frame.read);
      const preread = timeOf(frame.preread);
      const preNs = frame.precpu_stats?.cpu_usage?.total_usage;
      let cpuMillis: number;
      if (read !== null && preread !== null && typeof preNs === "number" && read > preread) {
        cpuMillis = ((cpuNs - preNs) / 1e6 / (read - preread)) * 1000;
      } else {
        const elapsedMs = Math.max(1, nowMs - runningSinceMs);
        cpuMillis = Math.min(cpuLimitMillis, (cpuNs / 1e6 / elapsedMs) * 1000);
      }
      return { cpuMillis: Math.max(0, Math.round(cpuMillis)), memoryBytes: memory };
    },
    get peakBytes() {
      return peakBytes;
    },
  };
}
