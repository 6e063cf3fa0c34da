// `autoscorer status JOB_ID [--json]`: a job's state, attempt, error and score, once.
import { parseArgs } from "node:util";
import { printError, request, TARGET_OPTIONS, TARGET_USAGE, targetOf } from "../api-client.ts";

const USAGE = `usage: autoscorer status JOB_ID [--json] [--url URL] [--key KEY]

${TARGET_USAGE}
Exit codes: 0 the job was found, 1 an error (JSON on stdout), 2 usage.
`;

export const JOB_STATUS_QUERY = `query($id: ID!) { job(id: $id) {
  __typename
  ... on Job { id state attempt maxAttempts errorCode errorMessage submittedAt finishedAt
               tenant { slug } result { score summary metrics } }
  ... on Error { code message } } }`;

export interface JobStatus {
  __typename: string;
  id: string;
  state: string;
  attempt: number;
  maxAttempts: number;
  errorCode: string | null;
  errorMessage: string | null;
  tenant: { slug: string };
  result: { score: number | null; summary: unknown; metrics: Record<string, number> } | null;
  code?: string;
  message?: string;
}

export function describeStatus(job: JobStatus): string {
  const lines = [
    `${job.id}  ${job.state}  attempt ${job.attempt}/${job.maxAttempts}  (${job.tenant.slug})`,
  ];
  if (job.errorCode) lines.push(`  ${job.errorCode}: ${job.errorMessage ?? ""}`);
  if (job.result) {
    lines.push(`  score ${job.result.score}`);
    for (const [name, value] of Object.entries(job.result.metrics))
      lines.push(`  ${name} ${value}`);
  }
  return `${lines.join("\n")}\n`;
}

export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const id = positionals[0];
  const target = targetOf(values);
  if (!id || typeof target === "string") {
    process.stderr.write(
      `${typeof target === "string" ? target : "a job id is needed"}\n\n${USAGE}`,
    );
    return 2;
  }
  const answer = await request<{ job: JobStatus }>(target, JOB_STATUS_QUERY, { id });
  if ("error" in answer) {
    printError(answer.error);
    return 1;
  }
  const { job } = answer.data;
  if (job.__typename !== "Job") {
    printError({ code: job.code ?? "UNKNOWN", message: job.message ?? "" });
    return 1;
  }
  process.stdout.write(values.json ? `${JSON.stringify(job)}\n` : describeStatus(job));
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      ...TARGET_OPTIONS,
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
}
