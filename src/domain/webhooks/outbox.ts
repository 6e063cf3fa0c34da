// The JobEvent table is the webhooks' outbox: the lifecycle appends every job's events in
// the transaction that moves the job (src/domain/jobs/lifecycle.ts), so an ended job's
// event exists exactly when its ending committed, and nothing about the job pipeline has
// to know that webhooks exist. A dispatcher pass turns the terminal events after its
// cursor into one WebhookDelivery row per interested webhook, and moves the cursor, in one
// transaction under an advisory lock: any number of processes may run passes, one at a
// time does, and a pass that fails leaves the cursor where it was (at-least-once).
//
// The cursor cannot simply be the highest event id read. An id is drawn when the row is
// inserted, not when its transaction commits, so event 100 may become visible after event
// 101 was read. So the cursor has two parts: `settledUpTo`, below which every event has
// been read for good, and a candidate — the highest id read, and the `xmax` of the snapshot
// it was read in. Every event id up to the candidate was drawn before that snapshot, by a
// transaction that already had its own id (the lifecycle's statements write "Job" before
// they insert the event), so once the oldest running transaction is at or past that xmax,
// every such event has committed or never will: the candidate is settled. Until then each
// pass reads again from `settledUpTo`, and the unique (webhook, event) pair makes reading an
// event twice harmless.
import { inTransaction } from "../../db/sql.ts";
import type { WebhookEvent } from "../../generated/prisma/enums.ts";
import { sqlStates, TERMINAL_STATES } from "../jobs/lifecycle.ts";
import { EVENT_OF_STATE } from "./events.ts";
import { type EndedJobEvent, payloadOf } from "./payload.ts";

/** One key for every dispatcher of a database: "AUTOWHKS". */
const DISPATCH_LOCK = 0x4155544f57484b53n;
const CURSOR = "job-events";

export interface OutboxPass {
  /** False when another process held the dispatcher lock; nothing was read. */
  ran: boolean;
  /** Deliveries created. */
  created: number;
  /** Read as many pairs as allowed: call again soon. */
  more: boolean;
  /** How long the cursor has waited for an open transaction, when it waits. */
  waitingMs: number;
}

interface CursorState {
  settledUpTo: string;
  candidateUpTo: string | null;
  candidateXmax: string | null;
  candidateAt: Date | null;
  /** Of this statement's snapshot: the oldest transaction running, and the next to start. */
  xmin: string;
  xmax: string;
  maxId: string;
  anyWebhook: boolean;
}

const READ_CURSOR = `SELECT c."settledUpTo"::text AS "settledUpTo",
       c."candidateUpTo"::text AS "candidateUpTo", c."candidateXmax"::text AS "candidateXmax",
       c."candidateAt",
       pg_snapshot_xmin(pg_current_snapshot())::text AS xmin,
       pg_snapshot_xmax(pg_current_snapshot())::text AS xmax,
       (SELECT COALESCE(max(id), 0) FROM "JobEvent")::text AS "maxId",
       EXISTS (SELECT 1 FROM "Webhook" WHERE enabled) AS "anyWebhook"
  FROM "WebhookCursor" c WHERE c.name = $1`;

const EVENT_CASE = `CASE e."toState" ${Object.entries(EVENT_OF_STATE)
  .map(([state, event]) => `WHEN '${state}' THEN '${event}'`)
  .join(" ")} END::"WebhookEvent"`;

/** Terminal events in (settled, upTo] that some enabled webhook wants and has not got. */
const READ_PAIRS = `SELECT e.id::text AS "eventId", ${EVENT_CASE} AS event, e.at,
       e."toState" AS state, e.attempt, e."errorCode", e.message,
       w.id AS "webhookId", t.slug AS tenant, j.id AS "jobId", j."clientJobId", j."taskType",
       j.scorer, j."competitionId", j."phaseId", j."submittedAt", r.score, r.metrics
  FROM "JobEvent" e
  JOIN "Job" j ON j.id = e."jobId"
  JOIN "Tenant" t ON t.id = j."tenantId"
  JOIN "Webhook" w ON w."tenantId" = j."tenantId" AND w.enabled AND w."createdAt" < e.at
   AND ${EVENT_CASE} = ANY (w.events)
  LEFT JOIN "Result" r ON r."jobId" = j.id AND r.attempt = e.attempt AND e."toState" = 'SUCCEEDED'
 WHERE e.id > $1::bigint AND e.id <= $2::bigint AND e."toState" IN ${sqlStates(TERMINAL_STATES)}
   AND NOT EXISTS (SELECT 1 FROM "WebhookDelivery" d
                    WHERE d."webhookId" = w.id AND d."jobEventId" = e.id)
 ORDER BY e.id, w.id
 LIMIT $3`;

