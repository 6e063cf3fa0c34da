// Every mutation leaves exactly one audit row with the right before/after, written in the
// same transaction; a failed mutation leaves none and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";

interface AuditRow {
  action: string;
  targetType: string;
  targetId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  requestId: string | null;
  actorUserId: string | null;
}

describe("audit log", () => {
  let api: TestApi;

  const auditCount = async () => api.db.prisma.auditLog.count();
  const latestAudit = async (): Promise<AuditRow> => {
    const row = await api.db.prisma.auditLog.findFirstOrThrow({ orderBy: { id: "desc" } });
    return row as unknown as AuditRow;
  };
  /** Runs a mutation and returns the one audit row it must have written. */
  const mutateOnce = async (
    query: string,
    variables: Record<string, unknown> = {},
    key?: string,
  ) => {
    const before = await auditCount();
    const result = await api.gql(query, variables, key);
    expect(result.errors).toBeUndefined();
    expect(await auditCount()).toBe(before + 1);
    return { result, audit: await latestAudit() };
  };
  /** Runs a mutation that must fail and proves it wrote nothing. */
  const mutateFails = async (
    query: string,
    variables: Record<string, unknown> = {},
    key?: string,
  ) => {
    const before = await auditCount();
    const tenants = await api.db.prisma.tenant.findMany({
      include: { quota: true },
      orderBy: { slug: "asc" },
    });
    const result = await api.gql(query, variables, key);
    expect(await auditCount()).toBe(before);
    expect(
      await api.db.prisma.tenant.findMany({ include: { quota: true }, orderBy: { slug: "asc" } }),
    ).toEqual(tenants);
    return result;
  };

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it("records createTenant with the created tenant and quota as `after`", async () => {
    const { audit } = await mutateOnce(
      `mutation { createTenant(input: { slug: "alpha", name: "Alpha", weight: 2, quota: { gpus: 1 } }) { __typename } }`,
    );
    expect(audit).toMatchObject({ action: "tenant.create", targetType: "Tenant", before: null });
    expect(audit.after).toMatchObject({
      slug: "alpha",
      name: "Alpha",
      weight: 2,
      quota: { gpus: 1 },
    });
    expect(audit.requestId).toMatch(/.+/);
    expect(audit.actorUserId).toMatch(/.+/);
  });

  it("records updateTenant, setQuota, suspend and resume with before and after", async () => {
    let { audit } = await mutateOnce(
      `mutation { updateTenant(slug: "alpha", input: { name: "Alpha Team" }) { __typename } }`,
    );
    expect(audit.before).toMatchObject({ name: "Alpha" });
    expect(audit.after).toMatchObject({ name: "Alpha Team" });
    ({ audit } = await mutateOnce(
      `mutation { setQuota(tenant: "alpha", input: { maxConcurrentJobs: 7 }) { __typename } }`,
    ));
    expect(audit).toMatchObject({
      action: "quota.set",
      before: { maxConcurrentJobs: 4 },
      after: { maxConcurrentJobs: 7 },
    });
    ({ audit } = await mutateOnce(`mutation { suspendTenant(slug: "alpha") { __typename } }`));
    expect(audit).toMatchObject({
      action: "tenant.suspend",
      before: { status: "ACTIVE" },
      after: { status: "SUSPENDED" },
    });
    ({ audit } = await mutateOnce(`mutation { resumeTenant(slug: "alpha") { __typename } }`));
    expect(audit).toMatchObject({
      action: "tenant.resume",
      before: { status: "SUSPENDED" },
      after: { status: "ACTIVE" },
    });
  });

  it("records key creation without the secret and revocation with before and after", async () => {
    const { result, audit } = await mutateOnce(
      `mutation { createApiKey(input: { tenant: "alpha", name: "ci", role: VIEWER }) { ... on CreatedApiKey { token apiKey { id } } } }`,
    );
    const created = (result.data as { createApiKey: { token: string; apiKey: { id: string } } })
      .createApiKey;
    expect(audit).toMatchObject({
      action: "apiKey.create",
      targetId: created.apiKey.id,
      after: { role: "VIEWER" },
    });
    const recorded = JSON.stringify([audit.before, audit.after]);
    // The secret is base64url and may itself contain "_": take everything after the prefix.
    const secret = /^ask_[0-9a-f]{12}_(.+)$/.exec(created.token)?.[1] ?? "";
    expect(secret.length).toBeGreaterThanOrEqual(40);
    expect(recorded).not.toContain(secret);
    expect(recorded).not.toContain("secretHash");
    const revoked = await mutateOnce(
      `mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`,
      { id: created.apiKey.id },
    );
    expect(revoked.audit.before).toMatchObject({ revokedAt: null });
    expect(revoked.audit.after?.revokedAt).toEqual(expect.any(String));
  });

  it("records competition changes", async () => {
    const { audit } = await mutateOnce(
      `mutation { createCompetition(input: { slug: "titanic", title: "Titanic", scorer: "classification_f1",
          metric: "f1_macro", phases: [{ slug: "public", name: "Public", dailyLimit: 5 }] }) { __typename } }`,
    );
    expect(audit.after).toMatchObject({
      slug: "titanic",
      phases: [{ slug: "public", dailyLimit: 5 }],
    });
    const update = await mutateOnce(
      `mutation { updateCompetition(slug: "titanic", input: { sortOrder: ASC, countedStates: [SUCCEEDED] }) { __typename } }`,
    );
    expect(update.audit).toMatchObject({
      before: { sortOrder: "DESC" },
      after: { sortOrder: "ASC", countedStates: ["SUCCEEDED"] },
    });
  });

  it("writes nothing and changes nothing when a mutation fails", async () => {
    const member = (await createKey(api, "alpha", "MEMBER")).token;
    const failures = [
      [
        `mutation { createTenant(input: { slug: "alpha", name: "dup" }) { ... on Error { code } } }`,
        undefined,
      ],
      [
        `mutation { createTenant(input: { slug: "Bad Slug!", name: "x" }) { ... on Error { code } } }`,
        undefined,
      ],
      [
        `mutation { setQuota(tenant: "alpha", input: { maxConcurrentJobs: -1 }) { ... on Error { code } } }`,
        undefined,
      ],
      [
        `mutation { setQuota(tenant: "nope", input: { gpus: 1 }) { ... on Error { code } } }`,
        undefined,
      ],
      [`mutation { setQuota(tenant: "alpha", input: { gpus: 1 }) { __typename } }`, member],
      [
        `mutation { updateTenant(slug: "alpha", input: { weight: 0 }) { ... on Error { code } } }`,
        undefined,
      ],
      [`mutation { resumeTenant(slug: "alpha") { ... on Error { code } } }`, undefined],
      [
        `mutation { updateCompetition(slug: "titanic", input: { scorer: "" }) { ... on Error { code } } }`,
        undefined,
      ],
    ] as const;
    for (const [query, key] of failures) await mutateFails(query, {}, key);
  });

  it("is append-only in the database itself", async () => {
    // The application role may only add and read entries.
    for (const change of [`UPDATE "AuditLog" SET action = 'forged'`, `DELETE FROM "AuditLog"`]) {
      await expect(api.db.pool.query(change)).rejects.toThrow(/permission denied/);
    }
    await expect(api.db.pool.query(`TRUNCATE "AuditLog"`)).rejects.toThrow(/permission denied/);
    // Even the owner cannot change one: the table's trigger refuses.
    const owner = api.testDb.ownerQuery;
    await expect(owner(`UPDATE "AuditLog" SET action = 'forged'`)).rejects.toThrow(/append-only/);
    await expect(owner(`DELETE FROM "AuditLog"`)).rejects.toThrow(/append-only/);
    await expect(owner(`TRUNCATE "AuditLog"`)).rejects.toThrow(/append-only/);
  });

  it("pages through the log newest first and filters by action and time", async () => {
    await createTenant(api, "beta");
    const page = async (after?: string) =>
      api.gql<{
        auditLogs: {
          edges: Array<{ cursor: string; node: { id: string; action: string } }>;
          pageInfo: { hasNextPage: boolean; endCursor: string };
        };
      }>(
        `query($after: String) { auditLogs(first: 3, after: $after) { ... on QueryAuditLogsConnection {
           edges { cursor node { id action } } pageInfo { hasNextPage endCursor } } } }`,
        { after },
      );
    const first = await page();
    const second = await page(first.data?.auditLogs.pageInfo.endCursor);
    const ids = [
      ...(first.data?.auditLogs.edges ?? []),
      ...(second.data?.auditLogs.edges ?? []),
    ].map((e) => Number(e.node.id));
    expect(ids).toHaveLength(6);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(first.data?.auditLogs.edges[0]?.node.action).toBe("tenant.create");
    const filtered = await api.gql<{ auditLogs: { edges: Array<{ node: { action: string } }> } }>(
      `{ auditLogs(first: 50, filter: { action: "tenant.suspend", since: "2000-01-01T00:00:00Z" }) {
           ... on QueryAuditLogsConnection { edges { node { action } } } } }`,
    );
    expect(filtered.data?.auditLogs.edges.map((e) => e.node.action)).toEqual(["tenant.suspend"]);
    const future = await api.gql<{ auditLogs: { edges: unknown[] } }>(
      `{ auditLogs(first: 50, filter: { since: "2999-01-01T00:00:00Z" }) { ... on QueryAuditLogsConnection { edges { cursor } } } }`,
    );
    expect(future.data?.auditLogs.edges).toEqual([]);
  });
});
