// Refusals answered before anything runs: one shape for all of them, a contract code
// (docs/contract.md) in `extensions.code` and a stable `details.reason` naming the limit, so
// a client can tell "too deep" from "too big" without parsing messages. Yoga reads
// `extensions.http` for the response status and headers and strips it from the body.
import type { GraphQLError } from "graphql";
import { createGraphQLError } from "graphql-yoga";
import type { ApiErrorCode } from "../contract/error-codes.ts";
import { AppError } from "../domain/errors.ts";
import type { BucketClass, RateDecision } from "./rate-limit.ts";

/** Why a request was refused before it ran. */
export type RefusalReason =
  | "MAX_DEPTH"
  | "MAX_ALIASES"
  | "MAX_TOKENS"
  | "MAX_DIRECTIVES"
  | "MAX_COST"
  | "BODY_TOO_LARGE"
  | "BATCH_TOO_LARGE"
  | "CSRF_HEADER_MISSING"
  | "TOO_MANY_OPERATIONS";

export interface RefusalOptions {
  code?: ApiErrorCode;
  status?: number;
  /** The configured limit, when one was crossed. */
  limit?: number;
  headers?: Record<string, string>;
}

export function refusal(
  reason: RefusalReason,
  message: string,
  options: RefusalOptions = {},
): GraphQLError {
  return createGraphQLError(message, {
    extensions: {
      code: options.code ?? "VALIDATION_FAILED",
      details: { reason, ...(options.limit === undefined ? {} : { limit: options.limit }) },
      http: {
        status: options.status ?? 400,
        ...(options.headers ? { headers: options.headers } : {}),
      },
    },
  });
}

const HTTP_STATUS: Partial<Record<AppError["code"], number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
};

/** An expected failure that fails the whole request (no field ran), with its HTTP status. */
export function requestError(error: AppError): GraphQLError {
  return createGraphQLError(error.message, {
    extensions: {
      code: error.code,
      ...(error.details ? { details: error.details } : {}),
      http: { status: HTTP_STATUS[error.code] ?? 400 },
    },
  });
}

const BUCKET_NAMES: Record<BucketClass, string> = {
  apiKey: "API key",
  tenant: "tenant",
  admin: "admin key",
  anonymous: "client address",
};

/** RATE_LIMITED with `details.retryAfterSeconds` and the HTTP `Retry-After` header. */
export function rateLimited(
  decision: Extract<RateDecision, { allowed: false }>,
  operations = 1,
): GraphQLError {
  const { retryAfterSeconds, bucket } = decision;
  const what = operations > 1 ? `these ${operations} operations` : "this request";
  const error = new AppError(
    "RATE_LIMITED",
    `too many requests for this ${BUCKET_NAMES[bucket]}; retry ${what} in ${retryAfterSeconds} s`,
    { retryAfterSeconds, bucket },
  );
  return createGraphQLError(error.message, {
    extensions: {
      code: error.code,
      details: error.details,
      http: { status: 429, headers: { "Retry-After": String(retryAfterSeconds) } },
    },
  });
}

/** The same error without `extensions.http`, for transports that have no HTTP response. */
export function withoutHttp(error: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = error.extensions;
  return createGraphQLError(error.message, { extensions });
}
