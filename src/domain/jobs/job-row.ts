// A job as the hot SQL paths read it: the "Job" table's columns under their own names.
import type { ExecutorKind, JobState } from "../../generated/prisma/enums.ts";

export interface JobRow {
  id: string;
  tenantId: string;
  submittedById: string;
  clientJobId: string | null;
  state: JobState;
  taskType: string;
  scorer: string;
  scorerParams: unknown;
  inputUri: string;
  timeLimitSec: number;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  container: unknown;
  executorPreference: ExecutorKind | null;
  priority: number;
  competitionId: string | null;
  phaseId: string | null;
  attempt: number;
  maxAttempts: number;
  executorNodeId: string | null;
  backend: ExecutorKind | null;
  errorCode: string | null;
  errorMessage: string | null;
  cancelRequested: boolean;
  submittedAt: Date;
  queuedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  notBefore: Date | null;
  leaseExpiresAt: Date | null;
  chargedOn: Date | null;
}

/** JobRow's columns, for statements that return jobs (qualified by `alias` when given). */
export function jobColumns(alias?: string): string {
  return JOB_COLUMNS.map((column) => `${alias ? `${alias}.` : ""}"${column}"`).join(", ");
}

const JOB_COLUMNS: ReadonlyArray<keyof JobRow> = [
  "id",
  "tenantId",
  "submittedById",
  "clientJobId",
  "state",
  "taskType",
  "scorer",
  "scorerParams",
  "inputUri",
  "timeLimitSec",
  "cpuMillis",
  "memoryMb",
  "gpus",
  "container",
  "executorPreference",
  "priority",
  "competitionId",
  "phaseId",
  "attempt",
  "maxAttempts",
  "executorNodeId",
  "backend",
  "errorCode",
  "errorMessage",
  "cancelRequested",
  "submittedAt",
  "queuedAt",
  "startedAt",
  "finishedAt",
  "notBefore",
  "leaseExpiresAt",
  "chargedOn",
];
