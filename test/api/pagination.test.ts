// Connections page forwards and backwards with the same results whether they are read with
// plain SQL (no relations asked for) or through Prisma (relations included).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { createTenant } from "../helpers/fixtures.ts";

interface Page {
  tenants: {
    edges: Array<{ node: { slug: string; quota?: { gpus: number } } }>;
    pageInfo: {
      hasNextPage: boolean;
      hasPreviousPage: boolean;
      endCursor: string;
      startCursor: string;
    };
  };
}

describe("connection paging", () => {
  let api: TestApi;
  const slugs = ["t1", "t2", "t3", "t4", "t5", "t6", "t7"];
  beforeAll(async () => {
    api = await startTestApi();
    for (const slug of [...slugs].reverse()) await createTenant(api, slug);
  });
  afterAll(() => api.close());

  const walk = async (withQuota: boolean, direction: "forward" | "backward") => {
    const seen: string[] = [];
    let cursor: string | null = null;
    const fields = `edges { node { slug ${withQuota ? "quota { gpus }" : ""} } }
      pageInfo { hasNextPage hasPreviousPage endCursor startCursor }`;
    for (let i = 0; i < 10; i++) {
      const args =
        direction === "forward" ? `first: 3, after: $cursor` : `last: 3, before: $cursor`;
      const result: { data?: Page } = await api.gql<Page>(
        `query($cursor: String) { tenants(${args}) { ${fields} } }`,
        {
          cursor,
        },
      );
      const page = result.data?.tenants;
      if (!page) throw new Error(JSON.stringify(result));
      const pageSlugs = page.edges.map((e) => e.node.slug);
      if (withQuota) expect(page.edges.every((e) => e.node.quota?.gpus === 0)).toBe(true);
      if (direction === "forward") {
        seen.push(...pageSlugs);
        if (!page.pageInfo.hasNextPage) break;
        cursor = page.pageInfo.endCursor;
      } else {
        seen.unshift(...pageSlugs);
        if (!page.pageInfo.hasPreviousPage) break;
        cursor = page.pageInfo.startCursor;
      }
    }
    return seen;
  };

  it("visits every tenant once, in slug order, both ways, with and without relations", async () => {
    for (const withQuota of [false, true]) {
      expect(await walk(withQuota, "forward")).toEqual(slugs);
      expect(await walk(withQuota, "backward")).toEqual(slugs);
    }
  });
});
