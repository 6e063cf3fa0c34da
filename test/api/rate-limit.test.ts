// Rate limits through the whole server: exact refusals once a bucket is spent, answered as
// RATE_LIMITED (HTTP 429) with `details.retryAfterSeconds` and a Retry-After header, before
// the request's body is read; a tenant's keys share its bucket; admin keys have their own;
// callers without a key are counted per address; WebSocket operations are charged too.
// The rates are a few per minute, so no token comes back within a test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest, type TimedResponse, wsClient } from "../helpers/abusive-clients.ts";
import { ADMIN_KEY, startTestApi, type TestApi } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";

interface Refusal {
  errors: Array<{
    message: string;
    extensions: { code: string; details: { retryAfterSeconds: number; bucket: string } };
  }>;
}

const query = (api: TestApi, key: string | null, body: unknown = { query: "{ __typename }" }) =>
  rawRequest(api.url, {
    body: Buffer.from(JSON.stringify(body)),
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });

async function statuses(api: TestApi, key: string | null, n: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) seen.push((await query(api, key)).status);
  return seen;
}

function expectRefusal(response: TimedResponse, bucket: string, retryAfterSeconds: number) {
  expect(response.status).toBe(429);
  expect(response.headers["retry-after"]).toBe(String(retryAfterSeconds));
  const body = JSON.parse(response.body) as Refusal;
  expect(body.errors[0]?.extensions).toEqual({
    code: "RATE_LIMITED",
    details: { retryAfterSeconds, bucket },
  });
  expect(body.errors[0]?.message).toMatch(
    new RegExp(`retry this request in ${retryAfterSeconds} s`),
  );
}

const repeat = <T>(value: T, n: number) => Array<T>(n).fill(value);

describe("rate limits", () => {
  let api: TestApi;
  let admin: TestApi["gql"];
  /** One fresh key per test (two for beta), made before any bucket is spent. */
  const keys: Record<string, { token: string }> = {};
  const tokenOf = (name: string): string => {
    const key = keys[name];
    if (!key) throw new Error(`no fixture key ${name}`);
    return key.token;
  };
  beforeAll(async () => {
    api = await startTestApi({
      config: {
        "server.rateLimit.enabled": true,
        "server.rateLimit.apiKey": { perMinute: 5 },
        "server.rateLimit.tenant": { perMinute: 8 },
        "server.rateLimit.admin": { perMinute: 30, burst: 40 },
        "server.rateLimit.anonymous": { perMinute: 3 },
      },
    });
    admin = api.gql;
    for (const slug of ["alpha", "beta", "gamma", "delta", "epsilon"]) {
      await createTenant(api, slug);
      keys[slug] = await createKey(api, slug, "MEMBER");
    }
    keys.beta2 = await createKey(api, "beta", "VIEWER");
  });
  afterAll(() => api.close());

  it("refuses a key's request past its bucket, exactly, with Retry-After", async () => {
    const token = tokenOf("alpha");
    expect(await statuses(api, token, 5)).toEqual(repeat(200, 5));
    // 5 per minute: the next token comes in 12 s.
    expectRefusal(await query(api, token), "apiKey", 12);
    expectRefusal(await query(api, token), "apiKey", 12);
  });

  it("shares one tenant's bucket between two of its keys, and not with another tenant", async () => {
    const [first, second] = [tokenOf("beta"), tokenOf("beta2")];
    expect(await statuses(api, first, 5)).toEqual(repeat(200, 5));
    // The tenant allows 8: the second key has 3 left, though its own bucket holds 5.
    expect(await statuses(api, second, 3)).toEqual(repeat(200, 3));
    // 8 per minute: the next token comes in 7.5 s.
    expectRefusal(await query(api, second), "tenant", 8);
    // The admin key is not counted against any tenant.
    expect((await admin(`{ tenant(slug: "beta") { __typename } }`)).status).toBe(200);
  });

  it("counts callers without a key per address, and failed keys with them", async () => {
    // Another address than the tests' other requests cannot be had on loopback; this test
    // is the only one here that calls without a key.
    expect((await query(api, null)).status).toBe(200);
    // A wrong key is a 401 and costs the address a token.
    expect((await query(api, "ask_0123456789ab_wrong")).status).toBe(401);
    expect((await query(api, null)).status).toBe(200);
    // 3 per minute: the next token comes in 20 s.
    expectRefusal(await query(api, null), "anonymous", 20);
    expectRefusal(await query(api, "ask_0123456789ab_wrong"), "anonymous", 20);
  });

  it("charges a batch one token per operation: one at the door, the rest all or none", async () => {
    const token = tokenOf("epsilon");
    const batch = (n: number) => Array.from({ length: n }, () => ({ query: "{ __typename }" }));
    const passed = await query(api, token, batch(3));
    expect(passed.status).toBe(200);
    expect(JSON.parse(passed.body)).toHaveLength(3);
    // 2 tokens left: the door takes one, the other 3 operations find 1 and take none.
    const refused = await query(api, token, batch(4));
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).errors[0].message).toMatch(/retry these 4 operations/);
    expect((await query(api, token)).status).toBe(200);
    expect((await query(api, token)).status).toBe(429);
  });

  it("charges each WebSocket operation to the connection's key", async () => {
    const token = tokenOf("delta");
    const client = wsClient(api.url, { key: token });
    try {
      const results: unknown[] = [];
      for (let i = 0; i < 6; i++) {
        results.push(
          await new Promise((resolve) =>
            client.subscribe(
              { query: "{ __typename }" },
              { next: resolve, error: resolve, complete: () => undefined },
            ),
          ),
        );
      }
      expect(results.slice(0, 5)).toEqual(repeat({ data: { __typename: "Query" } }, 5));
      expect(results[5]).toEqual([
        {
          message: expect.stringMatching(/retry this request in 12 s/),
          extensions: {
            code: "RATE_LIMITED",
            details: { retryAfterSeconds: 12, bucket: "apiKey" },
          },
        },
      ]);
    } finally {
      await client.dispose();
    }
  });
  // Last: it spends the admin key's bucket, which the fixtures above drew on.
  it("limits admin keys in their own, larger bucket", async () => {
    const token = tokenOf("gamma");
    expect(await statuses(api, token, 5)).toEqual(repeat(200, 5));
    expectRefusal(await query(api, token), "apiKey", 12);
    // The admin key spent a few tokens setting tests up; its bucket of 40 is far from empty.
    const adminStatuses = await statuses(api, ADMIN_KEY, 60);
    const passed = adminStatuses.filter((s) => s === 200).length;
    expect(passed).toBeGreaterThanOrEqual(20);
    expect(adminStatuses.slice(passed)).toEqual(repeat(429, 60 - passed));
    // 30 per minute: a token every 2 s. The 60 requests took a while, so part of the next
    // token may have come back already and the wait rounds up to 1 s instead of 2.
    const refused = await query(api, ADMIN_KEY);
    expect(["1", "2"]).toContain(refused.headers["retry-after"]);
    expectRefusal(refused, "admin", Number(refused.headers["retry-after"]));
  });
});
