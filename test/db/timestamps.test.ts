// Timestamps survive a Postgres whose TimeZone is not UTC and a Node process in another zone:
// `now()` written by SQL and instants written by Prisma agree, and raw SQL reads them back
// as the instants Prisma sees.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "../../src/db/database.ts";
import { listTenants } from "../../src/domain/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

describe("timestamps across time zones", () => {
  let testDb: TestDatabase;
  let db: Database;
  const zoneBefore = process.env.TZ;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    const admin = new pg.Client(testDb.url);
    await admin.connect();
    await admin.query(`ALTER DATABASE ${testDb.name} SET timezone = 'Asia/Kolkata'`);
    await admin.end();
    process.env.TZ = "America/New_York";
    db = connectDatabase(testDb.url);
  });
  afterAll(async () => {
    process.env.TZ = zoneBefore;
    await db.close();
    await testDb.drop();
  });

  it("runs every pooled session in UTC", async () => {
    const { rows } = await db.pool.query<{ zone: string; wall: Date }>(
      "SELECT current_setting('TimeZone') AS zone, now()::timestamp AS wall",
    );
    expect(rows[0]?.zone).toBe("UTC");
    expect(Math.abs((rows[0]?.wall.getTime() ?? 0) - Date.now())).toBeLessThan(5_000);
  });

  it("reads through raw SQL the instants Prisma wrote and sees", async () => {
    const createdAt = new Date("2026-03-01T23:30:00.123Z");
    await db.prisma.tenant.create({ data: { slug: "tz", name: "TZ", createdAt } });
    const viaPrisma = await db.prisma.tenant.findUniqueOrThrow({ where: { slug: "tz" } });
    const [viaSql] = await listTenants(
      {
        db,
        actor: {
          userId: "u",
          apiKeyId: "k",
          isPlatformAdmin: true,
          tenantId: null,
          role: null,
        },
        requestId: "t",
      },
      { limit: 1, inverted: false },
    );
    expect(viaPrisma.createdAt).toEqual(createdAt);
    expect(viaSql?.createdAt).toEqual(createdAt);
    expect(viaSql?.updatedAt).toEqual(viaPrisma.updatedAt);
  });

  it("writes a Date bound into raw SQL as the same instant Prisma reads", async () => {
    const at = new Date("2026-07-04T03:15:00.250Z");
    await db.pool.query(`UPDATE "Tenant" SET "updatedAt" = $1 WHERE slug = 'tz'`, [at]);
    const viaPrisma = await db.prisma.tenant.findUniqueOrThrow({ where: { slug: "tz" } });
    expect(viaPrisma.updatedAt).toEqual(at);
  });
});
