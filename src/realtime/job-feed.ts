// Job updates for subscriptions: one job's state changes (jobUpdated) or all of a tenant's
// (tenantJobs). They arrive as small NOTIFY events (ids, state, the event's id); each is
// read back once per process, with the job as it now is, and handed to every subscriber of
// that job or tenant. The JobEvent id is the cursor: a subscriber that passes `after`
// first gets what it missed, then the live events, with no gap and no duplicate: it joins
// the live group before it reads the missed ones, holds live events back while it reads,
// and skips any it has already seen.
//
// Events of different processes may arrive out of order: the NOTIFY is sent after commit,
// so the scheduler's QUEUED may arrive after the worker's RUNNING of the same job. A job's
// own events commit in id order (each move locks the job's row), so an event is taken as
// "the job has news": the group reads the job's events after the last one it handed out,
// and hands out each once, in the job's order, whatever order the NOTIFYs came in.
import type pg from "pg";
import { createBatcher } from "../db/batcher.ts";
import type { EventEnvelope, Subscriber } from "../db/pubsub.ts";
import { type JobRow, jobColumns } from "../domain/jobs/job-row.ts";
import type { JobStateEvent } from "../domain/jobs/lifecycle.ts";
import type { JobState } from "../generated/prisma/enums.ts";
import type { Logger } from "../log.ts";
import { createGroups, type Group } from "./groups.ts";
import { createLiveQueue, type LiveQueue } from "./live-queue.ts";

export interface JobEventRow {
  id: string;
  jobId: string;
  attempt: number;
  fromState: JobState | null;
  toState: JobState;
  errorCode: string | null;
  message: string | null;
  at: Date;
}

export interface JobUpdate {
  /** The event's id: pass it as `after` to resume right after this update. */
  cursor: string;
  event: JobEventRow;
  /** The job as it is when the update is read (it may have moved on since the event). */
  job: JobRow;
}

export interface JobFeed {
  /** One job's updates; without `after`, the first is its latest event (its state now). */
  job(jobId: string, after: string | null): Promise<LiveQueue<JobUpdate>>;
  /** A tenant's updates, from `after` when given, else from now on. */
  tenant(tenantId: string, after: string | null): Promise<LiveQueue<JobUpdate>>;
}

interface Member {
  queue: LiveQueue<JobUpdate>;
  /** Where the member started: events up to here it read itself, or did not ask for. */
  floor: bigint;
  /** Live updates held back while the member reads what it missed. */
  held: JobUpdate[] | null;
  /** Per job, the last event it read itself: the group may hand those out again. */
  replayed: Map<string, bigint> | null;
}

/** Jobs a group remembers its last handed-out event of; older ones are forgotten first. */
const JOBS_REMEMBERED = 10_000;

/** Updates buffered per subscriber before a slow one is ended (it can resume). */
const QUEUE_CAPACITY = 1000;
/** Missed updates replayed at most, in pages; further behind, a client re-reads its list. */
const REPLAY_PAGE = 500;
const REPLAY_PAGES = 10;

const UPDATE_COLUMNS = `${jobColumns("j")}, e.id::text AS "eventId", e.attempt AS "eventAttempt",
  e."fromState", e."toState", e."errorCode" AS "eventErrorCode", e.message AS "eventMessage",
  e.at AS "eventAt"`;

type UpdateRow = JobRow & {
  eventId: string;
  eventAttempt: number;
  fromState: JobState | null;
  toState: JobState;
  eventErrorCode: string | null;
  eventMessage: string | null;
  eventAt: Date;
};

function toUpdate(row: UpdateRow): JobUpdate {
  const {
    eventId,
    eventAttempt,
    fromState,
    toState,
    eventErrorCode,
    eventMessage,
    eventAt,
    ...job
  } = row;
  return {
    cursor: eventId,
    event: {
      id: eventId,
      jobId: job.id,
      attempt: eventAttempt,
      fromState,
      toState,
      errorCode: eventErrorCode,
      message: eventMessage,
      at: eventAt,
    },
    job,
  };
}

