// The submit form's text fields turned into a JobSpecInput, with the mistakes that can be
// caught before sending (JSON that does not parse, a number that is not one). Everything
// else is the API's to judge; its ValidationError issues name fields by the same paths.
import type { FieldIssue } from "../../api/errors.ts";

export type SpecFields = Record<SpecField, string>;

export const SPEC_FIELDS = [
  "tenant",
  "taskType",
  "competition",
  "phase",
  "scorer",
  "scorerParams",
  "inputUri",
  "timeLimit",
  "resources.cpu",
  "resources.memory",
  "resources.gpus",
  "priority",
  "executor",
  "container.image",
  "container.cmd",
  "container.env",
  "jobId",
] as const;

export type SpecField = (typeof SPEC_FIELDS)[number];

export const emptySpec = (): SpecFields =>
  Object.fromEntries(
    SPEC_FIELDS.map((field) => [field, field === "taskType" ? "classification" : ""]),
  ) as SpecFields;

export function buildSpec(fields: SpecFields): {
  input: Record<string, unknown>;
  issues: FieldIssue[];
} {
  const issues: FieldIssue[] = [];
  const text = (field: SpecField) => fields[field].trim();
  const int = (field: SpecField): number | undefined => {
    const value = text(field);
    if (!value) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed)) issues.push({ field, message: "must be a whole number" });
    return parsed;
  };
  const json = (field: SpecField): unknown => {
    const value = text(field);
    if (!value) return undefined;
    try {
      return JSON.parse(value);
    } catch {
      issues.push({ field, message: "is not valid JSON" });
      return undefined;
    }
  };
  const input: Record<string, unknown> = {};
  const set = (name: string, value: unknown) => {
    if (value !== undefined && value !== "") input[name] = value;
  };
  set("tenant", text("tenant"));
  set("taskType", text("taskType"));
  set("competition", text("competition"));
  set("phase", text("phase"));
  set("scorer", text("scorer"));
  set("scorerParams", json("scorerParams"));
  set("inputUri", text("inputUri"));
  set("timeLimit", int("timeLimit"));
  set("priority", int("priority"));
  set("executor", text("executor"));
  set("jobId", text("jobId"));
  const resources: Record<string, unknown> = {};
  if (text("resources.cpu")) resources.cpu = text("resources.cpu");
  if (text("resources.memory")) resources.memory = text("resources.memory");
  const gpus = int("resources.gpus");
  if (gpus !== undefined) resources.gpus = gpus;
  if (Object.keys(resources).length > 0) input.resources = resources;
  // One argument per line: a shell command with spaces stays one argument.
  const cmd = fields["container.cmd"].split("\n").filter((line) => line.trim() !== "");
  if (text("container.image") || cmd.length > 0) {
    const env = json("container.env");
    input.container = {
      image: text("container.image"),
      cmd,
      ...(env === undefined ? {} : { env }),
    };
  }
  return { input, issues };
}

/** The issues about one form field (the API may name a deeper path, e.g. container.cmd.0). */
export const issuesFor = (issues: FieldIssue[], field: SpecField): FieldIssue[] =>
  issues.filter((issue) => issue.field === field || issue.field.startsWith(`${field}.`));
