// What a whole process group uses, read from /proc: a job that forks workers is measured
// (and limited) as the sum of them all, not by its first process alone.
import { readdir, readFile } from "node:fs/promises";

const PAGE_BYTES = 4096;
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat on every Linux Node runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface GroupUsage {
  /** Processes in the group now. */
  processes: number;
  residentBytes: number;
  /** utime + stime of the live processes, in clock ticks. */
  cpuTicks: number;
}

/** Usage of every process whose process group is `pgid`; zeros when none (or not Linux). */
export async function groupUsage(pgid: number): Promise<GroupUsage> {
  const usage: GroupUsage = { processes: 0, residentBytes: 0, cpuTicks: 0 };
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return usage;
  }
  await Promise.all(
    entries.map(async (entry) => {
      if (!/^\d+$/.test(entry)) return;
      let stat: string;
      try {
        stat = await readFile(`/proc/${entry}/stat`, "utf8");
      } catch {
        return; // exited meanwhile
      }
      // Fields after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt
      // cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // A zombie has exited; it only waits for its parent to collect its status.
      if (Number(fields[2]) !== pgid || fields[0] === "Z") return;
      usage.processes += 1;
      usage.cpuTicks += Number(fields[11]) + Number(fields[12]);
      usage.residentBytes += Number(fields[21]) * PAGE_BYTES;
    }),
  );
  return usage;
}

/** The start time of process `pid` (clock ticks since boot), or null when it is gone. */
export async function processStartTicks(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[19]);
  } catch {
    return null;
  }
}
