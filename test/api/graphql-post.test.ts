// The direct POST /graphql path (src/server/graphql-post.ts) against Yoga itself: for every
// request below, status, media type, CORS headers and body must be what Yoga answers, and
// each request must take the path it is meant to (served directly, or replayed into Yoga).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createContextFactory,
  createGraphQLServer,
  type GraphQLServer,
} from "../../src/server/graphql.ts";
import { createJsonPostHandler, type JsonPostHandler } from "../../src/server/graphql-post.ts";
import { createRateLimiter } from "../../src/server/rate-limit.ts";
import { ADMIN_KEY, startTestApi, type TestApi } from "../helpers/api.ts";
import { createTenant } from "../helpers/fixtures.ts";

interface Case {
  name: string;
  body: string;
  headers?: Record<string, string>;
  /** Served by the direct path (true) or replayed through Yoga (false). */
  direct: boolean;
}

const json = (value: unknown) => JSON.stringify(value);
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

const cases: Case[] = [
  { name: "a query", body: json({ query: "{ me { isPlatformAdmin role } }" }), direct: true },
  {
    name: "variables and a typed error",
    body: json({
      query: `query($slug: String!) { tenant(slug: $slug) { __typename ... on Error { code message } } }`,
      variables: { slug: "ghost" },
    }),
    direct: true,
  },
  {
    name: "one of several operations by name",
    body: json({
      query: "query A { me { role } } query B { tenants(first: 1) { edges { node { slug } } } }",
      operationName: "B",
    }),
    direct: true,
  },
  {
    name: "a variable of the wrong type",
    body: json({
      query: "query($n: Int) { tenants(first: $n) { edges { cursor } } }",
      variables: { n: "ten" },
    }),
    direct: true,
  },
  {
    name: "a mutation refused with a typed error",
    body: json({
      query: `mutation { setQuota(tenant: "alpha", input: { gpus: -1 }) { __typename ... on Error { code } } }`,
    }),
    direct: true,
  },
  {
    name: "null variables, extensions and operation name",
    body: json({
      query: "{ me { role } }",
      variables: null,
      extensions: null,
      operationName: null,
    }),
    direct: true,
  },
  {
    name: "no credentials for a field that needs them",
    body: json({ query: "{ me { role } }" }),
    headers: { authorization: "" },
    direct: true,
  },
  {
    name: "an unknown key",
    body: json({ query: "{ me { role } }" }),
    headers: { authorization: "Bearer ask_000000000000_nope" },
    direct: true,
  },
  {
    name: "a malformed Authorization header",
    body: json({ query: "{ me { role } }" }),
    headers: { authorization: "Basic abc" },
    direct: true,
  },
  ...["application/json", "application/graphql-response+json", "*/*", "application/*"].map(
    (accept): Case => ({
      name: `Accept: ${accept}`,
      body: json({ query: "{ me { role } }" }),
      headers: { accept },
      direct: true,
    }),
  ),
  {
    name: "Accept with a utf-8 charset and two types",
    body: json({ query: "{ me { role } }" }),
    headers: { accept: "application/json; charset=utf-8, application/graphql-response+json" },
    direct: true,
  },
  {
    name: "a cross-origin request",
    body: json({ query: "{ me { role } }" }),
    headers: { origin: "https://competition.example" },
    direct: true,
  },
  {
    name: "an application/graphql+json body",
    body: json({ query: "{ me { role } }" }),
    headers: { "content-type": "application/graphql+json" },
    direct: true,
  },
  // Replayed through Yoga: everything that fails before execution, and operations Yoga
  // cannot pick.
  {
    name: "an operation name that matches nothing",
    body: json({ query: "query A { me { role } }", operationName: "Z" }),
    direct: false,
  },
  {
    name: "no operation name for several operations",
    body: json({ query: "query A { me { role } } query B { me { role } }" }),
    direct: false,
  },
  { name: "invalid JSON", body: "{ query: nope", direct: false },
  { name: "a batch", body: json([{ query: "{ me { role } }" }]), direct: false },
  { name: "a JSON null body", body: "null", direct: false },
  { name: "a JSON string body", body: json("{ me { role } }"), direct: false },
  { name: "no query", body: json({ variables: {} }), direct: false },
  { name: "a query that is not a string", body: json({ query: 42 }), direct: false },
  {
    name: "variables that are not an object",
    body: json({ query: "{ me { role } }", variables: "x" }),
    direct: false,
  },
  {
    name: "an unexpected parameter",
    body: json({ query: "{ me { role } }", documentId: "x" }),
    direct: false,
  },
  { name: "a syntax error", body: json({ query: "{ me { role " }), direct: false },
  {
    name: "a syntax error, application/json",
    body: json({ query: "{ me { role " }),
    headers: { accept: "application/json" },
    direct: false,
  },
  { name: "an unknown field", body: json({ query: "{ nope }" }), direct: false },
  {
    name: "an unknown field, application/json",
    body: json({ query: "{ nope }" }),
    headers: { accept: "application/json" },
    direct: false,
  },
  {
    name: "a query deeper than the limit",
    body: json({
      query:
        "{ me { tenant { quota { updatedAt } apiKeys { tenant { apiKeys { tenant { apiKeys { id } } } } } } } }",
    }),
    direct: false,
  },
  {
    name: "a subscription over plain POST",
    body: json({ query: "subscription { me }" }),
    direct: false,
  },
];