export function createJobFeed(deps: { pool: pg.Pool; events: Subscriber; log: Logger }): JobFeed {
  const { pool } = deps;
  // A job's events after a given one; news of many jobs that arrives together is read back
  // in one statement.
  const reads = createBatcher(
    async (wanted: Array<{ jobId: string; after: bigint }>): Promise<JobUpdate[][]> => {
      const { rows } = await pool.query<UpdateRow & { wanted: string }>(
        `SELECT ${UPDATE_COLUMNS}, w.i::int - 1 AS wanted
           FROM unnest($1::uuid[], $2::bigint[]) WITH ORDINALITY AS w(job, after, i)
           JOIN "JobEvent" e ON e."jobId" = w.job AND e.id > w.after
           JOIN "Job" j ON j.id = e."jobId"
          ORDER BY e.id`,
        [wanted.map((w) => w.jobId), wanted.map((w) => w.after.toString())],
      );
      const updates = wanted.map((): JobUpdate[] => []);
      for (const { wanted: index, ...row } of rows) updates[Number(index)]?.push(toUpdate(row));
      return updates;
    },
    { maxItems: 500, maxDelayMs: 0, maxInFlight: 2 },
  );

  // Per group, updates are read concurrently but handed out in order, each job's once.
  const chains = new WeakMap<Group<Member>, Promise<void>>();
  const handedOut = new WeakMap<Group<Member>, Map<string, bigint>>();
  const onEvent = (group: Group<Member>, envelope: EventEnvelope) => {
    const { id: jobId } = envelope.data as JobStateEvent;
    let last = handedOut.get(group);
    if (!last) {
      last = new Map();
      handedOut.set(group, last);
    }
    const lastOfJob = last;
    // A job the group has not seen yet is read from its start; members skip what they had.
    const read = reads.add({ jobId, after: lastOfJob.get(jobId) ?? -1n });
    const previous = chains.get(group) ?? Promise.resolve();
    const next = previous
      .then(() => read)
      .then(
        (updates) => {
          for (const update of updates) {
            const cursor = BigInt(update.cursor);
            if (cursor <= (lastOfJob.get(jobId) ?? -1n)) continue;
            lastOfJob.delete(jobId); // re-inserted: the Map's order is then least recent first
            lastOfJob.set(jobId, cursor);
            if (lastOfJob.size > JOBS_REMEMBERED) {
              const oldest = lastOfJob.keys().next().value;
              if (oldest !== undefined) lastOfJob.delete(oldest);
            }
            for (const member of group.members) deliver(member, update);
          }
        },
        (error: unknown) => {
          deps.log.warn({ err: error }, "could not read a job update; ending its subscriptions");
          for (const member of group.members)
            member.queue.end(new Error("live updates were interrupted; resubscribe with `after`"));
        },
      );
    chains.set(group, next);
  };
  const byJob = createGroups<Member>(deps.events, "job", onEvent);
  const byTenant = createGroups<Member>(deps.events, "tenant-jobs", onEvent);

  const deliver = (member: Member, update: JobUpdate) => {
    if (member.held) {
      member.held.push(update);
      return;
    }
    const cursor = BigInt(update.cursor);
    if (cursor <= member.floor || cursor <= (member.replayed?.get(update.job.id) ?? -1n)) return;
    member.queue.push(update);
  };

  /** Joins the live group, then replays what `missed` reads, then lets live updates through. */
  async function follow(
    groups: typeof byJob,
    key: string,
    after: bigint,
    missed: (after: bigint, limit: number) => Promise<UpdateRow[]>,
  ): Promise<LiveQueue<JobUpdate>> {
    let leave = () => {};
    const queue = createLiveQueue<JobUpdate>({
      capacity: QUEUE_CAPACITY,
      overflow: "end",
      onClose: () => leave(),
    });
    const member: Member = { queue, floor: after, held: [], replayed: null };
    leave = groups.join(key, member);
    try {
      let from = after;
      for (let page = 0; page < REPLAY_PAGES; page++) {
        const rows = await missed(from, REPLAY_PAGE);
        for (const row of rows) {
          from = BigInt(row.eventId);
          member.replayed ??= new Map();
          member.replayed.set(row.id, from);
          queue.push(toUpdate(row));
        }
        if (rows.length < REPLAY_PAGE) break;
        if (page === REPLAY_PAGES - 1)
          throw new Error("too many updates were missed; read the list again, then subscribe");
      }
    } catch (error) {
      queue.return();
      throw error;
    }
    const held = member.held ?? [];
    member.held = null;
    for (const update of held) deliver(member, update);
    return queue;
  }

  return {
    job: (jobId, after) =>
      follow(byJob, jobId, after === null ? -1n : BigInt(after), async (from, limit) => {
        // Without a cursor, the latest event stands for the job's state now.
        const { rows } =
          from < 0n
            ? await pool.query<UpdateRow>(
                `SELECT ${UPDATE_COLUMNS} FROM "JobEvent" e JOIN "Job" j ON j.id = e."jobId"
                 WHERE e."jobId" = $1 ORDER BY e.id DESC LIMIT 1`,
                [jobId],
              )
            : await pool.query<UpdateRow>(
                `SELECT ${UPDATE_COLUMNS} FROM "JobEvent" e JOIN "Job" j ON j.id = e."jobId"
                 WHERE e."jobId" = $1 AND e.id > $2 ORDER BY e.id LIMIT ${limit}`,
                [jobId, from.toString()],
              );
        return rows;
      }),
    tenant: async (tenantId, after) => {
      if (after === null) {
        // From now on: the newest event id is where this subscriber starts.
        const { rows } = await pool.query<{ id: string | null }>(
          `SELECT max(id)::text AS id FROM "JobEvent"`,
        );
        return follow(byTenant, tenantId, BigInt(rows[0]?.id ?? "0"), async () => []);
      }
      return follow(byTenant, tenantId, BigInt(after), async (from, limit) => {
        const { rows } = await pool.query<UpdateRow>(
          `SELECT ${UPDATE_COLUMNS} FROM "JobEvent" e JOIN "Job" j ON j.id = e."jobId"
           WHERE j."tenantId" = $1 AND e.id > $2 ORDER BY e.id LIMIT ${limit}`,
          [tenantId, from.toString()],
        );
        return rows;
      });
    },
  };
}
