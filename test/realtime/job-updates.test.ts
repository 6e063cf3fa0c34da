// Subscriptions over a real graphql-ws socket, against the whole pipeline (API, scheduler,
// a local worker) on one database: jobs' states, output and samples arrive live; a tenant
// never sees another's; a resumed subscription misses and repeats nothing; credentials are
// checked at the door and while the socket is open.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { connectLive, type LiveClient } from "../helpers/live.ts";
import { submit } from "../jobs/helpers.ts";
import { startTestPipeline, type TestPipeline } from "../pipeline/helpers.ts";

let p: TestPipeline;
const keys: Record<string, string> = {};
const clients: LiveClient[] = [];

beforeAll(async () => {
  p = await startTestPipeline();
  for (const slug of ["alpha", "beta"]) {
    await createTenant(p.api, slug, { maxConcurrentJobs: 8 });
    keys[slug] = (await createKey(p.api, slug, "MEMBER")).token;
    p.input(slug, "ok");
  }
  await p.addWorker("live-node", { maxJobs: 8 });
}, 60_000);
afterAll(async () => {
  for (const client of clients) await client.dispose();
  await p?.close();
});

const live = (key: string | null) => {
  const client = connectLive(p.api.url, key);
  clients.push(client);
  return client;
};

async function submitJob(tenant: string, script?: string): Promise<string> {
  const job = await submit(
    p.api,
    {
      taskType: "classification",
      scorer: "classification_f1",
      inputUri: "ok",
      ...(script ? { container: { image: "local", cmd: ["sh", "-c", script] } } : {}),
    },
    keys[tenant],
  );
  if (job.__typename !== "Job") throw new Error(JSON.stringify(job));
  return (job as { id: string }).id;
}

interface Update {
  jobUpdated?: UpdateFields;
  tenantJobs?: UpdateFields;
}
interface UpdateFields {
  cursor: string;
  event: { toState: string };
  job: { id: string; state: string; tenant: { slug: string } };
}
const UPDATE = "cursor event { toState } job { id state tenant { slug } }";
const states = (values: Update[], field: keyof Update) =>
  values.map((v) => v[field]?.event.toState);
const codes = (errors: unknown[]) =>
  errors.map((e) => (e as { extensions?: { code?: string } }).extensions?.code);

