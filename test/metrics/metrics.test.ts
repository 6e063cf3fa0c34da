// /metrics on a running platform: every family with its type; GraphQL operations counted
// by name, type and outcome; job moves counted as the lifecycle writes them and scorer runs
// timed; the active jobs, each tenant's waiting line and every node's load and health read
// at scrape time through the partial indexes, never by scanning the Job table; a worker
// process serving its own metrics on a port of its own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../../src/db/sql.ts";
import { silentLogger } from "../../src/log.ts";
import { createPlatformGauges } from "../../src/metrics/platform-gauges.ts";
import { ADMIN_KEY, postGraphQL } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.ts";
import { submitAccepted } from "../jobs/helpers.ts";
import { startTestPipeline, type TestPipeline } from "../pipeline/helpers.ts";
import { parseExposition, type Scrape, scrape } from "./exposition.ts";

let p: TestPipeline;
let worker: TestPlatform;
let key: string;
let tenantId: string;

beforeAll(async () => {
  p = await startTestPipeline();
  tenantId = await createTenant(p.api, "obs", { submissionsPerDay: 1000, maxConcurrentJobs: 8 });
  key = (await createKey(p.api, "obs", "MEMBER")).token;
  p.input("obs", "ok");
  worker = await startTestPlatform({
    roles: { api: false, scheduler: false, worker: true },
    database: p.api.testDb,
    inputRoot: p.api.inputRoot,
    workspaceRoot: p.workspaceRoot,
    config: {
      "worker.name": "obs-node",
      "database.poolSize": 5,
      "metrics.port": 0,
      // Both jobs score the same files: with the cache the second would not run the scorer.
      "scorers.resultCache": false,
    },
  });
});

afterAll(async () => {
  await worker?.stop();
  await p?.close();
});

/** What moved between two scrapes. */
const delta = (before: Scrape, after: Scrape, name: string, labels: Record<string, string>) =>
  after.value(name, labels) - before.value(name, labels);

const submitJob = (): Promise<string> =>
  submitAccepted(
    p.api,
    { taskType: "classification", scorer: "classification_f1", inputUri: "ok" },
    key,
  );

