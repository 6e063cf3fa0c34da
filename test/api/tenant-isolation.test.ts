// A member's key reaches its own tenant and nothing of any other tenant, through every
// query and mutation of the spine.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";

const code = (result: { data?: Record<string, unknown> | undefined }, field: string) =>
  (result.data?.[field] as { code?: string } | undefined)?.code;

describe("tenant isolation", () => {
  let api: TestApi;
  let member: string;
  let owner: string;
  let otherOwnerKeyId: string;

  beforeAll(async () => {
    api = await startTestApi();
    await createTenant(api, "alpha", { maxConcurrentJobs: 2 });
    await createTenant(api, "beta");
    const quota = await api.gql(
      `mutation { setQuota(tenant: "alpha", input: { maxConcurrentJobs: 3, submissionsPerDay: 10 }) {
         __typename ... on Quota { maxConcurrentJobs submissionsPerDay } } }`,
    );
    expect(quota.data).toEqual({
      setQuota: { __typename: "Quota", maxConcurrentJobs: 3, submissionsPerDay: 10 },
    });
    member = (await createKey(api, "alpha", "MEMBER")).token;
    owner = (await createKey(api, "alpha", "OWNER")).token;
    otherOwnerKeyId = (await createKey(api, "beta", "OWNER")).id;
  });
  afterAll(() => api.close());

  it("lets a member read its own tenant and quota", async () => {
    const result = await api.gql(
      `{ me { role isPlatformAdmin tenant { slug } }
         tenant(slug: "alpha") { __typename ... on Tenant { slug quota { maxConcurrentJobs } } } }`,
      {},
      member,
    );
    expect(result.data).toEqual({
      me: { role: "MEMBER", isPlatformAdmin: false, tenant: { slug: "alpha" } },
      tenant: { __typename: "Tenant", slug: "alpha", quota: { maxConcurrentJobs: 3 } },
    });
  });

  it("answers another tenant's slug exactly like a slug that does not exist", async () => {
    const other = await api.gql(
      `{ tenant(slug: "beta") { __typename ... on Error { code message } } }`,
      {},
      member,
    );
    const none = await api.gql(
      `{ tenant(slug: "nope") { __typename ... on Error { code } } }`,
      {},
      member,
    );
    expect(code(other, "tenant")).toBe("NOT_FOUND");
    expect(code(none, "tenant")).toBe("NOT_FOUND");
  });

  it("lists only the caller's own tenant", async () => {
    const mine = await api.gql<{ tenants: { edges: Array<{ node: { slug: string } }> } }>(
      `{ tenants(first: 10) { edges { node { slug } } } }`,
      {},
      member,
    );
    expect(mine.data?.tenants.edges.map((e) => e.node.slug)).toEqual(["alpha"]);
    const all = await api.gql<{ tenants: { edges: Array<{ node: { slug: string } }> } }>(
      `{ tenants(first: 10) { edges { node { slug } } } }`,
    );
    expect(all.data?.tenants.edges.map((e) => e.node.slug)).toEqual(["alpha", "beta"]);
  });

  it("refuses every admin mutation to a member and an owner", async () => {
    for (const key of [member, owner]) {
      const create = await api.gql(
        `mutation { createTenant(input: { slug: "gamma", name: "G" }) { __typename } }`,
        {},
        key,
      );
      expect(create.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      for (const field of ["suspendTenant", "resumeTenant"]) {
        const result = await api.gql(`mutation { ${field}(slug: "beta") { __typename } }`, {}, key);
        expect(result.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      }
      const quota = await api.gql(
        `mutation { setQuota(tenant: "alpha", input: { maxConcurrentJobs: 99 }) { __typename } }`,
        {},
        key,
      );
      expect(quota.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
    const quota = await api.gql<{ tenant: { quota: { maxConcurrentJobs: number } } }>(
      `{ tenant(slug: "alpha") { ... on Tenant { quota { maxConcurrentJobs } } } }`,
    );
    expect(quota.data?.tenant.quota.maxConcurrentJobs).toBe(3);
  });

  it("never changes another tenant, even as an owner", async () => {
    const rename = await api.gql(
      `mutation { updateTenant(slug: "beta", input: { name: "mine now" }) { __typename ... on Error { code } } }`,
      {},
      owner,
    );
    expect(code(rename, "updateTenant")).toBe("NOT_FOUND");
    const key = await api.gql(
      `mutation { createApiKey(input: { tenant: "beta", name: "sneaky" }) { __typename ... on Error { code } } }`,
      {},
      owner,
    );
    expect(code(key, "createApiKey")).toBe("NOT_FOUND");
    const revoke = await api.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { __typename ... on Error { code } } }`,
      { id: otherOwnerKeyId },
      owner,
    );
    expect(code(revoke, "revokeApiKey")).toBe("NOT_FOUND");
    const audit = await api.gql(
      `{ auditLogs(first: 5, filter: { tenant: "beta" }) { __typename ... on Error { code } } }`,
      {},
      owner,
    );
    expect(code(audit, "auditLogs")).toBe("NOT_FOUND");
    const beta = await api.gql<{ tenant: { name: string } }>(
      `{ tenant(slug: "beta") { ... on Tenant { name } } }`,
    );
    expect(beta.data?.tenant.name).toBe("Tenant beta");
  });

  it("shows an owner only its own tenant's audit rows and keys; members neither", async () => {
    const rows = await api.gql<{
      auditLogs: { edges: Array<{ node: { tenantId: string | null; action: string } }> };
    }>(
      `{ auditLogs(first: 50) { ... on QueryAuditLogsConnection { edges { node { tenantId action } } } } }`,
      {},
      owner,
    );
    const alpha = await api.gql<{ tenant: { id: string } }>(
      `{ tenant(slug: "alpha") { ... on Tenant { id } } }`,
    );
    const edges = rows.data?.auditLogs.edges ?? [];
    expect(edges.length).toBeGreaterThan(0);
    expect(new Set(edges.map((e) => e.node.tenantId))).toEqual(new Set([alpha.data?.tenant.id]));
    const memberAudit = await api.gql(
      `{ auditLogs(first: 5) { __typename ... on Error { code } } }`,
      {},
      member,
    );
    expect(code(memberAudit, "auditLogs")).toBe("FORBIDDEN");
    const keys = await api.gql<{ tenant: { apiKeys: { __typename: string; code?: string } } }>(
      `{ tenant(slug: "alpha") { ... on Tenant { apiKeys { __typename ... on Error { code } } } } }`,
      {},
      member,
    );
    expect(keys.data?.tenant.apiKeys.code).toBe("FORBIDDEN");
  });

  it("lets every key read competitions but only admins create or change them", async () => {
    const created = await api.gql(
      `mutation { createCompetition(input: { slug: "digits", title: "Digits", scorer: "classification_f1",
          metric: "f1_macro", phases: [{ slug: "dev", name: "Dev", dailyLimit: 3 }] }) { __typename } }`,
    );
    expect(created.data).toEqual({ createCompetition: { __typename: "Competition" } });
    for (const key of [member, owner]) {
      const read = await api.gql(
        `{ competition(slug: "digits") { ... on Competition { title phases { slug dailyLimit } } } }`,
        {},
        key,
      );
      expect(read.data).toEqual({
        competition: { title: "Digits", phases: [{ slug: "dev", dailyLimit: 3 }] },
      });
      const change = await api.gql(
        `mutation { updateCompetition(slug: "digits", input: { title: "Mine" }) { __typename } }`,
        {},
        key,
      );
      expect(change.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      const create = await api.gql(
        `mutation { createCompetition(input: { slug: "x", title: "X", scorer: "s", metric: "m", phases: [{ slug: "p", name: "P" }] }) { __typename } }`,
        {},
        key,
      );
      expect(create.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
  });

  it("lets an owner issue keys up to its own role, and never an admin key", async () => {
    const viewer = await api.gql(
      `mutation { createApiKey(input: { tenant: "alpha", name: "ci", role: VIEWER }) { __typename } }`,
      {},
      owner,
    );
    expect(viewer.data).toEqual({ createApiKey: { __typename: "CreatedApiKey" } });
    const adminKey = await api.gql(
      `mutation { createApiKey(input: { name: "root" }) { __typename ... on Error { code } } }`,
      {},
      owner,
    );
    expect(code(adminKey, "createApiKey")).toBe("FORBIDDEN");
    const fromMember = await api.gql(
      `mutation { createApiKey(input: { tenant: "alpha", name: "x", role: OWNER }) { __typename ... on Error { code } } }`,
      {},
      member,
    );
    expect(code(fromMember, "createApiKey")).toBe("FORBIDDEN");
  });
});

describe("authentication", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    await createTenant(api, "alpha");
  });
  afterAll(() => api.close());

  it("rejects a missing key on protected fields and a malformed or unknown key outright", async () => {
    const anonymous = await api.gql(`{ me { isPlatformAdmin } }`, {}, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    for (const key of ["garbage", "ask_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]) {
      const result = await api.gql(`{ me { isPlatformAdmin } }`, {}, key);
      expect(result.status).toBe(401);
      expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
  });

  it("refuses a revoked key at once, and a revoked key stays revoked", async () => {
    const { token, id } = await createKey(api, "alpha", "MEMBER");
    expect((await api.gql(`{ me { role } }`, {}, token)).data).toEqual({ me: { role: "MEMBER" } });
    const revoke = await api.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { __typename ... on ApiKey { revokedAt } } }`,
      { id },
      token,
    );
    expect(revoke.data?.revokeApiKey).toMatchObject({ __typename: "ApiKey" });
    // The revocation reaches the authentication cache through NOTIFY.
    await expect.poll(async () => (await api.gql(`{ me { role } }`, {}, token)).status).toBe(401);
    const again = await api.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { __typename ... on Error { code } } }`,
      { id },
    );
    expect(again.data?.revokeApiKey).toEqual({ __typename: "BaseError", code: "INVALID_STATE" });
  });

  it("keeps a suspended tenant readable but refuses new keys until it is resumed", async () => {
    const { token } = await createKey(api, "alpha", "OWNER");
    const suspend = await api.gql(
      `mutation { suspendTenant(slug: "alpha") { ... on Tenant { status } } }`,
    );
    expect(suspend.data).toEqual({ suspendTenant: { status: "SUSPENDED" } });
    const twice = await api.gql(
      `mutation { suspendTenant(slug: "alpha") { ... on Error { code } } }`,
    );
    expect(twice.data).toEqual({ suspendTenant: { code: "INVALID_STATE" } });
    const read = await api.gql(`{ tenant(slug: "alpha") { ... on Tenant { status } } }`, {}, token);
    expect(read.data).toEqual({ tenant: { status: "SUSPENDED" } });
    const key = await api.gql(
      `mutation { createApiKey(input: { tenant: "alpha", name: "x" }) { ... on Error { code } } }`,
      {},
      token,
    );
    expect(key.data).toEqual({ createApiKey: { code: "TENANT_SUSPENDED" } });
    await api.gql(`mutation { resumeTenant(slug: "alpha") { __typename } }`);
    const after = await api.gql(
      `mutation { createApiKey(input: { tenant: "alpha", name: "x" }) { __typename } }`,
      {},
      token,
    );
    expect(after.data).toEqual({ createApiKey: { __typename: "CreatedApiKey" } });
  });
});
