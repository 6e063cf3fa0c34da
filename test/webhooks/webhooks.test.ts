// Tenants' webhooks end to end: real jobs on the real pipeline end, and a real HTTP receiver
// in this process gets signed deliveries; failures are retried with backoff until their
// attempts run out, and the delivery log says so. Disabled and deleted webhooks get
// nothing, another tenant's webhook answers NOT_FOUND, every change is audited, and bad
// URLs are refused.
import { createHmac, timingSafeEqual } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.ts";
import { type Outcome, submit } from "../jobs/helpers.ts";
import { startTestPipeline, type TestPipeline } from "../pipeline/helpers.ts";
import { type Receiver, startReceiver } from "./receiver.ts";

const WEBHOOKS = {
  // The receiver listens on 127.0.0.1, which production refuses by default.
  "webhooks.allowPrivateNetworks": true,
  "webhooks.pollMs": 50,
  "webhooks.backoffBaseMs": 200,
  "webhooks.backoffMaxMs": 1000,
  "webhooks.maxAttempts": 3,
  "webhooks.timeoutMs": 2000,
};

let p: TestPipeline;
let worker: TestPlatform;
let receiver: Receiver;
const keys: Record<"ownerA" | "memberA" | "ownerB" | "memberB", { token: string; id: string }> =
  {} as never;

interface WebhookView {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
}

interface DeliveryView {
  id: string;
  jobId: string;
  eventId: string;
  event: string;
  status: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

type Answer<T> = { __typename: string; code?: string; issues?: Array<{ field: string }> } & T;

const WEBHOOK = "id url events enabled";
const ERRORS = "... on Error { code message } ... on ValidationError { issues { field message } }";

async function createWebhook(
  input: Record<string, unknown>,
  key: string,
): Promise<Answer<{ secret?: string; webhook?: WebhookView }>> {
  const result = await p.api.gql<{
    createWebhook: Answer<{ secret: string; webhook: WebhookView }>;
  }>(
    `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
       __typename ... on CreatedWebhook { secret webhook { ${WEBHOOK} } } ${ERRORS} } }`,
    { input },
    key,
  );
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data.createWebhook;
}

async function createOk(input: Record<string, unknown>, key: string) {
  const created = await createWebhook(input, key);
  if (created.__typename !== "CreatedWebhook") throw new Error(JSON.stringify(created));
  return created as { secret: string; webhook: WebhookView };
}

async function mutate(
  name: "updateWebhook" | "deleteWebhook",
  variables: Record<string, unknown>,
  key: string,
): Promise<Answer<Partial<WebhookView>>> {
  const signature =
    name === "updateWebhook" ? "($id: ID!, $input: UpdateWebhookInput!)" : "($id: ID!)";
  const args = name === "updateWebhook" ? "(id: $id, input: $input)" : "(id: $id)";
  const result = await p.api.gql<Record<string, Answer<WebhookView>>>(
    `mutation${signature} { ${name}${args} { __typename ... on Webhook { ${WEBHOOK} } ${ERRORS} } }`,
    variables,
    key,
  );
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data[name] as Answer<WebhookView>;
}

async function listWebhooks(
  tenant: string,
  key?: string,
): Promise<Answer<{ data?: Array<WebhookView & { deliveries: DeliveryView[] }> }>> {
  const result = await p.api.gql<{
    webhooks: Answer<{ data: Array<WebhookView & { deliveries: DeliveryView[] }> }>;
  }>(
    `query($tenant: String!) { webhooks(tenant: $tenant) { __typename
       ... on QueryWebhooksSuccess { data { ${WEBHOOK} deliveries { id jobId eventId event status
         attempt statusCode error nextAttemptAt deliveredAt } } } ${ERRORS} } }`,
    { tenant },
    key,
  );
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data.webhooks;
}

async function deliveriesOf(webhookId: string, tenant = "team-a"): Promise<DeliveryView[]> {
  const list = await listWebhooks(tenant, keys[tenant === "team-a" ? "ownerA" : "ownerB"].token);
  return list.data?.find((w) => w.id === webhookId)?.deliveries ?? [];
}

async function finishedJob(tenant: "team-a" | "team-b"): Promise<string> {
  const key = keys[tenant === "team-a" ? "memberA" : "memberB"].token;
  const outcome: Outcome = await submit(
    p.api,
    { taskType: "classification", scorer: "classification_f1", inputUri: "ok" },
    key,
  );
  if (outcome.__typename !== "Job") throw new Error(JSON.stringify(outcome));
  const id = (outcome as { id: string }).id;
  await p.waitFor(id, ["SUCCEEDED"]);
  return id;
}

const forJob = (jobId: string) => (body: Record<string, unknown>) =>
  (body.job as { id: string }).id === jobId;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  receiver = await startReceiver();
  p = await startTestPipeline({ config: WEBHOOKS });
  for (const tenant of ["team-a", "team-b"]) {
    await createTenant(p.api, tenant, { submissionsPerDay: 1000, maxConcurrentJobs: 8 });
    p.input(tenant, "ok");
  }
  keys.ownerA = await createKey(p.api, "team-a", "OWNER");
  keys.memberA = await createKey(p.api, "team-a", "MEMBER");
  keys.ownerB = await createKey(p.api, "team-b", "OWNER");
  keys.memberB = await createKey(p.api, "team-b", "MEMBER");
  // The worker process, started here rather than by the pipeline so its log can be read.
  worker = await startTestPlatform({
    roles: { api: false, scheduler: false, worker: true },
    database: p.api.testDb,
    inputRoot: p.api.inputRoot,
    workspaceRoot: p.workspaceRoot,
    config: { "worker.name": "hooks-node", "database.poolSize": 5, ...WEBHOOKS },
  });
});