const INSERT_DELIVERIES = `INSERT INTO "WebhookDelivery"
       ("webhookId", "jobId", "jobEventId", event, payload, "nextAttemptAt")
  SELECT webhook, job, event_id, event, payload, now()
    FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::"WebhookEvent"[], $5::jsonb[])
      AS d(webhook, job, event_id, event, payload)
  ON CONFLICT ("webhookId", "jobEventId") DO NOTHING`;

const WRITE_CURSOR = `UPDATE "WebhookCursor" SET "settledUpTo" = $2::bigint,
       "candidateUpTo" = $3::bigint, "candidateXmax" = $4::bigint, "candidateAt" = $5,
       "updatedAt" = now()
 WHERE name = $1`;

type PairRow = EndedJobEvent & { webhookId: string; event: WebhookEvent };

export async function collectDeliveries(
  pool: Parameters<typeof inTransaction>[0],
  batchSize: number,
): Promise<OutboxPass> {
  return inTransaction(pool, async (tx) => {
    const lock = await tx.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_xact_lock($1) AS locked",
      [DISPATCH_LOCK.toString()],
    );
    if (!lock.rows[0]?.locked) return { ran: false, created: 0, more: false, waitingMs: 0 };
    const state = (await tx.query<CursorState>(READ_CURSOR, [CURSOR])).rows[0];
    if (!state) throw new Error(`the webhook cursor "${CURSOR}" is missing (run migrations)`);

    let settled = BigInt(state.settledUpTo);
    let candidate =
      state.candidateUpTo !== null && state.candidateXmax !== null
        ? {
            upTo: BigInt(state.candidateUpTo),
            xmax: BigInt(state.candidateXmax),
            at: state.candidateAt ?? new Date(),
          }
        : null;
    // Settled as of this statement's snapshot: what the read below sees includes every
    // event up to the candidate that will ever exist.
    const settles = candidate !== null && BigInt(state.xmin) >= candidate.xmax;
    const maxId = BigInt(state.maxId);

    let pairs: PairRow[] = [];
    if (state.anyWebhook && maxId > settled) {
      const read = await tx.query<PairRow>(READ_PAIRS, [
        settled.toString(),
        maxId.toString(),
        batchSize,
      ]);
      pairs = read.rows;
    }
    if (pairs.length > 0) {
      await tx.query(INSERT_DELIVERIES, [
        pairs.map((p) => p.webhookId),
        pairs.map((p) => p.jobId),
        pairs.map((p) => p.eventId),
        pairs.map((p) => p.event),
        pairs.map((p) => JSON.stringify(payloadOf(p))),
      ]);
    }
    // Every wanted pair up to here was read: up to maxId, or, when the batch filled up,
    // up to the event before the last one read (whose other pairs may be next).
    const full = pairs.length >= batchSize;
    const lastRead = pairs.length > 0 ? BigInt((pairs[pairs.length - 1] as PairRow).eventId) : 0n;
    const readThrough = full ? lastRead - 1n : maxId;

    if (candidate && settles) {
      const upTo = candidate.upTo < readThrough ? candidate.upTo : readThrough;
      if (upTo > settled) settled = upTo;
      if (candidate.upTo <= readThrough) candidate = null;
    }
    if (!candidate && readThrough > settled) {
      candidate = { upTo: readThrough, xmax: BigInt(state.xmax), at: new Date() };
    }
    await tx.query(WRITE_CURSOR, [
      CURSOR,
      settled.toString(),
      candidate?.upTo.toString() ?? null,
      candidate?.xmax.toString() ?? null,
      candidate?.at ?? null,
    ]);
    return {
      ran: true,
      created: pairs.length,
      more: full,
      waitingMs: candidate && !settles ? Date.now() - candidate.at.getTime() : 0,
    };
  });
}
