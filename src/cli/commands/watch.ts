// `autoscorer watch JOB_ID`: follows a job live until it ends — its states and the platform's
// notes on standard error, the job's own output on standard output and standard error as it
// is written — then prints the outcome. Exit code 0 when the job succeeded, 1 otherwise.
import { parseArgs } from "node:util";
import { TERMINAL_STATES } from "../../domain/jobs/lifecycle.ts";
import type { JobState } from "../../generated/prisma/enums.ts";
import {
  type CliError,
  liveClient,
  printError,
  request,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOf,
} from "../api-client.ts";
import { describeStatus, JOB_STATUS_QUERY, type JobStatus } from "./status.ts";

const USAGE = `usage: autoscorer watch JOB_ID [--url URL] [--key KEY]

Follows the job until it ends: states on stderr, the job's output as it is written.
${TARGET_USAGE}
Exit codes: 0 the job succeeded, 1 it did not (or an error, JSON on stdout), 2 usage.
`;

/** After the job ends, output still on its way gets this long of quiet to arrive. */
const QUIET_MS = 300;
const SETTLE_MAX_MS = 3000;

interface Update {
  jobUpdated: { event: { toState: JobState; attempt: number; message: string | null; at: string } };
}
interface Chunk {
  jobLogs: { stream: "stdout" | "stderr" | "system"; text: string; skipped: number };
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
  const { client, closed } = liveClient(target);
  let lastOutputAt = Date.now();
  try {
    const ended = await new Promise<JobState | CliError>((resolve) => {
      const fail = (error: CliError) => resolve(error);
      void closed.then(({ code, reason }) =>
        fail({
          code: code === 4401 || code === 4403 ? "UNAUTHENTICATED" : "UNAVAILABLE",
          message: reason || `the connection closed (${code})`,
        }),
      );
      client.subscribe<Chunk>(
        {
          query: "subscription($id: ID!) { jobLogs(id: $id) { stream text skipped } }",
          variables: { id },
        },
        {
          next: ({ data, errors }) => {
            if (errors?.[0]) return fail(toCliError(errors[0]));
            if (!data) return;
            lastOutputAt = Date.now();
            const { stream, text, skipped } = data.jobLogs;
            if (skipped > 0) process.stderr.write(`[${skipped} chunks skipped: too slow]\n`);
            (stream === "stdout" ? process.stdout : process.stderr).write(`${text}\n`);
          },
          error: (error) => fail({ code: "UNAVAILABLE", message: String(error) }),
          complete: () => {},
        },
      );
      client.subscribe<Update>(
        {
          query: `subscription($id: ID!) { jobUpdated(id: $id) { event { toState attempt message at } } }`,
          variables: { id },
        },
        {
          next: ({ data, errors }) => {
            if (errors?.[0]) return fail(toCliError(errors[0]));
            if (!data) return;
            const { toState, attempt, message, at } = data.jobUpdated.event;
            process.stderr.write(
              `${at} ${toState} (attempt ${attempt})${message ? ` ${message}` : ""}\n`,
            );
            if (TERMINAL_STATES.includes(toState)) resolve(toState);
          },
          error: (error) => fail({ code: "UNAVAILABLE", message: String(error) }),
          complete: () => {},
        },
      );
    });
    if (typeof ended !== "string") {
      printError(ended);
      return 1;
    }
    // The worker writes a job's last output before its outcome; let it arrive.
    const settleUntil = Date.now() + SETTLE_MAX_MS;
    while (Date.now() - lastOutputAt < QUIET_MS && Date.now() < settleUntil) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const status = await request<{ job: JobStatus }>(target, JOB_STATUS_QUERY, { id });
    if ("data" in status && status.data.job.__typename === "Job") {
      process.stderr.write(describeStatus(status.data.job));
    }
    return ended === "SUCCEEDED" ? 0 : 1;
  } finally {
    await client.dispose();
  }
}

function toCliError(error: { message: string; extensions?: Record<string, unknown> }): CliError {
  return {
    code: String(error.extensions?.code ?? "UNKNOWN"),
    message: error.message,
    details: error.extensions?.details,
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: { ...TARGET_OPTIONS, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
}
