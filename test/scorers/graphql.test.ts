// The `scorers` query and the audited, admin-only `reloadScorers` mutation, through the
// whole server on its own database with a real registry and plugin folder.
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "../../src/db/database.ts";
import { createSubscriber, type Subscriber } from "../../src/db/pubsub.ts";
import { ensureBootstrapAdmin } from "../../src/domain/bootstrap.ts";
import { createScorerRegistry, type ScorerRegistry } from "../../src/scorers/index.ts";
import { createAuthenticator } from "../../src/server/auth.ts";
import { createContextFactory, createGraphQLServer } from "../../src/server/graphql.ts";
import { createHttpServer } from "../../src/server/http.ts";
import { createRateLimiter } from "../../src/server/rate-limit.ts";
import { ADMIN_KEY, type GraphQLResponse, type TestApi } from "../helpers/api.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { tempDir } from "./helpers.ts";

interface ScorerRow {
  name: string;
  version: string;
  kind: string;
  description: string;
  paramsSchema: Record<string, unknown>;
}

const plugin = (version: string) => `
export const name = "custom_rows";
export const version = ${JSON.stringify(version)};
export const description = "counts rows";
export function score() { return { metrics: { rows: 1 } }; }
`;

describe("scorers API", () => {
  let testDb: TestDatabase;
  let db: Database;
  let events: Subscriber;
  let registry: ScorerRegistry;
  let close: () => Promise<void>;
  let api: Pick<TestApi, "gql">;
  let pluginDir: string;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = connectDatabase(testDb.url, { poolSize: 3 });
    events = createSubscriber(testDb.url);
    await events.ready();
    await ensureBootstrapAdmin(db, ADMIN_KEY);
    pluginDir = tempDir();
    writeFileSync(path.join(pluginDir, "rows.mjs"), plugin("1.0.0"));
    registry = await createScorerRegistry({ pluginDir, timeLimitMs: 5000, memoryMb: 64 });
    const deps = {
      db,
      events,
      auth: createAuthenticator(db, events, () => {}),
      rateLimiter: createRateLimiter(0),
      scorers: registry,
      log: () => {},
      graphiql: false,
      maxQueryDepth: 12,
    };
    const http = createHttpServer({
      db,
      yoga: createGraphQLServer(deps),
      contextFor: createContextFactory(deps),
      maxBodyBytes: 1_048_576,
    });
    await new Promise<void>((resolve) => http.server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
    api = {
      async gql(query, variables = {}, key = ADMIN_KEY) {
        const response = await fetch(`${url}/graphql`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(key ? { authorization: `Bearer ${key}` } : {}),
          },
          body: JSON.stringify({ query, variables }),
        });
        const body = (await response.json()) as Omit<GraphQLResponse, "status">;
        return { status: response.status, ...body } as GraphQLResponse<never>;
      },
    };
    close = async () => {
      deps.auth.close();
      registry.close();
      await http.close();
      await events.close();
      await db.close();
      await testDb.drop();
    };
  });
  afterAll(() => close());

  const SCORERS = `{ scorers { name version kind description paramsSchema } }`;
  const RELOAD = `mutation { reloadScorers { __typename
      ... on ReloadScorersResult { scorers { name version kind } errors { file message } }
      ... on Error { code message } } }`;

  it("lists built-ins and plugins to any authenticated caller, and nothing to anonymous ones", async () => {
    await createTenant(api as TestApi, "alpha");
    const member = await createKey(api as TestApi, "alpha", "MEMBER");
    const result = await api.gql<{ scorers: ScorerRow[] }>(SCORERS, {}, member.token);
    expect(result.errors).toBeUndefined();
    const byName = new Map(result.data?.scorers.map((s) => [s.name, s]));
    for (const name of [
      "classification_f1",
      "classification_accuracy",
      "regression_rmse",
      "detection_map",
    ]) {
      expect(byName.get(name)?.kind).toBe("BUILTIN");
    }
    expect(byName.get("custom_rows")).toMatchObject({
      kind: "PLUGIN",
      version: "1.0.0",
      description: "counts rows",
    });
    const schema = byName.get("classification_f1")?.paramsSchema as {
      properties: Record<string, unknown>;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["idColumn", "labelColumn", "metric", "thresholds", "passThreshold"]),
    );
    const anonymous = await api.gql(SCORERS, {}, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("reloads for an admin, records one audit row, and refuses a member", async () => {
    writeFileSync(path.join(pluginDir, "rows.mjs"), plugin("2.0.0"));
    writeFileSync(path.join(pluginDir, "broken.mjs"), "export const name = 'broken';");
    const auditsBefore = await db.prisma.auditLog.count({ where: { action: "scorers.reload" } });

    for (const role of ["MEMBER", "OWNER"] as const) {
      const key = await createKey(api as TestApi, "alpha", role);
      const refused = await api.gql(RELOAD, {}, key.token);
      expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
    expect(await db.prisma.auditLog.count({ where: { action: "scorers.reload" } })).toBe(
      auditsBefore,
    );
    expect(registry.get("custom_rows")?.version).toBe("1.0.0");

    const reloaded = await api.gql<{
      reloadScorers: {
        __typename: string;
        scorers: ScorerRow[];
        errors: Array<{ file: string; message: string }>;
      };
    }>(RELOAD);
    expect(reloaded.errors).toBeUndefined();
    expect(reloaded.data?.reloadScorers.__typename).toBe("ReloadScorersResult");
    expect(
      reloaded.data?.reloadScorers.scorers.find((s) => s.name === "custom_rows")?.version,
    ).toBe("2.0.0");
    expect(reloaded.data?.reloadScorers.errors.map((e) => path.basename(e.file))).toEqual([
      "broken.mjs",
    ]);

    const audits = await db.prisma.auditLog.findMany({ where: { action: "scorers.reload" } });
    expect(audits).toHaveLength(auditsBefore + 1);
    expect(audits[0]).toMatchObject({
      targetType: "ScorerRegistry",
      before: { scorers: { custom_rows: "plugin 1.0.0" } },
      after: { scorers: { custom_rows: "plugin 2.0.0" } },
    });
    expect(audits[0]?.actorUserId).toBeTruthy();
  });
});
