// Turns a zod schema failure into the typed VALIDATION_FAILED error, one issue per field.
import type { z } from "zod";
import { ValidationError } from "./errors.ts";

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      field: issue.path.map(String).join(".") || "input",
      message: issue.message,
    })),
  );
}

/** Lower-case slug used in URLs: 2–63 characters, letters, digits and inner dashes. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