describe("jobUpdated and tenantJobs", () => {
  it("streams a job from its current state to SUCCEEDED", async () => {
    const id = await submitJob("alpha", "sleep 1; cp input/data/pred.csv output/");
    const received = live(keys.alpha as string).subscribe<Update>(
      `subscription($id: ID!) { jobUpdated(id: $id) { ${UPDATE} } }`,
      { id },
    );
    await received.until((v) => states(v, "jobUpdated").includes("SUCCEEDED"));
    const seen = states(received.values, "jobUpdated");
    // The first value is the job's state when subscribing; every later move follows in order.
    expect(seen.slice(seen.indexOf("RUNNING"))).toEqual(["RUNNING", "SUCCEEDED"]);
    expect(received.values.at(-1)?.jobUpdated?.job.state).toBe("SUCCEEDED");
    const cursors = received.values.map((v) => BigInt(v.jobUpdated?.cursor ?? 0));
    expect([...cursors].sort((a, b) => (a < b ? -1 : 1))).toEqual(cursors);
  });

  it("answers another tenant's job, tenant or usage exactly like a missing one", async () => {
    const theirs = await submitJob("beta");
    const alpha = live(keys.alpha as string);
    const attempts = [
      ["subscription($id: ID!) { jobUpdated(id: $id) { cursor } }", { id: theirs }],
      ["subscription($id: ID!) { jobLogs(id: $id) { cursor } }", { id: theirs }],
      ["subscription($id: ID!) { jobMetrics(id: $id) { cursor } }", { id: theirs }],
      ['subscription { tenantJobs(tenant: "beta") { cursor } }', {}],
      ['subscription { quotaUsage(tenant: "beta") { tenant } }', {}],
    ] as const;
    for (const [query, variables] of attempts) {
      const refused = alpha.subscribe(query, variables);
      expect(await refused.ended).toBe("complete");
      expect(codes(refused.errors)).toEqual(["NOT_FOUND"]);
      expect(refused.values).toEqual([]);
    }
    const missing = alpha.subscribe("subscription($id: ID!) { jobUpdated(id: $id) { cursor } }", {
      id: "00000000-0000-7000-8000-000000000000",
    });
    await missing.ended;
    const refusedTheirs = alpha.subscribe(
      "subscription($id: ID!) { jobUpdated(id: $id) { cursor } }",
      {
        id: theirs,
      },
    );
    await refusedTheirs.ended;
    const message = (errors: unknown[]) =>
      (errors[0] as { message: string }).message.replace(/"[^"]*"/, "…");
    expect(message(refusedTheirs.errors)).toBe(message(missing.errors));
  });

  it("gives each tenant's subscriber its own tenant's updates only", async () => {
    const alphaFeed = live(keys.alpha as string).subscribe<Update>(
      `subscription { tenantJobs { ${UPDATE} } }`,
    );
    const betaFeed = live(keys.beta as string).subscribe<Update>(
      `subscription { tenantJobs { ${UPDATE} } }`,
    );
    // Let both subscriptions reach the server before anything happens.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const mine = await submitJob("alpha");
    const theirs = await submitJob("beta");
    await alphaFeed.until((v) =>
      v.some((u) => u.tenantJobs?.job.id === mine && u.tenantJobs.event.toState === "SUCCEEDED"),
    );
    await betaFeed.until((v) =>
      v.some((u) => u.tenantJobs?.job.id === theirs && u.tenantJobs.event.toState === "SUCCEEDED"),
    );
    expect(alphaFeed.values.every((u) => u.tenantJobs?.job.tenant.slug === "alpha")).toBe(true);
    expect(betaFeed.values.every((u) => u.tenantJobs?.job.tenant.slug === "beta")).toBe(true);
  });

  it("replays what a dropped socket missed, with no gap and no duplicate", async () => {
    const first = live(keys.alpha as string);
    const before = first.subscribe<Update>(`subscription { tenantJobs { ${UPDATE} } }`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const warm = await submitJob("alpha");
    await before.until((v) =>
      v.some((u) => u.tenantJobs?.job.id === warm && u.tenantJobs.event.toState === "SUCCEEDED"),
    );
    const cursor = before.values.at(-1)?.tenantJobs?.cursor as string;
    await first.dispose();

    // While nobody listens: three more jobs run to their end.
    const missed = [await submitJob("alpha"), await submitJob("alpha"), await submitJob("alpha")];
    for (const id of missed) await p.waitFor(id, ["SUCCEEDED"]);

    const resumed = live(keys.alpha as string).subscribe<Update>(
      `subscription($after: String) { tenantJobs(after: $after) { ${UPDATE} } }`,
      { after: cursor },
    );
    const after = await resumed.until((v) =>
      missed.every((id) =>
        v.some((u) => u.tenantJobs?.job.id === id && u.tenantJobs.event.toState === "SUCCEEDED"),
      ),
    );
    const cursors = after.map((u) => u.tenantJobs?.cursor as string);
    expect(new Set(cursors).size).toBe(cursors.length);
    const { rows } = await p.api.db.pool.query<{ id: string }>(
      `SELECT e.id::text FROM "JobEvent" e JOIN "Job" j ON j.id = e."jobId" JOIN "Tenant" t ON t.id = j."tenantId"
        WHERE t.slug = 'alpha' AND e.id > $1 ORDER BY e.id`,
      [cursor],
    );
    expect(cursors).toEqual(rows.map((r) => r.id).slice(0, cursors.length));
    expect(cursors.length).toBeGreaterThanOrEqual(missed.length * 4);
  });
});

describe("jobLogs and jobMetrics", () => {
  it("streams output in coalesced chunks as it is written, and CPU/memory samples", async () => {
    const script =
      "i=0; while [ $i -lt 40 ]; do echo line-$i; i=$((i+1)); sleep 0.05; done; " +
      "j=0; while [ $j -lt 300000 ]; do j=$((j+1)); done; cp input/data/pred.csv output/";
    const id = await submitJob("alpha", script);
    const client = live(keys.alpha as string);
    const logs = client.subscribe<{ jobLogs: { stream: string; text: string; lines: number } }>(
      "subscription($id: ID!) { jobLogs(id: $id) { cursor stream text lines skipped } }",
      { id },
    );
    const samples = client.subscribe<{ jobMetrics: { cpuMillis: number; memoryBytes: number } }>(
      "subscription($id: ID!) { jobMetrics(id: $id) { cursor cpuMillis memoryBytes } }",
      { id },
    );
    await logs.until((v) => v.some((c) => c.jobLogs.text.includes("line-39")), 20_000);
    const stdout = logs.values.filter((c) => c.jobLogs.stream === "stdout");
    const text = stdout.map((c) => c.jobLogs.text).join("\n");
    expect(text.split("\n").filter((l) => l.startsWith("line-"))).toEqual(
      Array.from({ length: 40 }, (_, i) => `line-${i}`),
    );
    // 40 lines over 2 s, at most a few chunks a second: coalesced, not one message per line.
    expect(stdout.length).toBeLessThan(20);
    await samples.until((v) => v.length > 0, 20_000);
    expect(samples.values[0]?.jobMetrics.memoryBytes).toBeGreaterThan(0);
    await p.waitFor(id, ["SUCCEEDED"]);
  });
});

describe("credentials", () => {
  it("closes a socket without a key with 4401 and one with a bad key with 4403", async () => {
    expect(await live(null).closed).toBe(4401);
    expect(await live("ask_000000000000_notakey").closed).toBe(4403);
  });

  it("ends live subscriptions and closes the socket when the key is revoked", async () => {
    const key = await createKey(p.api, "alpha", "MEMBER");
    const client = live(key.token);
    const feed = client.subscribe("subscription { tenantJobs { cursor } }");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    const revoked = await p.api.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`, {
      id: key.id,
    });
    expect(revoked.errors).toBeUndefined();
    expect(await client.closed).toBe(4403);
    expect(Date.now() - started).toBeLessThan(5000);
    await feed.ended;
  });

  it("ends a suspended tenant's subscriptions and refuses new ones", async () => {
    await createTenant(p.api, "gamma");
    const key = (await createKey(p.api, "gamma", "MEMBER")).token;
    const client = live(key);
    const feed = client.subscribe("subscription { quotaUsage { tenant } }");
    await feed.until((v) => v.length > 0);
    await p.api.gql(`mutation { suspendTenant(slug: "gamma") { __typename } }`);
    expect(await client.closed).toBe(4403);
    const again = live(key);
    expect(await again.closed).toBe(4403);
  });
});

describe("GraphQL over SSE", () => {
  it("serves a subscription as an event stream to clients without WebSocket", async () => {
    const id = await submitJob("alpha", "sleep 0.5; cp input/data/pred.csv output/");
    const controller = new AbortController();
    const response = await fetch(`${p.api.url}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${keys.alpha}`,
      },
      body: JSON.stringify({
        query: "subscription($id: ID!) { jobUpdated(id: $id) { event { toState } } }",
        variables: { id },
      }),
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const deadline = Date.now() + 15_000;
    while (!text.includes("SUCCEEDED") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain('"toState":"SUCCEEDED"');
  });
});
