// Scorer params arrive as JSON from job specs, competitions and the CLI. Each scorer
// declares a zod schema (summary params included); a bad param is INVALID_VALUE naming it.
import { z } from "zod";
import { ScoringError } from "./errors.ts";
import { summaryParamsSchema } from "./result.ts";

export function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.infer<S> {
  const result = schema.safeParse(params ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    param:
      issue.path.map(String).join(".") ||
      (issue.code === "unrecognized_keys" ? issue.keys.join(",") : "params"),
    message: issue.message,
  }));
  throw new ScoringError(
    "INVALID_VALUE",
    `invalid params: ${issues.map((i) => `${i.param}: ${i.message}`).join("; ")}`,
    { params: issues },
  );
}

/** Extends the summary params with a scorer's own; unknown keys are rejected. */
export function scorerParams<T extends z.ZodRawShape>(shape: T) {
  return summaryParamsSchema.extend(shape).strict();
}

export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
