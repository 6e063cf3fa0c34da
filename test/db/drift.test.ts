// The committed migrations produce the database prisma/schema.prisma describes: every model
// has its table, every field its column with the right nullability, every enum its values.
// A schema change without a migration fails here rather than at run time.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDatamodel } from "../../src/generated/pothos-types.ts";
import * as enums from "../../src/generated/prisma/enums.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

describe("migrations match schema.prisma", () => {
  let testDb: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    client = new pg.Client(testDb.url);
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await testDb.drop();
  });

  it("has a column of the right nullability for every scalar field", async () => {
    const { rows } = await client.query<{
      table_name: string;
      column_name: string;
      is_nullable: string;
    }>(
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const columns = new Map(
      rows.map((r) => [`${r.table_name}.${r.column_name}`, r.is_nullable === "YES"]),
    );
    const expected = new Map<string, boolean>();
    for (const [model, { fields }] of Object.entries(getDatamodel().datamodel.models)) {
      for (const field of fields) {
        if (field.kind === "object") continue;
        // Prisma creates scalar-list columns without NOT NULL, whatever the schema says.
        expected.set(`${model}.${field.name}`, field.isList || !field.isRequired);
      }
    }
    const actual = new Map([...columns].filter(([key]) => !key.startsWith("_prisma_migrations.")));
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
  });

  it("has every enum with exactly the schema's values", async () => {
    const { rows } = await client.query<{ name: string; value: string }>(
      // Ours only: pg-boss keeps its own enums in its own schema.
      `SELECT t.typname AS name, e.enumlabel AS value FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
        JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public'
        ORDER BY t.typname, e.enumsortorder`,
    );
    const actual: Record<string, string[]> = {};
    for (const row of rows) {
      actual[row.name] = [...(actual[row.name] ?? []), row.value];
    }
    const expected = Object.fromEntries(
      Object.entries(enums)
        .filter(([, value]) => typeof value === "object" && value !== null)
        .map(([name, value]) => [name, Object.values(value as Record<string, string>)]),
    );
    expect(actual).toEqual(expected);
  });
});
