// Every error code a client, a script or a job record may carry (docs/contract.md, "Error
// codes"). The one list: domain errors, scoring errors, execution outcomes, the GraphQL
// `ErrorCode` enum and the CLI's error JSON all take their codes from here.

/** Refusals of an API call. */
export const API_ERROR_CODES = [
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "VALIDATION_FAILED",
  "INVALID_STATE",
  "TENANT_SUSPENDED",
  "QUOTA_EXCEEDED",
  "DAILY_LIMIT_REACHED",
  "RATE_LIMITED",
] as const;

/** Why a workspace could not be scored. */
export const SCORING_ERROR_CODES = [
  "MISSING_FILE",
  "EMPTY_INPUT",
  "PARSE_ERROR",
  "BAD_HEADER",
  "MISSING_ID",
  "DUPLICATE_ID",
  "UNKNOWN_ID",
  "INVALID_VALUE",
  "FILE_TOO_LARGE",
  "UNKNOWN_SCORER",
  "SCORER_FAILED",
] as const;

/** How a run on an executor (or the platform around it) failed. */
export const EXECUTION_ERROR_CODES = [
  "IMAGE_NOT_FOUND",
  "CONTAINER_CREATE_FAILED",
  "EXECUTION_FAILED",
  "TIME_LIMIT_EXCEEDED",
  "MEMORY_LIMIT_EXCEEDED",
  "EXECUTOR_UNAVAILABLE",
  "NO_EXECUTOR_AVAILABLE",
  "GPU_NOT_AVAILABLE",
  "CANCELLED",
] as const;

export const ERROR_CODES = [
  ...API_ERROR_CODES,
  ...SCORING_ERROR_CODES,
  ...EXECUTION_ERROR_CODES,
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];
export type ScoringErrorCode = (typeof SCORING_ERROR_CODES)[number];
export type ExecutionErrorCode = (typeof EXECUTION_ERROR_CODES)[number];
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The codes a job can carry: what scoring or execution reported, or QUOTA_EXCEEDED for a
 * waiting job its tenant's lowered quota can no longer ever hold.
 */
export type JobErrorCode = ScoringErrorCode | ExecutionErrorCode | "QUOTA_EXCEEDED";

const JOB_ERROR_CODES: ReadonlySet<string> = new Set([
  ...SCORING_ERROR_CODES,
  ...EXECUTION_ERROR_CODES,
  "QUOTA_EXCEEDED",
]);

export const isJobErrorCode = (value: unknown): value is JobErrorCode =>
  typeof value === "string" && JOB_ERROR_CODES.has(value);
