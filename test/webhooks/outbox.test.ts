// The outbox cursor against real Postgres: an event whose transaction commits after a
// later event was read is still delivered (event ids are drawn before commit), an event is
// never turned into two deliveries for one webhook, and a webhook hears only of events
// after its creation.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "../../src/db/database.ts";
import { collectDeliveries } from "../../src/domain/webhooks/outbox.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

let testDb: TestDatabase;
let db: Database;
let tenantId: string;
let userId: string;

async function newJob(): Promise<string> {
  const id = randomUUID();
  await db.pool.query(
    `INSERT INTO "Job" (id, "tenantId", "submittedById", state, "taskType", scorer, "inputUri",
       "timeLimitSec", "cpuMillis", "memoryMb", attempt)
     VALUES ($1, $2, $3, 'RUNNING', 'classification', 'classification_f1', 'in', 60, 100, 64, 1)`,
    [id, tenantId, userId],
  );
  return id;
}

/** What the lifecycle writes when a job ends: the row first, then its event. */
const END_JOB = [
  `UPDATE "Job" SET state = 'FAILED', "errorCode" = 'EXECUTION_FAILED' WHERE id = $1`,
  `INSERT INTO "JobEvent" ("jobId", attempt, "fromState", "toState", "errorCode")
   VALUES ($1, 1, 'RUNNING', 'FAILED', 'EXECUTION_FAILED') RETURNING id::text`,
];

async function deliveredEvents(): Promise<string[]> {
  const { rows } = await db.pool.query<{ id: string }>(
    `SELECT "jobEventId"::text AS id FROM "WebhookDelivery" ORDER BY "jobEventId"`,
  );
  return rows.map((row) => row.id);
}

async function settledUpTo(): Promise<bigint> {
  const { rows } = await db.pool.query<{ settled: string }>(
    `SELECT "settledUpTo"::text AS settled FROM "WebhookCursor" WHERE name = 'job-events'`,
  );
  return BigInt(rows[0]?.settled ?? "-1");
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = connectDatabase(testDb.url, { poolSize: 6 });
  tenantId = randomUUID();
  userId = randomUUID();
  await db.pool.query(
    `INSERT INTO "Tenant" (id, slug, name, "updatedAt") VALUES ($1, 't', 'T', now())`,
    [tenantId],
  );
  await db.pool.query(`INSERT INTO "User" (id, email, name) VALUES ($1, 'u@t', 'U')`, [userId]);
  // Created before the events below, a little in the past (events carry their own time).
  await db.pool.query(
    `INSERT INTO "Webhook" (id, "tenantId", url, secret, events, "createdAt", "updatedAt")
     VALUES ($1, $2, 'https://example.com/hook', 's', '{JOB_FAILED}', now() - interval '1 minute', now())`,
    [randomUUID(), tenantId],
  );
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

describe("the webhook outbox", () => {
  it("delivers an event that commits after a later one was read", async () => {
    const [early, late] = [await newJob(), await newJob()];
    const open = await db.pool.connect();
    try {
      await open.query("BEGIN");
      await open.query(END_JOB[0] as string, [early]);
      const earlyEvent = (await open.query<{ id: string }>(END_JOB[1] as string, [early])).rows[0]
        ?.id;
      // A later event commits while the earlier one's transaction is still open.
      await db.pool.query(END_JOB[0] as string, [late]);
      const lateEvent = (await db.pool.query<{ id: string }>(END_JOB[1] as string, [late])).rows[0]
        ?.id;
      expect(BigInt(lateEvent as string)).toBeGreaterThan(BigInt(earlyEvent as string));

      expect(await collectDeliveries(db.pool, 100)).toMatchObject({ ran: true, created: 1 });
      expect(await collectDeliveries(db.pool, 100)).toMatchObject({ ran: true, created: 0 });
      // The cursor waits below the open transaction's event rather than passing it.
      expect(await settledUpTo()).toBeLessThan(BigInt(earlyEvent as string));
      expect(await deliveredEvents()).toEqual([lateEvent]);

      await open.query("COMMIT");
      expect(await collectDeliveries(db.pool, 100)).toMatchObject({ created: 1 });
      expect(await deliveredEvents()).toEqual([earlyEvent, lateEvent]);
      await collectDeliveries(db.pool, 100);
      await collectDeliveries(db.pool, 100);
      expect(await settledUpTo()).toBeGreaterThanOrEqual(BigInt(lateEvent as string));
    } finally {
      await open.query("ROLLBACK").catch(() => {});
      open.release();
    }
  });

  it("makes one delivery per event however many passes run at once", async () => {
    for (let i = 0; i < 30; i++) {
      const job = await newJob();
      await db.pool.query(END_JOB[0] as string, [job]);
      await db.pool.query(END_JOB[1] as string, [job]);
    }
    const passes = await Promise.all(
      Array.from({ length: 6 }, () => collectDeliveries(db.pool, 7)),
    );
    // The dispatcher lock lets one pass read at a time; the others step aside.
    expect(passes.filter((pass) => pass.ran).length).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 20; i++) await collectDeliveries(db.pool, 7);
    const events = await deliveredEvents();
    expect(events).toHaveLength(32);
    expect(new Set(events).size).toBe(32);
  });

  it("tells a webhook only of events after its creation", async () => {
    const job = await newJob();
    await db.pool.query(END_JOB[0] as string, [job]);
    const { rows } = await db.pool.query<{ id: string }>(END_JOB[1] as string, [job]);
    await db.pool.query(
      `INSERT INTO "Webhook" (id, "tenantId", url, secret, events, "updatedAt")
       VALUES ($1, $2, 'https://example.com/new', 's', '{JOB_FAILED}', now())`,
      [randomUUID(), tenantId],
    );
    for (let i = 0; i < 3; i++) await collectDeliveries(db.pool, 100);
    const { rows: deliveries } = await db.pool.query<{ url: string }>(
      `SELECT w.url FROM "WebhookDelivery" d JOIN "Webhook" w ON w.id = d."webhookId"
        WHERE d."jobEventId" = $1`,
      [rows[0]?.id],
    );
    expect(deliveries.map((d) => d.url)).toEqual(["https://example.com/hook"]);
  });
});
