// Old workspaces go: every attempt leaves a folder (inputs linked, outputs, logs), and a
// worker that ran for months would otherwise fill its disk. Results live in Postgres; the
// folders are kept for a while for their logs, then removed. Runs in progress are spared.
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";

/** Removes `<root>/<job>/attempt-<n>` folders last changed before `now - maxAgeMs`. */
export async function sweepWorkspaces(
  root: string,
  maxAgeMs: number,
  running: ReadonlySet<string>,
  now = Date.now(),
): Promise<number> {
  let removed = 0;
  const jobs = await readdir(root).catch(() => [] as string[]);
  for (const job of jobs) {
    if (running.has(job)) continue;
    const jobDir = path.join(root, job);
    const attempts = await readdir(jobDir).catch(() => [] as string[]);
    for (const attempt of attempts) {
      const dir = path.join(jobDir, attempt);
      const info = await stat(dir).catch(() => null);
      if (!info || now - info.mtimeMs < maxAgeMs) continue;
      await rm(dir, { recursive: true, force: true });
      removed += 1;
    }
    // The job's own folder goes with its last attempt.
    if ((await readdir(jobDir).catch(() => ["?"])).length === 0) {
      await rm(jobDir, { recursive: true, force: true });
    }
  }
  return removed;
}
