// The JobSpec of docs/contract.md: what a caller may submit, checked field by field so every
// mistake comes back at once as VALIDATION_FAILED with the offending field's path.
import { z } from "zod";
import { parseInput } from "../validation.ts";
import { parseCpu, parseMemory } from "./resources.ts";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Client idempotency keys: printable, short, safe in logs and URLs. */
const CLIENT_JOB_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const DEFAULT_CPU_MILLIS = 1000;
export const DEFAULT_MEMORY_MB = 1024;
export const DEFAULT_TIME_LIMIT_SEC = 600;
export const PRIORITY_RANGE = { min: -100, max: 100 } as const;

const quantity = z.union([z.string(), z.number()]);

const specSchema = z.object({
  jobId: z.string().regex(CLIENT_JOB_ID, "1-128 letters, digits or . _ : -").nullish(),
  tenant: z.string().min(1).nullish(),
  taskType: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9_-]+$/, "lower-case letters, digits, _ and -"),
  scorer: z.string().min(1).max(128).nullish(),
  scorerParams: z.record(z.string(), z.unknown()).nullish(),
  inputUri: z.string().min(1).max(2048),
  timeLimit: z
    .number()
    .int()
    .positive()
    .max(7 * 24 * 3600)
    .nullish(),
  resources: z
    .object({
      cpu: quantity
        .nullish()
        .refine((v) => v == null || parseCpu(v) !== null, 'cores such as "2", "0.5" or "500m"'),
      memory: quantity
        .nullish()
        .refine((v) => v == null || parseMemory(v) !== null, 'bytes such as "512Mi" or "4Gi"'),
      gpus: z.number().int().min(0).max(64).nullish(),
    })
    .nullish(),
  container: z
    .object({
      image: z.string().trim().min(1).max(512),
      cmd: z.array(z.string().max(8192)).min(1).max(256),
      env: z
        .record(z.string().regex(ENV_NAME, "environment variable names"), z.string().max(32_768))
        .refine((env) => Object.keys(env).length <= 100, "at most 100 variables")
        .nullish(),
    })
    .nullish(),
  executor: z.enum(["DOCKER", "KUBERNETES", "LOCAL"]).nullish(),
  priority: z.number().int().min(PRIORITY_RANGE.min).max(PRIORITY_RANGE.max).nullish(),
  competition: z.string().min(1).nullish(),
  phase: z.string().min(1).nullish(),
});

export type JobSpecInput = z.input<typeof specSchema>;

/** A checked spec with resources in stored units; limits against quotas come later. */
export interface NormalizedSpec {
  clientJobId: string | null;
  tenantSlug: string | null;
  taskType: string;
  scorer: string | null;
  scorerParams: Record<string, unknown> | null;
  inputUri: string;
  timeLimitSec: number | null;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  container: { image: string; cmd: string[]; env: Record<string, string> } | null;
  executorPreference: "DOCKER" | "KUBERNETES" | "LOCAL" | null;
  priority: number;
  competitionSlug: string | null;
  phaseSlug: string | null;
}

export function normalizeSpec(input: unknown): NormalizedSpec {
  const spec = parseInput(specSchema, input);
  const resources = spec.resources ?? {};
  return {
    clientJobId: spec.jobId ?? null,
    tenantSlug: spec.tenant ?? null,
    taskType: spec.taskType,
    scorer: spec.scorer ?? null,
    scorerParams: spec.scorerParams ?? null,
    inputUri: spec.inputUri,
    timeLimitSec: spec.timeLimit ?? null,
    cpuMillis: resources.cpu == null ? DEFAULT_CPU_MILLIS : (parseCpu(resources.cpu) as number),
    memoryMb:
      resources.memory == null ? DEFAULT_MEMORY_MB : (parseMemory(resources.memory) as number),
    gpus: resources.gpus ?? 0,
    container: spec.container
      ? { image: spec.container.image, cmd: spec.container.cmd, env: spec.container.env ?? {} }
      : null,
    executorPreference: spec.executor ?? null,
    priority: spec.priority ?? 0,
    competitionSlug: spec.competition ?? null,
    phaseSlug: spec.phase ?? null,
  };
}
