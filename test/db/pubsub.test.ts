import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "../../src/db/database.ts";
import {
  commitAndNotify,
  createSubscriber,
  isNotifyFailure,
  publish,
  publishMany,
  type Subscriber,
} from "../../src/db/pubsub.ts";
import { inTransaction } from "../../src/db/sql.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

describe("LISTEN/NOTIFY events", () => {
  let testDb: TestDatabase;
  let db: Database;
  let subscriber: Subscriber;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = connectDatabase(testDb.url);
    subscriber = createSubscriber(testDb.url);
    await subscriber.ready();
  });
  afterAll(async () => {
    await subscriber.close();
    await db.close();
    await testDb.drop();
  });

  it("delivers an event published in a committed transaction, filtered by key", async () => {
    const received: unknown[] = [];
    const off = subscriber.on("job", "a", (event) => received.push(event.data));
    await db.prisma.$transaction(async (tx) => {
      await publish(tx, { topic: "job", key: "b", data: { n: 0 } });
      await publish(tx, { topic: "job", key: "a", data: { n: 1 } });
    });
    await expect.poll(() => received).toEqual([{ n: 1 }]);
    off();
  });

  it("never delivers an event from a rolled-back transaction", async () => {
    const received: unknown[] = [];
    const off = subscriber.on("job", undefined, (event) => received.push(event.data));
    await db.prisma
      .$transaction(async (tx) => {
        await publish(tx, { topic: "job", key: "x", data: { rolledBack: true } });
        throw new Error("abort");
      })
      .catch(() => {});
    await publish(db.pool, { topic: "job", key: "x", data: { committed: true } });
    await expect.poll(() => received).toEqual([{ committed: true }]);
    off();
  });

  it("sends a transaction's events with its COMMIT, whatever their text", async () => {
    const received: unknown[] = [];
    const off = subscriber.on("job", "quoted", (event) => received.push(event.data));
    // Quotes, backslashes, a would-be statement and non-ASCII text all arrive as sent.
    const tricky = ["it's", "C:\\dir\\", '\'); DROP TABLE "Job"; --', "naïve 模型 ✓", "$$"];
    const value = await inTransaction(db.pool, async (tx) => {
      await publishMany(
        tx,
        tricky.map((text, n) => ({ topic: "job", key: "quoted", data: { n, text } })),
      );
      // Not delivered before the transaction commits.
      expect(received).toEqual([]);
      return "done";
    });
    expect(value).toBe("done");
    await expect.poll(() => received).toEqual(tricky.map((text, n) => ({ n, text })));
    const { rows } = await db.pool.query(`SELECT to_regclass('"Job"') IS NOT NULL AS present`);
    expect(rows).toEqual([{ present: true }]);
    off();
  });

  it("sends nothing when a transaction rolls back", async () => {
    const received: unknown[] = [];
    const off = subscriber.on("job", "undone", (event) => received.push(event.data));
    await expect(
      inTransaction(db.pool, async (tx) => {
        await publishMany(tx, [{ topic: "job", key: "undone", data: { n: 1 } }]);
        await tx.query("SELECT 1/0");
      }),
    ).rejects.toThrow(/division by zero/);
    await inTransaction(db.pool, async (tx) => {
      await publishMany(tx, [{ topic: "job", key: "undone", data: { n: 2 } }]);
    });
    await expect.poll(() => received).toEqual([{ n: 2 }]);
    off();
  });

  it("commits with a plain COMMIT when there is nothing to send", () => {
    expect(commitAndNotify([])).toBe("COMMIT");
    expect(commitAndNotify([{ topic: "job", key: "k", data: 1 }])).toMatch(/^COMMIT; SELECT /);
    // Only the NOTIFY's own failures mean "committed, events lost".
    expect(isNotifyFailure({ code: "54000" })).toBe(true);
    expect(isNotifyFailure({ code: "22023" })).toBe(true);
    expect(isNotifyFailure({ code: "40001" })).toBe(false);
    expect(isNotifyFailure(new Error("connection lost"))).toBe(false);
  });

  it("ends an iterator promptly when the caller returns, with no event pending", async () => {
    const iterator = subscriber.iterate<{ n: number }>("job", "z")[Symbol.asyncIterator]();
    const next = iterator.next();
    await iterator.return?.();
    await expect(next).resolves.toEqual({ value: undefined, done: true });
  });

  it("rejects payloads larger than NOTIFY allows before touching the database", async () => {
    await expect(
      publish(db.pool, { topic: "job", key: "big", data: "x".repeat(9000) }),
    ).rejects.toThrow(RangeError);
  });
});
