import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "../../src/db/database.ts";
import { createSubscriber, publish, type Subscriber } from "../../src/db/pubsub.ts";
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
