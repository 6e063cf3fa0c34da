// Connections page forwards and backwards to the same rows, with or without relations in
// their nodes, and a page's relations load together rather than row by row.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { createTenant } from "../helpers/fixtures.ts";

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  endCursor: string;
  startCursor: string;
}
const PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage endCursor startCursor }";

/** Every row of a connection, read page by page from one end to the other. */
async function walk(
  direction: "forward" | "backward",
  fetchPage: (
    args: string,
    cursor: string | null,
  ) => Promise<{ rows: string[]; pageInfo: PageInfo }>,
): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const args = direction === "forward" ? "first: 3, after: $cursor" : "last: 3, before: $cursor";
    const { rows, pageInfo } = await fetchPage(args, cursor);
    if (direction === "forward") {
      seen.push(...rows);
      if (!pageInfo.hasNextPage) return seen;
      cursor = pageInfo.endCursor;
    } else {
      seen.unshift(...rows);
      if (!pageInfo.hasPreviousPage) return seen;
      cursor = pageInfo.startCursor;
    }
  }
  throw new Error("paging did not end");
}

describe("connection paging", () => {
  let api: TestApi;
  const slugs = ["t1", "t2", "t3", "t4", "t5", "t6", "t7"];
  beforeAll(async () => {
    api = await startTestApi();
    for (const slug of [...slugs].reverse()) await createTenant(api, slug);
  });
  afterAll(() => api.close());

  const tenantPages = (withQuota: boolean) => async (args: string, cursor: string | null) => {
    type Page = {
      tenants: {
        edges: Array<{ node: { slug: string; quota?: { gpus: number } } }>;
        pageInfo: PageInfo;
      };
    };
    const result = await api.gql<Page>(
      `query($cursor: String) { tenants(${args}) {
         edges { node { slug ${withQuota ? "quota { gpus }" : ""} } } ${PAGE_INFO} } }`,
      { cursor },
    );
    const page = result.data?.tenants;
    if (!page) throw new Error(JSON.stringify(result));
    if (withQuota) expect(page.edges.every((e) => e.node.quota?.gpus === 0)).toBe(true);
    return { rows: page.edges.map((e) => e.node.slug), pageInfo: page.pageInfo };
  };

  it("visits every tenant once, in slug order, both ways, with and without relations", async () => {
    for (const withQuota of [false, true]) {
      expect(await walk("forward", tenantPages(withQuota))).toEqual(slugs);
      expect(await walk("backward", tenantPages(withQuota))).toEqual(slugs);
    }
  });

  it("loads a page's relations together: the statements do not grow with the page", async () => {
    const statements: string[] = [];
    const query = api.db.pool.query.bind(api.db.pool);
    const spy = vi.spyOn(api.db.pool, "query").mockImplementation(((
      text: unknown,
      ...rest: unknown[]
    ) => {
      statements.push(typeof text === "string" ? text : String((text as { text?: string }).text));
      return (query as (...args: unknown[]) => unknown)(text, ...rest);
    }) as never);
    const readsFor = async (first: number) => {
      statements.length = 0;
      const result = await api.gql<{ tenants: { edges: unknown[] } }>(
        `{ tenants(first: ${first}) { edges { node { slug quota { gpus } } } } }`,
      );
      expect(result.data?.tenants.edges).toHaveLength(first);
      return statements.filter((text) => /"Tenant"|"Quota"/.test(text));
    };
    try {
      const small = await readsFor(2);
      const large = await readsFor(7);
      // The page, then the relation loader's batch (the rows, then their quotas).
      expect(large.length, large.join("\n---\n")).toBeLessThanOrEqual(3);
      expect(large.length).toBe(small.length);
    } finally {
      spy.mockRestore();
    }
  });

  it("pages the audit log newest first, both ways, to the same rows", async () => {
    type Page = { auditLogs: { edges: Array<{ node: { id: string } }>; pageInfo: PageInfo } };
    const auditPages = async (args: string, cursor: string | null) => {
      const result = await api.gql<Page>(
        `query($cursor: String) { auditLogs(${args}) { ... on QueryAuditLogsConnection {
           edges { node { id } } ${PAGE_INFO} } } }`,
        { cursor },
      );
      const page = result.data?.auditLogs;
      if (!page) throw new Error(JSON.stringify(result));
      return { rows: page.edges.map((e) => e.node.id), pageInfo: page.pageInfo };
    };
    const { rows: everything } = await auditPages("first: 100, after: $cursor", null);
    expect(everything.length).toBeGreaterThanOrEqual(slugs.length);
    expect([...everything].sort((a, b) => Number(b) - Number(a))).toEqual(everything);
    expect(await walk("forward", auditPages)).toEqual(everything);
    expect(await walk("backward", auditPages)).toEqual(everything);
  });

  it("refuses a cursor it did not issue", async () => {
    const result = await api.gql(`{ tenants(first: 2, after: "bm9wZQ==") { edges { cursor } } }`);
    expect(result.errors?.[0]?.message).toMatch(/Invalid cursor/);
  });
});
