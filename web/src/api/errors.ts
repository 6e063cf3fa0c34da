// What can go wrong talking to the API, as values the pages can show. Expected failures of
// a field are typed results (unions over the API's `Error` interface); `unwrap` turns them
// into an ApiError carrying the code, the field issues and the details the API sent.

export interface FieldIssue {
  field: string;
  message: string;
}

/** The fields every operation selects on a result union's error members. */
export const ERROR_FIELDS = `
  ... on Error { code message }
  ... on ValidationError { issues { field message } }
  ... on BaseError { details }`;

/** The same for submitJob and retryJob, whose unions also hold the submission limits. */
export const SUBMISSION_ERROR_FIELDS = `${ERROR_FIELDS}
  ... on QuotaExceededError { details }
  ... on DailyLimitReachedError { limit limitResetsAt: resetsAt }`;

export interface ErrorResult {
  __typename: "BaseError" | "ValidationError" | "QuotaExceededError" | "DailyLimitReachedError";
  code: string;
  message: string;
  issues?: FieldIssue[];
  details?: unknown;
  limit?: number;
  limitResetsAt?: string | null;
}

const ERROR_TYPES = new Set<string>([
  "BaseError",
  "ValidationError",
  "QuotaExceededError",
  "DailyLimitReachedError",
]);

export class ApiError extends Error {
  readonly code: string;
  readonly issues: FieldIssue[];
  readonly details: unknown;
  /** DAILY_LIMIT_REACHED: when submissions open again. */
  readonly resetsAt: string | null;

  constructor(
    message: string,
    code: string,
    extra: { issues?: FieldIssue[]; details?: unknown; resetsAt?: string | null } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ApiError";
    this.code = code;
    this.issues = extra.issues ?? [];
    this.details = extra.details;
    this.resetsAt = extra.resetsAt ?? null;
  }
}

/** The key was refused (HTTP 401, or the socket closed 4401/4403): the session is over. */
export class SessionRefusedError extends ApiError {
  constructor(message: string, code = "UNAUTHENTICATED") {
    super(message, code);
    this.name = "SessionRefusedError";
  }
}

export function isErrorResult(value: { __typename: string }): value is ErrorResult {
  return ERROR_TYPES.has(value.__typename);
}

/** The success member of a result union, or its error as an ApiError. */
export function unwrap<T extends { __typename: string }>(value: T | ErrorResult): T {
  if (isErrorResult(value)) {
    throw new ApiError(value.message, value.code, {
      issues: value.issues ?? [],
      details: value.details,
      resetsAt: value.limitResetsAt ?? null,
    });
  }
  return value;
}

/** A message for anything thrown while loading or acting. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
