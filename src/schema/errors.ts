// Typed errors: every expected failure is an object implementing `Error { code message }`.
// Fields opt in with `errors: {}` and get a union of their result and these types.

import { ERROR_CODES } from "../contract/error-codes.ts";
import {
  AppError,
  DailyLimitReachedError,
  type FieldIssue,
  QuotaExceededError,
  ValidationError,
} from "../domain/errors.ts";
import { builder } from "./builder.ts";

/** Every code a client may see: API, scoring and execution (docs/contract.md). */
export const ErrorCode = builder.enumType("ErrorCode", { values: ERROR_CODES });

export const ErrorInterface = builder.interfaceRef<AppError>("Error").implement({
  description: "An expected failure with a stable machine-readable code",
  fields: (t) => ({
    code: t.field({ type: ErrorCode, resolve: (error) => error.code }),
    message: t.exposeString("message"),
  }),
});

// The errors plugin resolves a caught error to the most specific class a field lists, so a
// DailyLimitReachedError from a field that lists only AppError is still a BaseError.
builder.objectType(AppError, {
  name: "BaseError",
  description: "Any expected failure; see `code` and `details`",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof AppError,
  fields: (t) => ({
    details: t.field({ type: "JSON", nullable: true, resolve: (e) => e.details ?? null }),
  }),
});

const FieldIssueRef = builder.objectRef<FieldIssue>("FieldIssue").implement({
  fields: (t) => ({ field: t.exposeString("field"), message: t.exposeString("message") }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({ issues: t.field({ type: [FieldIssueRef], resolve: (e) => e.issues }) }),
});

builder.objectType(DailyLimitReachedError, {
  name: "DailyLimitReachedError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof DailyLimitReachedError,
  fields: (t) => ({
    limit: t.exposeInt("limit"),
    resetsAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the window reopens; null for a total limit",
      resolve: (e) => e.resetsAt,
    }),
  }),
});

builder.objectType(QuotaExceededError, {
  name: "QuotaExceededError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof QuotaExceededError,
  fields: (t) => ({
    details: t.field({ type: "JSON", nullable: true, resolve: (e) => e.details ?? null }),
  }),
});
