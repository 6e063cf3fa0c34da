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

export const TERMINAL_STATES: readonly JobState[] = [
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "CANCELLED",
];

export const isTerminal = (state: JobState): boolean => TERMINAL_STATES.includes(state);
