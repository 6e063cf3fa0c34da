// Resident memory of a whole process group, read from /proc: a job that forks workers is
// measured (and limited) as the sum of them all, not by its first process alone.
import { readdir, readFile } from "node:fs/promises";

const PAGE_BYTES = 4096;

/** Sum of resident bytes of every process whose process group is `pgid`; 0 if none. */
export async function groupResidentBytes(pgid: number): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return 0; // not Linux: no memory limit can be enforced this way
  }
  let total = 0;
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
      if (Number(fields[2]) !== pgid) return;
      total += Number(fields[21]) * PAGE_BYTES;
    }),
  );
  return total;
}