afterAll(async () => {
  await worker?.stop();
  await p?.close();
  await receiver?.close();
});

describe("webhook deliveries", () => {
  let main: { secret: string; webhook: WebhookView };

  it("delivers a finished job, signed with the secret shown once", async () => {
    main = await createOk({ tenant: "team-a", url: `${receiver.url}/a` }, keys.ownerA.token);
    expect(main.secret).toMatch(/^whsec_/);
    expect(main.webhook.events).toEqual(["JOB_SUCCEEDED", "JOB_FAILED", "JOB_CANCELLED"]);

    const jobId = await finishedJob("team-a");
    const [request] = await receiver.waitFor("/a", 1, forJob(jobId));
    if (!request) throw new Error("no delivery");
    const expected = createHmac("sha256", main.secret).update(request.body).digest();
    const presented = String(request.headers["x-autoscorer-signature"]);
    expect(presented).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(timingSafeEqual(Buffer.from(presented.slice(7), "hex"), expected)).toBe(true);

    const body = JSON.parse(request.body);
    expect(body).toMatchObject({
      type: "job.succeeded",
      tenant: "team-a",
      job: { id: jobId, state: "SUCCEEDED", scorer: "classification_f1", errorCode: null },
    });
    expect(body.job.score).toBeCloseTo(0.7333333333, 6);
    expect(request.headers["x-autoscorer-event"]).toBe("job.succeeded");
    expect(request.headers["x-autoscorer-event-id"]).toBe(body.id);
    expect(request.headers["x-autoscorer-timestamp"]).toBe(String(body.timestamp));
    expect(Math.abs(body.timestamp - Date.now() / 1000)).toBeLessThan(60);
    expect(request.headers["content-type"]).toBe("application/json");

    const [delivery] = (await deliveriesOf(main.webhook.id)).filter((d) => d.jobId === jobId);
    expect(delivery).toMatchObject({
      status: "DELIVERED",
      attempt: 1,
      statusCode: 200,
      error: null,
      eventId: body.id,
      event: "JOB_SUCCEEDED",
      nextAttemptAt: null,
    });
    expect(delivery?.deliveredAt).not.toBeNull();
  });

  it("retries a receiver answering 500 with backoff, then logs the delivery as FAILED", async () => {
    receiver.answer("/fail", 500);
    const failing = await createOk(
      { tenant: "team-a", url: `${receiver.url}/fail`, events: ["JOB_SUCCEEDED"] },
      keys.ownerA.token,
    );
    const jobId = await finishedJob("team-a");
    const attempts = await receiver.waitFor("/fail", 3, forJob(jobId));
    // One event, three attempts: the event id stays, the attempt number grows.
    expect(new Set(attempts.map((a) => a.headers["x-autoscorer-event-id"])).size).toBe(1);
    expect(attempts.map((a) => a.headers["x-autoscorer-attempt"])).toEqual(["1", "2", "3"]);
    // Equal jitter over 200 ms · 2^(n-1): at least 100 ms, then at least 200 ms.
    const gaps = [1, 2].map((i) => (attempts[i]?.at ?? 0) - (attempts[i - 1]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);

    let delivery: DeliveryView | undefined;
    for (let i = 0; i < 100 && delivery?.status !== "FAILED"; i++) {
      [delivery] = (await deliveriesOf(failing.webhook.id)).filter((d) => d.jobId === jobId);
      await sleep(50);
    }
    expect(delivery).toMatchObject({
      status: "FAILED",
      attempt: 3,
      statusCode: 500,
      error: "HTTP 500",
      nextAttemptAt: null,
      deliveredAt: null,
    });
    await sleep(600);
    expect(receiver.to("/fail", forJob(jobId))).toHaveLength(3);

    // The worker's log names the job and tenant of every failed attempt.
    const lines = worker.logs.filter(
      (l) => l.role === "webhooks" && l.jobId === jobId && l.webhookId === failing.webhook.id,
    );
    expect(lines.map((l) => l.msg)).toEqual([
      "webhook attempt failed; retrying later",
      "webhook attempt failed; retrying later",
      "webhook delivery failed for good; its attempts ran out",
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({ tenantId: expect.any(String), statusCode: 500 });
    }
    await mutate("deleteWebhook", { id: failing.webhook.id }, keys.ownerA.token);
  });

  it("sends nothing to a disabled or deleted webhook, and drops a disabled one's retries", async () => {
    const disabled = await createOk(
      { tenant: "team-a", url: `${receiver.url}/disabled`, enabled: false },
      keys.ownerA.token,
    );
    expect(disabled.webhook.enabled).toBe(false);
    const deleted = await createOk(
      { tenant: "team-a", url: `${receiver.url}/deleted` },
      keys.ownerA.token,
    );
    expect((await mutate("deleteWebhook", { id: deleted.webhook.id }, keys.ownerA.token)).id).toBe(
      deleted.webhook.id,
    );
    receiver.answer("/flaky", 503);
    const flaky = await createOk(
      { tenant: "team-a", url: `${receiver.url}/flaky` },
      keys.ownerA.token,
    );

    const jobId = await finishedJob("team-a");
    await receiver.waitFor("/a", 1, forJob(jobId));
    await receiver.waitFor("/flaky", 1, forJob(jobId));
    const off = await mutate(
      "updateWebhook",
      { id: flaky.webhook.id, input: { enabled: false } },
      keys.ownerA.token,
    );
    expect(off).toMatchObject({ __typename: "Webhook", enabled: false });
    await sleep(800);

    expect(receiver.to("/disabled")).toHaveLength(0);
    expect(receiver.to("/deleted")).toHaveLength(0);
    expect(receiver.to("/flaky", forJob(jobId))).toHaveLength(1);
    const [dropped] = await deliveriesOf(flaky.webhook.id);
    expect(dropped).toMatchObject({ status: "FAILED", error: "the webhook was disabled" });
    expect(await deliveriesOf(disabled.webhook.id)).toEqual([]);
  });
});

describe("who may manage webhooks", () => {
  it("answers NOT_FOUND for another tenant's webhooks, as for missing ones", async () => {
    const [own] = (await listWebhooks("team-a", keys.ownerA.token)).data ?? [];
    if (!own) throw new Error("team-a has no webhook");
    const other = keys.ownerB.token;
    expect((await listWebhooks("team-a", other)).code).toBe("NOT_FOUND");
    expect((await mutate("deleteWebhook", { id: own.id }, other)).code).toBe("NOT_FOUND");
    expect(
      (await mutate("updateWebhook", { id: own.id, input: { enabled: false } }, other)).code,
    ).toBe("NOT_FOUND");
    expect((await createWebhook({ tenant: "team-a", url: `${receiver.url}/x` }, other)).code).toBe(
      "NOT_FOUND",
    );
    for (const missing of ["0190a5c2-0000-7000-8000-000000000000", "not-an-id"]) {
      expect((await mutate("deleteWebhook", { id: missing }, other)).code).toBe("NOT_FOUND");
    }
    // Members of the tenant itself see it, but only owners manage its webhooks.
    expect((await listWebhooks("team-a", keys.memberA.token)).code).toBe("FORBIDDEN");
    expect(
      (await createWebhook({ tenant: "team-a", url: `${receiver.url}/x` }, keys.memberA.token))
        .code,
    ).toBe("FORBIDDEN");
    // Platform admins manage any tenant's.
    expect((await listWebhooks("team-a")).data?.length).toBeGreaterThan(0);
  });

  it("tells each tenant about its own jobs only", async () => {
    await createOk({ tenant: "team-b", url: `${receiver.url}/b` }, keys.ownerB.token);
    const jobB = await finishedJob("team-b");
    await receiver.waitFor("/b", 1, forJob(jobB));
    const jobA = await finishedJob("team-a");
    await receiver.waitFor("/a", 1, forJob(jobA));
    expect(receiver.to("/a", forJob(jobB))).toHaveLength(0);
    expect(receiver.to("/b", forJob(jobA))).toHaveLength(0);
  });

  it("audits every change, without the secret", async () => {
    const created = await createOk(
      { tenant: "team-a", url: `${receiver.url}/audited`, description: "audit me" },
      keys.ownerA.token,
    );
    const id = created.webhook.id;
    await mutate("updateWebhook", { id, input: { events: ["JOB_FAILED"] } }, keys.ownerA.token);
    await mutate("deleteWebhook", { id }, keys.ownerA.token);
    const { rows } = await p.api.db.pool.query<{
      action: string;
      tenantId: string;
      actorKeyId: string;
      requestId: string | null;
      before: Record<string, unknown> | null;
      after: Record<string, unknown> | null;
    }>(
      `SELECT action, "tenantId", "actorKeyId", "requestId", before, after FROM "AuditLog"
        WHERE "targetType" = 'Webhook' AND "targetId" = $1 ORDER BY id`,
      [id],
    );
    expect(rows.map((r) => r.action)).toEqual([
      "webhook.create",
      "webhook.update",
      "webhook.delete",
    ]);
    const tenantA = (
      await p.api.db.pool.query<{ id: string }>(`SELECT id FROM "Tenant" WHERE slug = 'team-a'`)
    ).rows[0]?.id;
    for (const row of rows) {
      expect(row).toMatchObject({ tenantId: tenantA, actorKeyId: keys.ownerA.id });
      expect(row.requestId).toBeTruthy();
      expect(JSON.stringify(row)).not.toContain(created.secret);
      expect(JSON.stringify(row)).not.toContain('"secret"');
    }
    expect(rows[1]?.before).toMatchObject({
      events: ["JOB_SUCCEEDED", "JOB_FAILED", "JOB_CANCELLED"],
    });
    expect(rows[1]?.after).toMatchObject({ events: ["JOB_FAILED"] });
  });

  it("refuses URLs that are not plain http(s) with VALIDATION_FAILED", async () => {
    for (const url of [
      "not a url",
      "/relative/path",
      "ftp://example.com/hook",
      "javascript:alert(1)",
      "file:///etc/passwd",
      "https://user:pass@example.com/hook",
      "https://token@example.com/hook",
      `https://example.com/${"x".repeat(2100)}`,
    ]) {
      const refused = await createWebhook({ tenant: "team-a", url }, keys.ownerA.token);
      expect(refused, url).toMatchObject({
        __typename: "ValidationError",
        code: "VALIDATION_FAILED",
      });
      expect(refused.issues?.[0]?.field).toBe("url");
    }
    const noEvents = await createWebhook(
      { tenant: "team-a", url: "https://example.com/hook", events: [] },
      keys.ownerA.token,
    );
    expect(noEvents).toMatchObject({ code: "VALIDATION_FAILED", issues: [{ field: "events" }] });
    const [own] = (await listWebhooks("team-a", keys.ownerA.token)).data ?? [];
    const update = await mutate(
      "updateWebhook",
      { id: own?.id, input: { url: "gopher://example.com" } },
      keys.ownerA.token,
    );
    expect(update).toMatchObject({ code: "VALIDATION_FAILED", issues: [{ field: "url" }] });
  });
});
