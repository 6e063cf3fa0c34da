// Bad input gets a typed error with a code from docs/contract.md, never a stack trace; bugs are masked
// with a request id and logged in full.
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertRootFieldsAuthorized } from "../../src/schema/authorization.ts";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { createTenant } from "../helpers/fixtures.ts";

describe("typed errors", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ maxQueryDepth: 6, maxBodyBytes: 10_000 });
    await createTenant(api, "alpha");
  });
  afterAll(() => api.close());

  it("reports an unknown slug as NOT_FOUND", async () => {
    const result = await api.gql(`{ tenant(slug: "ghost") { ... on Error { code message } } }`);
    expect(result.data).toEqual({
      tenant: { code: "NOT_FOUND", message: 'tenant "ghost" not found' },
    });
  });

  it("reports a duplicate slug as a validation error on the slug field", async () => {
    const result = await api.gql(
      `mutation { createTenant(input: { slug: "alpha", name: "again" }) {
         __typename ... on ValidationError { code issues { field message } } } }`,
    );
    expect(result.data).toEqual({
      createTenant: {
        __typename: "ValidationError",
        code: "VALIDATION_FAILED",
        issues: [{ field: "slug", message: '"alpha" is already taken' }],
      },
    });
  });

  it("names every offending quota field at once", async () => {
    const result = await api.gql<{ setQuota: { issues: Array<{ field: string }> } }>(
      `mutation { setQuota(tenant: "alpha", input: { maxConcurrentJobs: -1, gpus: -2, cpuMillis: 5 }) {
         ... on ValidationError { code issues { field message } } } }`,
    );
    expect(result.data?.setQuota.issues.map((i) => i.field).sort()).toEqual([
      "gpus",
      "maxConcurrentJobs",
    ]);
  });

  it("rejects a malformed DateTime and a wrongly typed variable before running anything", async () => {
    const date = await api.gql(
      `{ auditLogs(first: 1, filter: { since: "yesterday" }) { __typename } }`,
    );
    expect(date.errors?.[0]?.message).toMatch(/ISO-8601/);
    const typed = await api.gql(`query($n: Int) { tenants(first: $n) { edges { cursor } } }`, {
      n: "ten",
    });
    expect(typed.errors?.[0]?.message).toMatch(/Int/);
    expect(JSON.stringify([date, typed])).not.toMatch(/at .*\.ts:\d+/);
  });

  it("refuses queries nested deeper than the limit", async () => {
    const result = await api.gql(
      `{ me { tenant { apiKeys { ... on TenantApiKeysSuccess { data { tenant { quota { gpus } } } } } } } }`,
    );
    expect(result.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    expect(result.errors?.[0]?.message).toMatch(/depth limit of 6 exceeded, found 7/);
  });

  it("refuses request bodies over the size limit", async () => {
    const response = await fetch(`${api.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ me { __typename } }`, pad: "x".repeat(20_000) }),
    });
    expect(response.status).toBe(413);
  });

  it("masks unexpected failures with the request id and logs the cause", async () => {
    // Break the database under the API: the resolver fails in a way no code expects.
    await api.testDb.ownerQuery(`ALTER TABLE "Competition" RENAME TO "CompetitionGone"`);
    try {
      const response = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: "Bearer test-admin-key-0123456789abcdef",
          "x-request-id": "req-42",
        },
        body: JSON.stringify({ query: `{ competitions(first: 1) { edges { cursor } } }` }),
      });
      const body = (await response.json()) as {
        errors: Array<{ message: string; extensions: { code: string } }>;
      };
      expect(body.errors[0]?.message).toBe("Unexpected error (request id req-42)");
      expect(body.errors[0]?.extensions.code).toBe("INTERNAL_SERVER_ERROR");
      expect(JSON.stringify(body)).not.toMatch(/CompetitionGone|Competition"|prisma/i);
      expect(api.errorLog().at(-1)?.requestId).toBe("req-42");
    } finally {
      await api.testDb.ownerQuery(`ALTER TABLE "CompetitionGone" RENAME TO "Competition"`);
    }
  });

  it("answers liveness and readiness probes", async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toContain("# TYPE autoscorer_jobs gauge");
  });
});

describe("rate limiting", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({
      config: { "server.rateLimit.enabled": true, "server.rateLimit.admin.perMinute": 3 },
    });
  });
  afterAll(() => api.close());

  it("answers RATE_LIMITED with 429 once a key's budget is spent", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api.gql(`{ me { isPlatformAdmin } }`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await api.gql(`{ me { isPlatformAdmin } }`);
    expect(limited.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
  });
});

describe("authorization rules", () => {
  it("fails the schema build when a root field declares no rule", () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: "Query",
        fields: {
          guarded: {
            type: GraphQLString,
            extensions: { pothosOptions: { authScopes: { public: true } } },
          },
          forgotten: { type: GraphQLString },
        },
      }),
    });
    expect(() => assertRootFieldsAuthorized(schema)).toThrow("Query.forgotten");
  });
});
