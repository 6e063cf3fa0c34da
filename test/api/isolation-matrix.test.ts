// The isolation matrix: every root field of the live schema (query, mutation, subscription)
// × every kind of caller (docs/contract.md, roles), each cell run for real against a tenant
// with something of every kind, and its outcome compared with the table in
// isolation-matrix/expectations.ts. A new root field without a row fails the first test.
// Besides the outcome, every cell checks that a caller outside the target tenant received
// none of its markers (ids, client job id, log text, webhook address) in any answer, and
// that a refused call wrote no audit row (it changed nothing).
//
// There is no Relay `node(id:)` root field: objects are fetched by typed fields (`job(id:)`,
// `tenant(slug:)`) whose rows are here. The first test fails if one is added, so that it
// gets its rows too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ENTITLED,
  type Expected,
  MUTATION_EXPECTATIONS,
  QUERY_EXPECTATIONS,
  SUBSCRIPTION_EXPECTATIONS,
} from "./isolation-matrix/expectations.ts";
import {
  MUTATIONS,
  type Operation,
  QUERIES,
  SUBSCRIPTIONS,
} from "./isolation-matrix/operations.ts";
import { type CellOutcome, runRequest, runSubscriptions } from "./isolation-matrix/run.ts";
import { buildWorld, CALLERS, type Caller, type World } from "./isolation-matrix/world.ts";

let w: World;
beforeAll(async () => {
  w = await buildWorld();
}, 90_000);
afterAll(() => w?.close());

/** Alpha's markers in what a caller received, but for those it sent itself. */
function markersIn(w: World, operation: Operation, cell: CellOutcome): string[] {
  const sent = JSON.stringify(operation);
  return w.markers.filter((marker) => !sent.includes(marker) && cell.received.includes(marker));
}

const leaked = (w: World, caller: Caller, operation: Operation, cell: CellOutcome) =>
  ENTITLED.has(caller) ? [] : markersIn(w, operation, cell);

/**
 * Fields whose answer to alpha's owner carries its markers: there the leak check has teeth
 * (the same answer to an outsider would fail it).
 */
const CARRIES_MARKERS = new Set([
  "auditLogs",
  "job",
  "jobs",
  "me",
  "tenant",
  "tenants",
  "webhooks",
  "jobLogs",
  "jobUpdated",
  "tenantJobs",
]);

/** The first error message of an answer, wherever it came (the field's Error or errors). */
function messageOf(cell: CellOutcome): string {
  const found = /"message":"((?:[^"\\]|\\.)*)"/.exec(cell.received);
  return found?.[1] ?? "";
}

async function auditRows(): Promise<number> {
  const { rows } = await w.p.api.db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "AuditLog"`,
  );
  return rows[0]?.n ?? 0;
}

async function rootFields(kind: "queryType" | "mutationType" | "subscriptionType") {
  const answer = await w.p.api.gql<{ __schema: Record<string, { fields: { name: string }[] }> }>(
    `{ __schema { ${kind} { fields { name } } } }`,
  );
  return (answer.data?.__schema[kind]?.fields ?? []).map((field) => field.name).sort();
}

describe("isolation matrix", () => {
  it("has exactly one row per root field of the live schema, and no node(id) lookup", async () => {
    const queries = await rootFields("queryType");
    const mutations = await rootFields("mutationType");
    const subscriptions = await rootFields("subscriptionType");
    expect(queries.length).toBeGreaterThan(10);
    expect(Object.keys(QUERY_EXPECTATIONS).sort()).toEqual(queries);
    expect(Object.keys(QUERIES).sort()).toEqual(queries);
    expect(Object.keys(MUTATION_EXPECTATIONS).sort()).toEqual(mutations);
    expect(Object.keys(MUTATIONS).sort()).toEqual(mutations);
    expect(Object.keys(SUBSCRIPTION_EXPECTATIONS).sort()).toEqual(subscriptions);
    expect(Object.keys(SUBSCRIPTIONS).sort()).toEqual(subscriptions);
    expect(queries).not.toContain("node");
    expect(queries).not.toContain("nodes");
  });

  const requests = [
    ...Object.entries(QUERIES).map(([field, row]) => ({ field, row, kind: "query" as const })),
    ...Object.entries(MUTATIONS).map(([field, row]) => ({ field, row, kind: "mutation" as const })),
  ];
  it.each(requests)("$kind $field", async ({ field, row, kind }) => {
    const expected = kind === "query" ? QUERY_EXPECTATIONS[field] : MUTATION_EXPECTATIONS[field];
    const seen: Partial<Expected> = {};
    for (const caller of CALLERS) {
      const operation = await row.build(w.targetOf(caller), w);
      const before = await auditRows();
      const cell = await runRequest(w, caller, field, operation);
      seen[caller] = cell.outcome;
      expect(leaked(w, caller, operation, cell), `${caller} received alpha's data`).toEqual([]);
      if (caller === "owner" && CARRIES_MARKERS.has(field))
        expect(markersIn(w, operation, cell)).not.toEqual([]);
      if (kind === "query" || cell.outcome !== "ok") {
        expect(await auditRows(), `${caller}'s ${field} wrote to the audit log`).toBe(before);
      }
      await row.restore?.(w);
    }
    expect(seen).toEqual(expected);
    // Another tenant's object is answered as one that does not exist: same code, same
    // message but for the name, so a refusal does not tell that it exists.
    if (expected?.other === "NOT_FOUND") {
      const named = await runRequest(w, "other", field, await row.build(w.alpha, w));
      const ghost = await runRequest(w, "other", field, await row.build(w.ghost, w));
      const shape = (cell: CellOutcome) =>
        messageOf(cell)
          .replaceAll(w.alpha.slug, "NAME")
          .replaceAll(w.ghost.slug, "NAME")
          .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "ID");
      expect(ghost.outcome).toBe("NOT_FOUND");
      expect(shape(named)).toBe(shape(ghost));
    }
  });

  it.each(Object.entries(SUBSCRIPTIONS))("subscription %s", async (field, row) => {
    const expected = SUBSCRIPTION_EXPECTATIONS[field] as Expected;
    const cells = await runSubscriptions(w, row, CALLERS, (caller) => expected[caller] === "ok");
    const seen = Object.fromEntries(CALLERS.map((caller) => [caller, cells[caller]?.outcome]));
    expect(seen).toEqual(expected);
    for (const caller of CALLERS) {
      const operation = await row.build(w.targetOf(caller), w);
      const cell = cells[caller] as CellOutcome;
      expect(leaked(w, caller, operation, cell), `${caller} received alpha's events`).toEqual([]);
      if (caller === "owner" && CARRIES_MARKERS.has(field))
        expect(markersIn(w, operation, cell)).not.toEqual([]);
    }
  });
});
