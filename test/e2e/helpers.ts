// What the end-to-end tests share: jobs submitted and read back through the public GraphQL
// API (never the database), the executors as the `executors` query shows them, what the
// Docker engine still holds of a job (by the labels the Docker executor sets), and the
// Results a job has in Postgres (the one thing GraphQL cannot count for us).
import type Docker from "dockerode";
import { expect } from "vitest";
import { LABELS } from "../../src/executors/docker/labels.ts";
import { docker } from "../executors/docker-helpers.ts";
import type { TestApi } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { BUSYBOX_IMAGE } from "../images/build.ts";
import { until } from "../kube/until.ts";
import { startTestPipeline, type TestPipeline } from "../pipeline/helpers.ts";

export { until };

export interface JobSeen {
  id: string;
  state: string;
  attempt: number;
  backend: string | null;
  executorNodeId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  events: Array<{
    attempt: number;
    fromState: string | null;
    toState: string;
    errorCode: string | null;
    message: string | null;
  }>;
  logs: Array<{ attempt: number; text: string }>;
  result: {
    attempt: number;
    cached: boolean;
    score: number | null;
    metrics: Record<string, number>;
  } | null;
}

const JOB = `query($id: ID!) { job(id: $id) { __typename ... on Job {
  id state attempt backend executorNodeId errorCode errorMessage
  events { attempt fromState toState errorCode message }
  logs(last: 200) { attempt text }
  result { attempt cached score metrics } } ... on Error { code message } } }`;

export interface NodeSeen {
  id: string;
  name: string;
  kind: string;
  healthy: boolean;
  circuit: "CLOSED" | "OPEN" | "HALF_OPEN";
  consecutiveFailures: number;
  lastHeartbeatAt: string;
}

const EXECUTORS = `{ executors { id name kind healthy circuit consecutiveFailures lastHeartbeatAt } }`;

const TERMINAL = ["SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED"];

/** The scores of test/pipeline/helpers.ts's GT and PRED (3 of 4 right). */
export const EXPECTED_METRICS = { accuracy: 0.75, f1_macro: expect.closeTo(0.7333, 3) };

/**
 * A job whose inference stage writes the predictions the scorer reads (copied from the
 * team's data, the only input a run sees) and prints the user it ran as: 1000 inside a
 * hardened container, the worker's own (root here) anywhere else.
 */
export function containerJob(inputUri: string, script = "", over: Record<string, unknown> = {}) {
  return {
    taskType: "classification",
    scorer: "classification_f1",
    inputUri,
    resources: { cpu: "250m", memory: "128Mi" },
    timeLimit: 60,
    container: {
      image: BUSYBOX_IMAGE,
      cmd: ["sh", "-c", `${script}cp input/data/pred.csv output/pred.csv; echo "uid=$(id -u)"`],
    },
    ...over,
  };
}

export async function submitJob(
  api: TestApi,
  key: string,
  input: Record<string, unknown>,
): Promise<string> {
  const response = await api.gql<{ submitJob: { __typename: string; id?: string } }>(
    `mutation($input: JobSpecInput!) { submitJob(input: $input) {
       __typename ... on Job { id } ... on Error { code message } } }`,
    { input },
    key,
  );
  const outcome = response.data?.submitJob;
  if (outcome?.__typename !== "Job" || !outcome.id)
    throw new Error(`submitJob: ${JSON.stringify(response.data ?? response.errors)}`);
  return outcome.id;
}

export async function readJob(api: TestApi, key: string, id: string): Promise<JobSeen> {
  const response = await api.gql<{ job: (JobSeen & { __typename: string }) | null }>(
    JOB,
    { id },
    key,
  );
  const job = response.data?.job;
  if (job?.__typename !== "Job") throw new Error(`job ${id}: ${JSON.stringify(response)}`);
  return job;
}

/** Polls the job query until the job is in one of `states` (by default any final one). */
export async function waitForJob(
  api: TestApi,
  key: string,
  id: string,
  states: string[] = TERMINAL,
  timeoutMs = 30_000,
): Promise<JobSeen> {
  let last: JobSeen | null = null;
  try {
    return await until(
      `job ${id} to be ${states.join("/")}`,
      async () => {
        last = await readJob(api, key, id);
        return states.includes(last.state) && last;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(last)}`);
  }
}

export async function executors(api: TestApi): Promise<NodeSeen[]> {
  const response = await api.gql<{ executors: NodeSeen[] }>(EXECUTORS);
  if (!response.data) throw new Error(`executors: ${JSON.stringify(response.errors)}`);
  return response.data.executors;
}

export async function executor(api: TestApi, name: string): Promise<NodeSeen> {
  const node = (await executors(api)).find((n) => n.name === name);
  if (!node) throw new Error(`no executor node ${name}`);
  return node;
}

/** Containers (any state) the Docker executor made for the job, on any node. */
export function containersOfJob(jobId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABELS.job}=${jobId}`] } });
}

/**
 * The job's Results and its moves to SUCCEEDED, from Postgres. A Result is keyed by its
 * job's id, so a second scoring could only show as a second SUCCEEDED event: both count.
 */
export async function outcomesOf(api: TestApi, jobId: string) {
  const results = await api.db.pool.query<{ attempt: number }>(
    `SELECT attempt FROM "Result" WHERE "jobId" = $1`,
    [jobId],
  );
  const successes = await api.db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "JobEvent" WHERE "jobId" = $1 AND "toState" = 'SUCCEEDED'`,
    [jobId],
  );
  return { results: results.rows, successes: successes.rows[0]?.n ?? 0 };
}

export const randomName = (purpose: string) =>
  `e2e-${purpose}-${Math.random().toString(16).slice(2, 8)}`;

/**
 * A pipeline (API and scheduler, no worker yet) with one tenant, "team", a member's key and
 * the input folder "round-1"; `quota` and `config` add to the defaults.
 */
export async function teamPipeline(
  options: { quota?: Record<string, number>; config?: Record<string, unknown> } = {},
): Promise<{ p: TestPipeline; key: string }> {
  const p = await startTestPipeline(options.config ? { config: options.config } : {});
  await createTenant(p.api, "team", { submissionsPerDay: 100, ...options.quota });
  const key = (await createKey(p.api, "team", "MEMBER")).token;
  p.input("team", "round-1");
  return { p, key };
}