describe("/metrics", () => {
  it("exports every family with its type, and Node's process metrics", async () => {
    const { types } = await scrape(p.api.url);
    expect(
      Object.fromEntries([...types].filter(([name]) => name.startsWith("autoscorer_"))),
    ).toEqual({
      autoscorer_graphql_operations_total: "counter",
      autoscorer_graphql_operation_duration_seconds: "histogram",
      autoscorer_job_transitions_total: "counter",
      autoscorer_scorer_duration_seconds: "histogram",
      autoscorer_webhook_attempts_total: "counter",
      autoscorer_webhook_attempt_duration_seconds: "histogram",
      autoscorer_webhook_deliveries_total: "counter",
      autoscorer_platform_read_failures_total: "counter",
      autoscorer_jobs: "gauge",
      autoscorer_queue_oldest_wait_seconds: "gauge",
      autoscorer_queue_waiting_jobs: "gauge",
      autoscorer_queue_tenants_waiting: "gauge",
      autoscorer_executor_healthy: "gauge",
      autoscorer_executor_accepts_work: "gauge",
      autoscorer_executor_consecutive_failures: "gauge",
      autoscorer_executor_circuit_state: "gauge",
      autoscorer_executor_used: "gauge",
      autoscorer_executor_capacity: "gauge",
      autoscorer_executor_usable_nodes: "gauge",
    });
    expect(types.get("process_cpu_user_seconds_total")).toBe("counter");
    expect(types.get("nodejs_eventloop_lag_seconds")).toBe("gauge");
    expect(types.get("nodejs_heap_size_used_bytes")).toBe("gauge");
  });

  it("counts GraphQL operations by name, type and outcome, with bounded names", async () => {
    const before = await scrape(p.api.url);
    const me = "query Me { me { isPlatformAdmin } }";
    await p.api.gql(me);
    await p.api.gql(me);
    await p.api.gql("{ me { isPlatformAdmin } }");
    await p.api.gql("query Broken { nope }");
    await p.api.gql("{ me {");
    await p.api.gql(me, {}, "ask_000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro");
    await p.api.gql(
      'mutation Cancel { cancelJob(id: "0190a5c2-0000-7000-8000-000000000000") { __typename } }',
    );
    const after = await scrape(p.api.url);
    const ops = "autoscorer_graphql_operations_total";
    expect(delta(before, after, ops, { operation: "Me", type: "query", outcome: "ok" })).toBe(2);
    expect(
      delta(before, after, ops, { operation: "anonymous", type: "query", outcome: "ok" }),
    ).toBe(1);
    expect(
      delta(before, after, ops, { operation: "Broken", type: "query", outcome: "client_error" }),
    ).toBe(1);
    expect(
      delta(before, after, ops, { operation: "invalid", type: "unknown", outcome: "client_error" }),
    ).toBe(1);
    // A bad key fails while the context is built, before execution.
    expect(
      delta(before, after, ops, { operation: "Me", type: "query", outcome: "client_error" }),
    ).toBe(1);
    // An expected failure is a typed result, not an error.
    expect(
      delta(before, after, ops, { operation: "Cancel", type: "mutation", outcome: "ok" }),
    ).toBe(1);
    const count = "autoscorer_graphql_operation_duration_seconds_count";
    expect(delta(before, after, count, { operation: "Me", type: "query" })).toBe(2);
    expect(
      after.value("autoscorer_graphql_operation_duration_seconds_bucket", {
        operation: "Me",
        type: "query",
        le: "+Inf",
      }),
    ).toBeGreaterThanOrEqual(2);
  });

  it("counts unexpected errors as server errors, and logs them with request and tenant ids", async () => {
    const before = await scrape(p.api.url);
    await p.api.testDb.ownerQuery(`ALTER TABLE "Competition" RENAME TO "CompetitionGone"`);
    try {
      const response = await fetch(`${p.api.url}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${key}`,
          "x-request-id": "req-metrics-1",
        },
        body: JSON.stringify({
          query: "query Comps { competitions(first: 1) { edges { cursor } } }",
        }),
      });
      expect(((await response.json()) as { errors: unknown[] }).errors).toHaveLength(1);
    } finally {
      await p.api.testDb.ownerQuery(`ALTER TABLE "CompetitionGone" RENAME TO "Competition"`);
    }
    const after = await scrape(p.api.url);
    expect(
      delta(before, after, "autoscorer_graphql_operations_total", {
        operation: "Comps",
        type: "query",
        outcome: "server_error",
      }),
    ).toBe(1);
    expect(p.api.errorLog().at(-1)).toMatchObject({
      msg: "unexpected error",
      role: "api",
      requestId: "req-metrics-1",
      tenantId,
    });
  });

  it("counts job moves as the lifecycle writes them, and times each scorer run", async () => {
    const before = await scrape(p.api.url);
    const ids = [await submitJob(), await submitJob()];
    for (const id of ids) await p.waitFor(id, ["SUCCEEDED"]);
    const after = await scrape(p.api.url);
    const moves = "autoscorer_job_transitions_total";
    for (const [from, to] of [
      ["NONE", "PENDING"],
      ["PENDING", "QUEUED"],
      ["QUEUED", "RUNNING"],
      ["RUNNING", "SUCCEEDED"],
    ]) {
      expect(
        delta(before, after, moves, { from: from as string, to: to as string }),
        `${from}→${to}`,
      ).toBe(2);
    }
    const scored = "autoscorer_scorer_duration_seconds_count";
    expect(delta(before, after, scored, { scorer: "classification_f1", outcome: "ok" })).toBe(2);
    // Nothing active is left, and the gauges say so.
    for (const state of ["PENDING", "QUEUED", "RUNNING"]) {
      expect(after.samples("autoscorer_jobs").find((s) => s.labels.state === state)?.value).toBe(0);
    }
    const node = { node: "obs-node", kind: "LOCAL" };
    expect(after.value("autoscorer_executor_healthy", node)).toBe(1);
    expect(after.value("autoscorer_executor_accepts_work", node)).toBe(1);
    expect(after.value("autoscorer_executor_circuit_state", { ...node, state: "CLOSED" })).toBe(1);
    expect(after.value("autoscorer_executor_circuit_state", { ...node, state: "OPEN" })).toBe(0);
    expect(after.value("autoscorer_executor_capacity", { ...node, resource: "jobs" })).toBe(4);
    expect(after.value("autoscorer_executor_capacity", { ...node, resource: "cpu_cores" })).toBe(4);
    expect(after.value("autoscorer_executor_used", { ...node, resource: "jobs" })).toBe(0);
    expect(after.value("autoscorer_executor_usable_nodes")).toBeGreaterThanOrEqual(1);
  });

  it("shows each tenant's waiting line and a node that takes no work", async () => {
    const admin = (query: string) => postGraphQL(p.api.url, query, {}, ADMIN_KEY);
    await admin(`mutation { drainExecutor(name: "obs-node") { __typename } }`);
    try {
      const id = await submitJob();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const waiting = await scrape(p.api.url);
      expect(waiting.value("autoscorer_queue_waiting_jobs", { tenant: "obs" })).toBe(1);
      expect(
        waiting.value("autoscorer_queue_oldest_wait_seconds", { tenant: "obs" }),
      ).toBeGreaterThan(1);
      expect(waiting.value("autoscorer_queue_tenants_waiting")).toBe(1);
      expect(waiting.value("autoscorer_jobs", { state: "PENDING" })).toBe(1);
      expect(
        waiting.value("autoscorer_executor_accepts_work", { node: "obs-node", kind: "LOCAL" }),
      ).toBe(0);
      expect(waiting.value("autoscorer_executor_usable_nodes")).toBe(0);
      await admin(`mutation { resumeExecutor(name: "obs-node") { __typename } }`);
      await p.waitFor(id, ["SUCCEEDED"]);
      const drained = await scrape(p.api.url);
      expect(drained.samples("autoscorer_queue_oldest_wait_seconds")).toEqual([]);
      expect(drained.value("autoscorer_queue_tenants_waiting")).toBe(0);
    } finally {
      await admin(`mutation { resumeExecutor(name: "obs-node") { __typename } }`);
    }
  });

  it("reads the platform state through the partial indexes only, never the whole Job table", async () => {
    // Every statement a scrape runs, planned with sequential scans priced out: a read that
    // cannot use a partial index over the active jobs shows up as a scan of another index or
    // of the table itself.
    const statements: string[] = [];
    const recording: Sql = {
      query: (text, values) => {
        statements.push(typeof text === "string" ? text : text.text);
        return p.api.db.pool.query(text as string, values);
      },
    };
    const gauges = createPlatformGauges({ sql: recording, log: silentLogger, queueTenants: 20 });
    const exposition = parseExposition(await gauges.metrics());
    expect(exposition.value("autoscorer_platform_read_failures_total", { read: "jobs" })).toBe(0);
    expect(statements.length).toBe(3);

    const { rows: partial } = await p.api.db.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = '"Job"'::regclass AND i.indpred IS NOT NULL`,
    );
    const partialIndexes = new Set(partial.map((row) => row.name));
    expect(partialIndexes.size).toBeGreaterThanOrEqual(4);

    const client = await p.api.db.pool.connect();
    try {
      await client.query("SET enable_seqscan = off");
      for (const statement of statements) {
        const { rows } = await client.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(
          `EXPLAIN (FORMAT JSON, GENERIC_PLAN) ${statement}`,
        );
        const plan = rows[0]?.["QUERY PLAN"][0]?.Plan as PlanNode;
        const jobScans = jobScansOf(plan);
        expect(jobScans.length, statement).toBeGreaterThan(0);
        for (const scan of jobScans) {
          expect(partialIndexes, `${scan["Node Type"]} in ${statement}`).toContain(
            scan["Index Name"],
          );
        }
      }
    } finally {
      await client.query("RESET enable_seqscan");
      client.release();
    }
  });

  it("serves a worker process's own metrics on a port of its own", async () => {
    const url = worker.platform.metricsUrl;
    if (!url) throw new Error("the worker serves no metrics");
    const own = await scrape(url);
    expect(own.types.get("autoscorer_scorer_duration_seconds")).toBe("histogram");
    expect(own.types.get("autoscorer_job_transitions_total")).toBe("counter");
    expect(
      own.value("autoscorer_job_transitions_total", { from: "RUNNING", to: "SUCCEEDED" }),
    ).toBeGreaterThan(0);
    // The platform's state is the API processes' to serve.
    expect(own.types.has("autoscorer_jobs")).toBe(false);
    expect((await fetch(`${url}/graphql`)).status).toBe(404);
  });
});

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

/**
 * The nodes of a plan that choose how "Job" is read: its scans, and for a bitmap heap scan
 * the bitmap index scans below it (the heap scan fetches only the rows they found).
 */
function jobScansOf(node: PlanNode): PlanNode[] {
  if (node["Relation Name"] === "Job" && node["Node Type"] === "Bitmap Heap Scan") {
    const indexScans = bitmapIndexScans(node);
    return indexScans.length > 0 ? indexScans : [node];
  }
  const own = node["Relation Name"] === "Job" ? [node] : [];
  return [...own, ...(node.Plans ?? []).flatMap(jobScansOf)];
}

function bitmapIndexScans(node: PlanNode): PlanNode[] {
  return (node.Plans ?? []).flatMap((child) =>
    child["Node Type"] === "Bitmap Index Scan" ? [child] : bitmapIndexScans(child),
  );
}
