// The contract's error codes (docs/contract.md) in plain words, for a job that failed or
// an action the API refused. The API's own message follows with the specifics.
const EXPLANATIONS: Record<string, string> = {
  UNAUTHENTICATED: "The API key was missing, mistyped, revoked or expired.",
  FORBIDDEN: "Your key's role does not allow this.",
  NOT_FOUND: "It does not exist, or it belongs to another team.",
  VALIDATION_FAILED: "Some fields are not valid; see the messages beside them.",
  INVALID_STATE: "The job is not in a state that allows this (for example, it already finished).",
  TENANT_SUSPENDED: "Your team is suspended: it cannot submit or follow jobs until resumed.",
  QUOTA_EXCEEDED: "This would go over your team's quota (waiting jobs, CPU, memory, GPUs or time).",
  DAILY_LIMIT_REACHED: "Your team used all of today's submissions.",
  RATE_LIMITED: "Too many requests in a minute; wait a moment and try again.",
  MISSING_FILE: "A file the scorer needs (ground truth or predictions) was not found.",
  EMPTY_INPUT: "An input file is empty.",
  PARSE_ERROR: "An input file could not be read as CSV or JSON.",
  BAD_HEADER: "A CSV file's header does not have the columns the scorer expects.",
  MISSING_ID: "The predictions lack some ids that the ground truth has.",
  DUPLICATE_ID: "An id appears more than once in an input file.",
  UNKNOWN_ID: "The predictions contain ids that the ground truth does not have.",
  INVALID_VALUE: "A value in an input file is not valid for this scorer.",
  FILE_TOO_LARGE: "An input file is larger than the platform accepts.",
  UNKNOWN_SCORER: "No scorer has this name.",
  SCORER_FAILED: "The scorer stopped with an error.",
  IMAGE_NOT_FOUND: "The container image does not exist on the executor.",
  CONTAINER_CREATE_FAILED: "The executor could not create the container.",
  EXECUTION_FAILED: "Your command exited with an error; its log says why.",
  TIME_LIMIT_EXCEEDED: "The job ran longer than its time limit and was stopped.",
  MEMORY_LIMIT_EXCEEDED: "The job used more memory than it asked for and was stopped.",
  EXECUTOR_UNAVAILABLE: "The machine running the job became unavailable.",
  NO_EXECUTOR_AVAILABLE: "No healthy executor could take the job.",
  GPU_NOT_AVAILABLE: "The job asked for GPUs that no executor has.",
  CANCELLED: "The job was cancelled.",
  NETWORK: "The server could not be reached.",
  OFFLINE: "The live connection is closed; what you see may be out of date.",
};

export function explainCode(code: string | null | undefined): string {
  if (!code) return "";
  return EXPLANATIONS[code] ?? "An unexpected error; the message below has the details.";
}