/** Yoga wrapped so that each replay into it is counted. */
function countingReplays(yoga: GraphQLServer): { yoga: GraphQLServer; replays: () => number } {
  let replays = 0;
  const counted = new Proxy(yoga, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property !== "fetch") return value.bind(target);
      return (...args: unknown[]) => {
        replays++;
        return value.apply(target, args);
      };
    },
  });
  return { yoga: counted, replays: () => replays };
}

/** An HTTP server that routes as src/server/http.ts does for /graphql. */
async function serve(handler: JsonPostHandler, yoga: GraphQLServer) {
  const server = createServer((req, res) => {
    const mediaType = handler.accepts(req);
    const handled = mediaType ? handler.handle(req, res, mediaType) : yoga.handle(req, res);
    Promise.resolve(handled).catch((error: unknown) => res.destroy(error as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Answer {
  status: number;
  contentType: string | null;
  cors: Array<string | null>;
  body: unknown;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    // Request ids differ between any two requests.
    body = JSON.parse(text.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "<uuid>"));
  } catch {}
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    cors: ["access-control-allow-origin", "vary", "access-control-allow-credentials"].map((h) =>
      response.headers.get(h),
    ),
    body,
  };
}

describe("POST /graphql served directly", () => {
  let api: TestApi;
  let server: Awaited<ReturnType<typeof serve>>;
  let url: string;
  let replays: () => number;

  beforeAll(async () => {
    api = await startTestApi({ maxQueryDepth: 6 });
    await createTenant(api, "alpha");
    const counted = countingReplays(api.yoga);
    replays = counted.replays;
    const handler = createJsonPostHandler({
      yoga: counted.yoga,
      contextFor: api.contextFor,
      maxBodyBytes: 10_000,
    });
    // Replays go to the counted instance; requests the handler declines go to Yoga as is.
    server = await serve(handler, api.yoga);
    url = server.url;
  });
  afterAll(async () => {
    await server.close();
    await api.close();
  });

  for (const testCase of cases) {
    it(`answers ${testCase.name} as Yoga does, ${testCase.direct ? "directly" : "through Yoga"}`, async () => {
      const init = {
        method: "POST",
        headers: { "content-type": "application/json", ...admin, ...testCase.headers },
        body: testCase.body,
      };
      const before = replays();
      const direct = await answerOf(await fetch(url, init));
      expect(replays() - before).toBe(testCase.direct ? 0 : 1);
      const yoga = await answerOf(await api.yoga.fetch("http://localhost/graphql", init));
      expect(direct).toEqual(yoga);
    });
  }

  it("leaves event streams to Yoga", async () => {
    const init = {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...admin },
      body: json({ query: "{ me { role } }" }),
    };
    const before = replays();
    const response = await fetch(url, init);
    expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
    expect(await response.text()).toContain('"role"');
    expect(replays()).toBe(before);
  });

  it("refuses a chunked body over the size limit without reading it all", async () => {
    const big = json({ query: `{ me { role } } # ${"x".repeat(20_000)}` });
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...admin },
      // A stream has no content-length: the limit must hold while reading.
      body: new Blob([big]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it("masks a failure while identifying the caller and logs it with the request id", async () => {
    const logged: Array<Record<string, unknown>> = [];
    const deps = {
      db: api.db,
      events: api.events,
      auth: {
        fromAuthorization: () => Promise.reject(new Error("connect ECONNREFUSED 10.0.0.7:5432")),
        forget: () => {},
        close: () => {},
      },
      rateLimiter: createRateLimiter(0),
      log: (_message: string, fields: Record<string, unknown>) => logged.push(fields),
      graphiql: false,
      maxQueryDepth: 6,
    };
    const yoga = createGraphQLServer(deps);
    const broken = await serve(
      createJsonPostHandler({ yoga, contextFor: createContextFactory(deps), maxBodyBytes: 10_000 }),
      yoga,
    );
    try {
      const init = {
        method: "POST",
        headers: { "content-type": "application/json", ...admin },
        body: json({ query: "{ me { role } }" }),
      };
      for (const response of [await fetch(broken.url, init), await yoga.fetch(broken.url, init)]) {
        const text = await response.text();
        expect(response.status).toBe(500);
        expect(text).toMatch(/"Unexpected error \(request id [\w-]+\)"/);
        expect(text).not.toContain("ECONNREFUSED");
      }
      expect(logged).toHaveLength(2);
      expect(String(logged[0]?.error)).toContain("ECONNREFUSED");
    } finally {
      await broken.close();
    }
  });
});
