// `autoscorer submit`: submits a job (the JobSpec from flags, or from a JSON file with
// --spec, flags overriding it) and prints its id; with --watch, then follows it to its end.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { printError, request, TARGET_OPTIONS, TARGET_USAGE, targetOf } from "../api-client.ts";
import { run as watch } from "./watch.ts";

const USAGE = `usage: autoscorer submit --input DIR [options]

  --input DIR        the job's input folder, inside the tenant's input directory
  --scorer NAME      required outside a competition
  --task TYPE        taskType (default: classification)
  --competition C    enter a competition (--phase P; default the phase open now)
  --params JSON      scorerParams
  --image IMAGE      an inference stage: the image, and --cmd '["sh","-c","…"]'
  --cpu 500m  --memory 512Mi  --gpus N  --time-limit SECONDS  --priority N
  --executor LOCAL|DOCKER|KUBERNETES   --job-id KEY   --tenant SLUG (admin keys)
  --spec FILE.json   a JobSpec to start from
  --json             print the job as JSON
  --watch            follow the job until it ends (exit code as \`watch\`)
${TARGET_USAGE}
Exit codes: 0 submitted, 1 refused (error JSON on stdout), 2 usage.
`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  input: { type: "string" },
  scorer: { type: "string" },
  task: { type: "string" },
  competition: { type: "string" },
  phase: { type: "string" },
  params: { type: "string" },
  image: { type: "string" },
  cmd: { type: "string" },
  cpu: { type: "string" },
  memory: { type: "string" },
  gpus: { type: "string" },
  "time-limit": { type: "string" },
  priority: { type: "string" },
  executor: { type: "string" },
  "job-id": { type: "string" },
  tenant: { type: "string" },
  spec: { type: "string" },
  json: { type: "boolean" },
  watch: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parse>["values"];

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, strict: true });
}

/** The JobSpec the flags describe; throws a message for the user on malformed flags. */
function specOf(values: Values): Record<string, unknown> {
  const json = (flag: string, text: string | undefined): unknown => {
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`--${flag} is not valid JSON`);
    }
  };
  const number = (flag: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value)) throw new Error(`--${flag} must be a whole number`);
    return value;
  };
  const base = values.spec
    ? (json("spec", readFileSync(values.spec, "utf8")) as Record<string, unknown>)
    : {};
  const resources = {
    ...(base.resources as Record<string, unknown> | undefined),
    ...(values.cpu ? { cpu: values.cpu } : {}),
    ...(values.memory ? { memory: values.memory } : {}),
    ...(values.gpus ? { gpus: number("gpus", values.gpus) } : {}),
  };
  const cmd = json("cmd", values.cmd);
  const spec: Record<string, unknown> = {
    taskType: "classification",
    ...base,
    ...(values.input ? { inputUri: values.input } : {}),
    ...(values.scorer ? { scorer: values.scorer } : {}),
    ...(values.task ? { taskType: values.task } : {}),
    ...(values.competition ? { competition: values.competition } : {}),
    ...(values.phase ? { phase: values.phase } : {}),
    ...(values.params ? { scorerParams: json("params", values.params) } : {}),
    ...(values.image ? { container: { image: values.image, cmd: cmd ?? [] } } : {}),
    ...(values["time-limit"] ? { timeLimit: number("time-limit", values["time-limit"]) } : {}),
    ...(values.priority ? { priority: number("priority", values.priority) } : {}),
    ...(values.executor ? { executor: values.executor } : {}),
    ...(values["job-id"] ? { jobId: values["job-id"] } : {}),
    ...(values.tenant ? { tenant: values.tenant } : {}),
  };
  if (Object.keys(resources).length > 0) spec.resources = resources;
  if (!spec.inputUri) throw new Error("--input (or inputUri in --spec) is needed");
  return spec;
}

interface Submitted {
  __typename: string;
  id?: string;
  state?: string;
  code?: string;
  message?: string;
  issues?: Array<{ field: string; message: string }>;
}

export async function run(argv: string[]): Promise<number> {
  let values: Values;
  let spec: Record<string, unknown>;
  try {
    ({ values } = parse(argv));
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    spec = specOf(values);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const target = targetOf(values);
  if (typeof target === "string") {
    process.stderr.write(`${target}\n\n${USAGE}`);
    return 2;
  }
  const answer = await request<{ submitJob: Submitted }>(
    target,
    `mutation($input: JobSpecInput!) { submitJob(input: $input) {
       __typename ... on Job { id state }
       ... on Error { code message } ... on ValidationError { issues { field message } } } }`,
    { input: spec },
  );
  if ("error" in answer) {
    printError(answer.error);
    return 1;
  }
  const job = answer.data.submitJob;
  if (job.__typename !== "Job" || !job.id) {
    printError({
      code: job.code ?? "UNKNOWN",
      message: job.message ?? "",
      ...(job.issues ? { details: { issues: job.issues } } : {}),
    });
    return 1;
  }
  process.stdout.write(values.json ? `${JSON.stringify(job)}\n` : `${job.id}\n`);
  if (!values.watch) return 0;
  return watch([job.id, "--url", target.url, "--key", target.key]);
}
