// Live events cross processes through Postgres: a job submitted to a second API process and
// run by a separate worker process reaches the subscribers of the first API process — its
// state changes, its output and its samples — and one subscription costs one LISTEN per
// process, released when the client unsubscribes.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, postGraphQL } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { connectLive, type LiveClient } from "../helpers/live.ts";
import { submit } from "../jobs/helpers.ts";
import { startTestPipeline, type TestPipeline } from "../pipeline/helpers.ts";
import { nodeReady, type RoleProcess, serverUrl, spawnRole } from "../pipeline/processes.ts";

let p: TestPipeline;
let key: string;
const roles: RoleProcess[] = [];
const clients: LiveClient[] = [];

function spawn(role: "serve" | "worker", extra: Record<string, string>): RoleProcess {
  const spawned = spawnRole(role, {
    databaseUrl: p.api.testDb.url,
    inputDir: p.api.inputRoot,
    workspaceDir: p.workspaceRoot,
    dataDir: mkdtempSync(path.join(os.tmpdir(), "autoscorer-data-")),
    extra,
  });
  roles.push(spawned);
  return spawned;
}

beforeAll(async () => {
  // This process: API and scheduler. Elsewhere: a second API and a worker.
  p = await startTestPipeline();
  await createTenant(p.api, "alpha");
  key = (await createKey(p.api, "alpha", "MEMBER")).token;
  p.input("alpha", "ok");
}, 60_000);
afterAll(async () => {
  for (const client of clients) await client.dispose();
  await Promise.all(roles.map((role) => role.stop()));
  await p?.close();
});

describe("events across processes", () => {
  it("reach this API's subscribers from another API process and a worker process", async () => {
    const since = new Date();
    spawn("worker", { AUTOSCORER_WORKER__NAME: "remote-worker" });
    await nodeReady(p.api.db.pool, "remote-worker", since);
    const other = spawn("serve", { PORT: "0", HOST: "127.0.0.1", AUTOSCORER_ADMIN_KEY: ADMIN_KEY });
    const otherUrl = await serverUrl(other);

    const client = connectLive(p.api.url, key);
    clients.push(client);
    const updates = client.subscribe<{
      tenantJobs: { event: { toState: string }; job: { id: string } };
    }>("subscription { tenantJobs { event { toState } job { id } } }");
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Submitted through the other API process; run by the worker process.
    const submitted = await postGraphQL<{ submitJob: { id: string } }>(
      otherUrl,
      `mutation($input: JobSpecInput!) { submitJob(input: $input) { ... on Job { id } } }`,
      {
        input: {
          taskType: "classification",
          scorer: "classification_f1",
          inputUri: "ok",
          container: {
            image: "local",
            cmd: ["sh", "-c", "echo from-the-worker; sleep 1; cp input/data/pred.csv output/"],
          },
        },
      },
      key,
    );
    const id = submitted.data?.submitJob.id as string;
    expect(id).toBeTruthy();
    const logs = client.subscribe<{ jobLogs: { text: string } }>(
      "subscription($id: ID!) { jobLogs(id: $id) { text } }",
      { id },
    );
    await updates.until((v) =>
      v.some((u) => u.tenantJobs.job.id === id && u.tenantJobs.event.toState === "SUCCEEDED"),
    );
    expect(
      updates.values
        .filter((u) => u.tenantJobs.job.id === id)
        .map((u) => u.tenantJobs.event.toState),
    ).toEqual(["PENDING", "QUEUED", "RUNNING", "SUCCEEDED"]);
    await logs.until((v) => v.some((chunk) => chunk.jobLogs.text.includes("from-the-worker")));
  });

  it("holds one listener per followed job and lets it go when the client unsubscribes", async () => {
    const events = p.api.events;
    const baseline = events.listenerCount();
    const client = connectLive(p.api.url, key);
    clients.push(client);
    // A job nobody follows yet.
    const job = await submit(
      p.api,
      { taskType: "classification", scorer: "classification_f1", inputUri: "ok" },
      key,
    );
    const id = (job as { id: string }).id;
    const subscriptions = Array.from({ length: 20 }, () =>
      client.subscribe("subscription($id: ID!) { jobLogs(id: $id) { text } }", { id }),
    );
    const deadline = Date.now() + 5000;
    while (events.listenerCount() === baseline && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    // Twenty subscribers of one job's output: one listener for all of them.
    expect(events.listenerCount()).toBe(baseline + 1);
    for (const subscription of subscriptions) subscription.stop();
    while (events.listenerCount() > baseline && Date.now() < deadline + 5000)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events.listenerCount()).toBe(baseline);
  });
});
