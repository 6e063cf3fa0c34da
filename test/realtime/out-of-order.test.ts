// NOTIFYs of different processes can arrive out of order (each is sent after its commit):
// the scheduler's QUEUED may reach an API after the worker's RUNNING of the same job. The
// job feed must still hand every subscriber each of the job's updates once, in the job's
// order. Events are written by hand here and their NOTIFYs delivered in the wrong order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventEnvelope, Subscriber } from "../../src/db/pubsub.ts";
import type { JobStateEvent } from "../../src/domain/jobs/lifecycle.ts";
import { silentLogger } from "../../src/log.ts";
import { createJobFeed, type JobUpdate } from "../../src/realtime/job-feed.ts";
import type { LiveQueue } from "../../src/realtime/live-queue.ts";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { baseSpec, makeInput, submit } from "../jobs/helpers.ts";

/** A Subscriber whose events the test delivers itself, in the order it chooses. */
function handDelivered(): Subscriber & { deliver(event: EventEnvelope): void } {
  const listeners = new Map<string, Set<(event: EventEnvelope) => void>>();
  return {
    on(topic, key, listener) {
      const id = `${topic}:${key ?? "*"}`;
      const set = listeners.get(id) ?? new Set();
      set.add(listener);
      listeners.set(id, set);
      return () => set.delete(listener);
    },
    iterate: () => {
      throw new Error("not used");
    },
    ready: async () => {},
    listenerCount: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
    close: async () => {},
    deliver(event) {
      for (const listener of listeners.get(`${event.topic}:${event.key}`) ?? []) listener(event);
    },
  };
}

/** Takes what a queue holds within a moment, as states. */
async function drain(queue: LiveQueue<JobUpdate>, count: number): Promise<string[]> {
  const states: string[] = [];
  for (let i = 0; i < count; i++) {
    const next = await Promise.race([
      queue.next(),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000)),
    ]);
    if (!next || next.done) break;
    const value = next.value as JobUpdate;
    states.push(value.event.toState);
  }
  return states;
}

describe("job feed with NOTIFYs out of order", () => {
  let api: TestApi;
  let tenantId: string;
  let jobId: string;

  beforeAll(async () => {
    api = await startTestApi({ scheduler: false });
    tenantId = await createTenant(api, "alpha");
    const key = (await createKey(api, "alpha", "MEMBER")).token;
    const job = await submit(api, baseSpec(makeInput(api, "alpha")), key);
    if (!("id" in job)) throw new Error(JSON.stringify(job));
    jobId = job.id;
  });
  afterAll(() => api.close());

  it("hands out each of a job's updates once, in the job's order", async () => {
    const events = handDelivered();
    const feed = createJobFeed({ pool: api.db.pool, events, log: silentLogger });
    const ofTenant = await feed.tenant(tenantId, null);
    const ofJob = await feed.job(jobId, null);
    expect(await drain(ofJob, 1)).toEqual(["PENDING"]);

    // QUEUED then RUNNING commit, in that order, as the scheduler and a worker would.
    const written: JobStateEvent[] = [];
    for (const [from, to] of [
      ["PENDING", "QUEUED"],
      ["QUEUED", "RUNNING"],
    ] as const) {
      const { rows } = await api.db.pool.query<{ id: string }>(
        `INSERT INTO "JobEvent" ("jobId", attempt, "fromState", "toState")
         VALUES ($1, 1, $2, $3) RETURNING id::text`,
        [jobId, from, to],
      );
      written.push({
        id: jobId,
        tenantId,
        state: to,
        previousState: from,
        attempt: 1,
        errorCode: null,
        eventId: rows[0]?.id as string,
        at: new Date().toISOString(),
      });
    }
    // RUNNING's NOTIFY arrives first, then QUEUED's, then RUNNING's again (a repeat).
    for (const event of [written[1], written[0], written[1]]) {
      events.deliver({ topic: "job", key: jobId, data: event });
      events.deliver({ topic: "tenant-jobs", key: tenantId, data: event });
    }
    expect(await drain(ofJob, 3)).toEqual(["QUEUED", "RUNNING"]);
    expect(await drain(ofTenant, 3)).toEqual(["QUEUED", "RUNNING"]);
    await ofJob.return();
    await ofTenant.return();
  });
});
