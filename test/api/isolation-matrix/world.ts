// The world the isolation matrix runs in: a target tenant (alpha) with something of every
// kind a caller could reach for (a scored job with events, logs and a leaderboard entry, a
// webhook, keys of each role), a second tenant (beta) whose owner is the "other tenant", and
// a third (gamma) with the same things, suspended, whose owner is the "suspended tenant".
// Alpha's objects carry markers (its tenant's id, the job's id and client id, the
// webhook's address) that callers outside alpha must never see in any answer.
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { ADMIN_KEY } from "../../helpers/api.ts";
import { createKey, createTenant } from "../../helpers/fixtures.ts";
import { startTestPipeline, type TestPipeline } from "../../pipeline/helpers.ts";

/** Who calls. */
export const CALLERS = [
  "admin",
  "owner",
  "member",
  "viewer",
  "other",
  "suspended",
  "revoked",
  "none",
] as const;
export type Caller = (typeof CALLERS)[number];

/** What a tenant owns that an operation can name. */
export interface TenantObjects {
  slug: string;
  tenantId: string;
  jobId: string;
  /** A fresh webhook per call, for operations that change or delete one. */
  freshWebhook(): Promise<string>;
  /** A fresh key of the tenant, for operations that revoke one. */
  freshKeyId(): Promise<string>;
  webhookId: string;
}

export interface World {
  p: TestPipeline;
  competition: string;
  phase: string;
  executorName: string;
  alpha: TenantObjects;
  gamma: TenantObjects;
  /** Each caller's key; null for "none". */
  keys: Record<Caller, string | null>;
  /** Strings of alpha's that only admins and alpha's own members may read. */
  markers: string[];
  /** The objects a caller names: the suspended tenant names its own, everyone else alpha's. */
  targetOf(caller: Caller): TenantObjects;
  /** Objects that do not exist: another tenant's must be answered just like these. */
  ghost: TenantObjects;
  close(): Promise<void>;
}

const COMPETITION = "matrix-cup";
const PHASE = "dev";

async function ok<T>(p: TestPipeline, query: string, variables: Record<string, unknown>) {
  const result = await p.api.gql<Record<string, T>>(query, variables, ADMIN_KEY);
  expect(result.errors).toBeUndefined();
  return result.data as Record<string, T>;
}

async function webhookOf(p: TestPipeline, slug: string, url: string): Promise<string> {
  const data = await ok<{ __typename: string; webhook: { id: string } }>(
    p,
    `mutation($input: CreateWebhookInput!) {
       createWebhook(input: $input) { __typename ... on CreatedWebhook { webhook { id } } } }`,
    { input: { tenant: slug, url } },
  );
  expect(data.createWebhook?.__typename).toBe("CreatedWebhook");
  return data.createWebhook?.webhook.id as string;
}

/** A job of the tenant's in the competition, run to SUCCEEDED. */
async function scoredJob(p: TestPipeline, slug: string, clientId: string): Promise<string> {
  const inputUri = p.input(slug, "matrix");
  const data = await ok<{ __typename: string; id: string }>(
    p,
    `mutation($input: JobSpecInput!) { submitJob(input: $input) {
       __typename ... on Job { id } ... on Error { code message } } }`,
    {
      input: {
        tenant: slug,
        jobId: clientId,
        taskType: "classification",
        inputUri,
        competition: COMPETITION,
        phase: PHASE,
      },
    },
  );
  expect(data.submitJob?.__typename).toBe("Job");
  const id = data.submitJob?.id as string;
  await p.waitFor(id, ["SUCCEEDED"]);
  return id;
}

async function tenantWorld(p: TestPipeline, slug: string, name: string): Promise<TenantObjects> {
  const tenantId = await createTenant(p.api, slug, {
    maxConcurrentJobs: 4,
    submissionsPerDay: 500,
  });
  await p.api.gql(
    `mutation($slug: String!, $input: UpdateTenantInput!) {
    updateTenant(slug: $slug, input: $input) { __typename } }`,
    { slug, input: { name } },
  );
  const jobId = await scoredJob(p, slug, `${slug}-secret-job`);
  // A line of output and a usage sample, as a container run leaves them, for the log and
  // metric subscriptions to start with.
  await p.api.db.pool.query(
    `INSERT INTO "JobLogChunk" ("jobId", attempt, stream, text, lines)
     VALUES ($1, 1, 'stdout', $2, 1)`,
    [jobId, `${slug} secret log line\n`],
  );
  await p.api.db.pool.query(
    `INSERT INTO "JobMetricSample" ("jobId", attempt, at, "cpuMillis", "memoryBytes")
     VALUES ($1, 1, now(), 5, 1024)`,
    [jobId],
  );
  // Made now: a suspended tenant gets no new keys, but its old ones can still be revoked.
  const spareKeys: string[] = [];
  for (let i = 0; i < 8; i++) spareKeys.push((await createKey(p.api, slug, "VIEWER")).id);
  return {
    slug,
    tenantId,
    jobId,
    webhookId: await webhookOf(p, slug, `https://${slug}-hooks.example.org/secret`),
    freshWebhook: () => webhookOf(p, slug, `https://${slug}-hooks.example.org/fresh`),
    freshKeyId: async () => {
      const id = spareKeys.pop();
      if (!id) throw new Error(`no spare key of ${slug} left`);
      return id;
    },
  };
}

export async function buildWorld(): Promise<World> {
  const p = await startTestPipeline();
  const executorName = `matrix-node-${randomUUID().slice(0, 8)}`;
  await p.addWorker(executorName, { maxJobs: 4 });
  const created = await ok<{ __typename: string }>(
    p,
    `mutation($input: CreateCompetitionInput!) { createCompetition(input: $input) { __typename } }`,
    {
      input: {
        slug: COMPETITION,
        title: "Matrix cup",
        scorer: "classification_f1",
        metric: "accuracy",
        phases: [{ slug: PHASE, name: "Development" }],
      },
    },
  );
  expect(created.createCompetition?.__typename).toBe("Competition");
  const alpha = await tenantWorld(p, "alpha", "Alpha Secret Name");
  const gamma = await tenantWorld(p, "gamma", "Gamma Name");
  await createTenant(p.api, "beta");
  const revoked = await createKey(p.api, "alpha", "OWNER");
  const keys: Record<Caller, string | null> = {
    admin: ADMIN_KEY,
    owner: (await createKey(p.api, "alpha", "OWNER")).token,
    member: (await createKey(p.api, "alpha", "MEMBER")).token,
    viewer: (await createKey(p.api, "alpha", "VIEWER")).token,
    other: (await createKey(p.api, "beta", "OWNER")).token,
    suspended: (await createKey(p.api, "gamma", "OWNER")).token,
    revoked: revoked.token,
    none: null,
  };
  await ok(p, `mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`, { id: revoked.id });
  await ok(p, `mutation { suspendTenant(slug: "gamma") { __typename } }`, {});
  return {
    p,
    competition: COMPETITION,
    phase: PHASE,
    executorName,
    alpha,
    gamma,
    keys,
    // Not its name or slug: leaderboards show every team's, by design.
    markers: [
      alpha.tenantId,
      "alpha-secret-job",
      "alpha secret log line",
      alpha.jobId,
      "alpha-hooks.example.org",
    ],
    targetOf: (caller) => (caller === "suspended" ? gamma : alpha),
    ghost: {
      slug: "no-such-tenant",
      tenantId: randomUUID(),
      jobId: randomUUID(),
      webhookId: randomUUID(),
      freshWebhook: async () => randomUUID(),
      freshKeyId: async () => randomUUID(),
    },
    close: () => p.close(),
  };
}
