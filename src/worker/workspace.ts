// A job attempt's workspace (docs/contract.md) on the worker's host, and what of it a run
// may see. On the host: input/ links to the tenant's input folder (the scorer reads the
// ground truth there), output/ starts with the submitted predictions when there is no
// inference stage, logs/ (made only when there is one) receives container.log and
// run_info.json, meta.json holds the JobSpec. The inference stage sees only its mounts:
// input/data read-only (the data a team may read: never gt.*) and output/ to write. Each attempt gets a fresh folder, so a retried
// job never reads a stale attempt's output.
import { existsSync } from "node:fs";
import { lstat, readdir, unlink } from "node:fs/promises";
import path from "node:path";
import type { JobRow } from "../domain/jobs/job-row.ts";
import { formatCpu, formatMemory } from "../domain/jobs/resources.ts";
import type { Mount, RunRequest } from "../executors/types.ts";
import { type Result, resultFiles, resultText } from "../scorers/index.ts";
import type { FsStep, FsThread } from "./fs-thread.ts";

export const attemptWorkspace = (root: string, jobId: string, attempt: number): string =>
  path.join(path.resolve(root), jobId, `attempt-${attempt}`);

/** Files a submission may carry as its predictions when it has no inference stage. */
const PREDICTION_FILES = ["pred.csv", "pred.json"];

/** The inference stage of a job, as stored from its JobSpec. */
export interface ContainerSpec {
  image: string;
  cmd: string[];
  env?: Record<string, string>;
}

/** Sets up the attempt's workspace with one request to the worker's file-system thread. */
export async function prepareWorkspace(
  fs: Pick<FsThread, "run">,
  root: string,
  job: JobRow,
  inputDir: string,
): Promise<string> {
  const workspace = attemptWorkspace(root, job.id, job.attempt);
  const output = path.join(workspace, "output");
  const steps: FsStep[] = [
    // Left over only when a worker died mid-setup of this very attempt.
    { op: "remove", path: workspace },
    { op: "mkdir", path: output },
    // A link, not a copy: inputs can be gigabytes. Only the scorer, on this host, follows it.
    { op: "symlink", target: inputDir, path: path.join(workspace, "input") },
  ];
  if (job.container) {
    // Only a run writes logs (container.log, run_info.json): a job scored without one has
    // no logs/, and one folder less to create per job.
    steps.push({ op: "mkdir", path: path.join(workspace, "logs") });
    // The run's user is not the worker's: let it write its predictions (the folder is this
    // attempt's alone, inside the worker's own workspace root).
    steps.push({ op: "chmod", path: output, mode: 0o777 });
  } else {
    for (const file of PREDICTION_FILES) {
      const target = path.join(inputDir, file);
      steps.push({ op: "symlinkIfPresent", target, path: path.join(output, file) });
    }
  }
  steps.push({
    op: "write",
    path: path.join(workspace, "meta.json"),
    text: `${JSON.stringify(jobSpecOf(job), null, 2)}\n`,
  });
  await fs.run(steps);
  return workspace;
}

/** Writes output/result.json (scorers/workspace.ts resultFiles) in one file-system request. */
export async function writeResultOn(
  fs: Pick<FsThread, "run">,
  workspace: string,
  result: Result,
): Promise<void> {
  const files = resultFiles(workspace);
  await fs.run([
    { op: "mkdir", path: files.dir },
    { op: "write", path: files.temporary, text: resultText(result), exclusive: true },
    { op: "rename", from: files.temporary, to: files.target },
  ]);
}

/** The mounts of a job's inference stage: the team's data read-only, its output folder. */
export function runMounts(workspace: string, inputDir: string): Mount[] {
  const mounts: Mount[] = [];
  const data = path.join(inputDir, "data");
  if (existsSync(data)) mounts.push({ source: data, target: "input/data", readOnly: true });
  mounts.push({ source: path.join(workspace, "output"), target: "output", readOnly: false });
  return mounts;
}

/** What an executor is asked to run for the job's attempt in `workspace`. */
export function runRequestFor(
  job: JobRow,
  container: ContainerSpec,
  workspace: string,
  inputDir: string,
): RunRequest {
  return {
    jobId: job.id,
    attempt: job.attempt,
    tenantId: job.tenantId,
    image: container.image,
    command: container.cmd,
    env: container.env ?? {},
    mounts: runMounts(workspace, inputDir),
    logDir: path.join(workspace, "logs"),
    scratchDir: path.join(workspace, "run"),
    resources: { cpuMillis: job.cpuMillis, memoryMb: job.memoryMb, gpus: job.gpus },
    timeLimitMs: job.timeLimitSec * 1000,
  };
}

/**
 * Removes every link a run left in its output folder, at any depth. The scorer reads
 * output/ on the host, as the worker's user: a link there could point it at any file the
 * worker can read (another tenant's ground truth, the host's secrets). Returns the removed
 * paths, relative to output/.
 */
export async function removeOutputLinks(workspace: string): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string, relative: string): Promise<void> => {
    for (const entry of await readdir(dir)) {
      const full = path.join(dir, entry);
      const info = await lstat(full);
      if (info.isSymbolicLink()) {
        await unlink(full);
        removed.push(path.join(relative, entry));
      } else if (info.isDirectory()) {
        await walk(full, path.join(relative, entry));
      }
    }
  };
  await walk(path.join(workspace, "output"), "");
  return removed;
}

/** The JobSpec as docs/contract.md names it, from the stored row. */
export function jobSpecOf(job: JobRow): Record<string, unknown> {
  return {
    jobId: job.clientJobId ?? job.id,
    id: job.id,
    attempt: job.attempt,
    taskType: job.taskType,
    scorer: job.scorer,
    scorerParams: job.scorerParams,
    inputUri: job.inputUri,
    timeLimit: job.timeLimitSec,
    resources: {
      cpu: formatCpu(job.cpuMillis),
      memory: formatMemory(job.memoryMb),
      gpus: job.gpus,
    },
    container: job.container,
    executor: job.backend,
    priority: job.priority,
    competition: job.competitionId,
    phase: job.phaseId,
  };
}
