// Expected failures of an API call, each with a stable code (docs/contract.md). Resolvers
// expose them as typed GraphQL errors; the CLI prints them. Anything that is not an
// AppError is a bug: masked to clients and logged with the request id.

import type { ApiErrorCode } from "../contract/error-codes.ts";

export interface FieldIssue {
  /** Dotted path of the offending input field, e.g. `resources.memory`. */
  field: string;
  message: string;
}

export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = "a valid API key is required") {
    super("UNAUTHENTICATED", message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = "not allowed") {
    super("FORBIDDEN", message);
  }
}

export class NotFoundError extends AppError {
  constructor(
    readonly resource: string,
    readonly key: string,
  ) {
    super("NOT_FOUND", `${resource} ${JSON.stringify(key)} not found`, { resource, key });
  }
}

export class ValidationError extends AppError {
  constructor(
    readonly issues: FieldIssue[],
    message = issues.map((i) => `${i.field}: ${i.message}`).join("; "),
  ) {
    super("VALIDATION_FAILED", message, { issues });
  }
}

export class InvalidStateError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("INVALID_STATE", message, details);
  }
}

export class TenantSuspendedError extends AppError {
  constructor(slug: string) {
    super("TENANT_SUSPENDED", `tenant ${JSON.stringify(slug)} is suspended`, { tenant: slug });
  }
}

export class QuotaExceededError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("QUOTA_EXCEEDED", message, details);
  }
}

export class DailyLimitReachedError extends AppError {
  /** `resetsAt` is null for a total (not daily) limit, which never resets. */
  constructor(
    readonly limit: number,
    readonly resetsAt: Date | null,
    scope: string,
  ) {
    super("DAILY_LIMIT_REACHED", `submission limit of ${limit} reached for ${scope}`, {
      limit,
      resetsAt: resetsAt?.toISOString() ?? null,
      scope,
    });
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super("RATE_LIMITED", `too many requests; retry in ${retryAfterSeconds} s`, {
      retryAfterSeconds,
    });
  }
}

/** Postgres unique violation surfaced through Prisma (P2002) or pg (23505). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "P2002" || code === "23505";
}
