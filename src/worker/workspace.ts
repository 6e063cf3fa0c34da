// Builds a job attempt's workspace (CONTRACT.md): input/ is the tenant's input folder,
// output/ starts with the submitted predictions when there is no inference stage, logs/
// receives container.log and run_info.json, meta.json holds the JobSpec. Each attempt gets
// a fresh folder, so a retried job never reads a stale attempt's output.
import { existsSync } from "node:fs";
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { JobRow } from "../domain/jobs/job-row.ts";
import { formatCpu, formatMemory } from "../domain/jobs/resources.ts";

export const attemptWorkspace = (root: string, jobId: string, attempt: number): string =>
  path.join(path.resolve(root), jobId, `attempt-${attempt}`);

/** Files a submission may carry as its predictions when it has no inference stage. */
const PREDICTION_FILES = ["pred.csv", "pred.json"];

export async function prepareWorkspace(
  root: string,
  job: JobRow,
  inputDir: string,
): Promise<string> {
  const workspace = attemptWorkspace(root, job.id, job.attempt);
  // Left over only when a worker died mid-setup of this very attempt; usually absent, and
  // a recursive rm of a missing tree still walks the filesystem.
  if (existsSync(workspace)) await rm(workspace, { recursive: true, force: true });
  await mkdir(path.join(workspace, "output"), { recursive: true });
  await mkdir(path.join(workspace, "logs"), { recursive: true });
  // A link, not a copy: inputs can be gigabytes. The Docker executor mounts it read-only.
  await symlink(inputDir, path.join(workspace, "input"), "dir");
  if (!job.container) {
    for (const file of PREDICTION_FILES) {
      const source = path.join(inputDir, file);
      if (existsSync(source)) await symlink(source, path.join(workspace, "output", file));
    }
  }
  await writeFile(
    path.join(workspace, "meta.json"),
    `${JSON.stringify(jobSpecOf(job), null, 2)}\n`,
  );
  return workspace;
}

/** The JobSpec as CONTRACT.md names it, from the stored row. */
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
