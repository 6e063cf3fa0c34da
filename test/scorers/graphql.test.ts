// The `scorers` query and the audited, admin-only `reloadScorers` mutation, through the
// whole server on its own database with a real registry and plugin folder.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import type { ScorerRegistry } from "../../src/scorers/index.ts";
import { startTestApi, type TestApi } from "../helpers/api.ts";
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
  let api: TestApi;
  let db: Database;
  let registry: ScorerRegistry;
  let pluginDir: string;

  beforeAll(async () => {
    pluginDir = tempDir();
    writeFileSync(path.join(pluginDir, "rows.mjs"), plugin("1.0.0"));
    api = await startTestApi({
      config: {
        "scorers.pluginDir": pluginDir,
        "scorers.timeLimitMs": 5000,
        "scorers.memoryLimitMb": 64,
      },
    });
    db = api.db;
    registry = api.platform.platform.scorers;
  });
  afterAll(() => api.close());

  const SCORERS = `{ scorers { name version kind description paramsSchema } }`;
  const RELOAD = `mutation { reloadScorers { __typename
      ... on ReloadScorersResult { scorers { name version kind } errors { file message } }
      ... on Error { code message } } }`;

  it("lists built-ins and plugins to any authenticated caller, and nothing to anonymous ones", async () => {
    await createTenant(api, "alpha");
    const member = await createKey(api, "alpha", "MEMBER");
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
      const key = await createKey(api, "alpha", role);
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
