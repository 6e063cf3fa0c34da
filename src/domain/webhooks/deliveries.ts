// Attempts of a delivery. A sender claims the deliveries that are due — SKIP LOCKED, so
// every process may send — by counting the attempt and pushing the next one past a lease;
// should the sender die mid-attempt, the delivery is simply due again when the lease runs
// out (receivers de-duplicate on the event id). The answer is recorded fenced on the
// attempt: delivered, due again after a backoff, or FAILED once the attempts run out.
import type { Sql } from "../../db/sql.ts";
import type { WebhookEvent } from "../../generated/prisma/enums.ts";
import { type BackoffSettings, retryDelayMs } from "../jobs/retry-policy.ts";

/** How one attempt went: the result label of the webhook metrics. */
export const ATTEMPT_RESULTS = [
  "success",
  "http_error",
  "network_error",
  "timeout",
  "refused",
] as const;
export type AttemptResult = (typeof ATTEMPT_RESULTS)[number];

export interface DeliverySettings {
  maxAttempts: number;
  backoff: BackoffSettings;
  /** How long a claimed attempt may take before the delivery is due again. */
  leaseMs: number;
}

/** A delivery a sender has claimed an attempt of, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  jobId: string;
  tenantId: string;
  eventId: string;
  event: WebhookEvent;
  payload: unknown;
  attempt: number;
  url: string;
  secret: string;
}

const CLAIM = `WITH due AS (
    SELECT d.id FROM "WebhookDelivery" d JOIN "Webhook" w ON w.id = d."webhookId"
     WHERE d.status = 'PENDING' AND d."nextAttemptAt" <= now() AND d.attempt < $2 AND w.enabled
     ORDER BY d."nextAttemptAt"
     LIMIT $1 FOR UPDATE OF d SKIP LOCKED)
  UPDATE "WebhookDelivery" d SET attempt = d.attempt + 1, "lastAttemptAt" = now(),
         "nextAttemptAt" = now() + make_interval(secs => $3::float8 / 1000)
    FROM due, "Webhook" w
   WHERE d.id = due.id AND w.id = d."webhookId"
  RETURNING d.id::text AS id, d."webhookId", d."jobId", w."tenantId", d."jobEventId"::text AS "eventId",
            d.event, d.payload, d.attempt, w.url, w.secret`;

/**
 * A delivery whose last attempt was claimed and never answered (its sender died) has used
 * its attempts: it ends here rather than being claimed again.
 */
const EXPIRE_ABANDONED = `UPDATE "WebhookDelivery"
     SET status = 'FAILED', "nextAttemptAt" = NULL,
         error = COALESCE(error, 'the last attempt ended without an answer being recorded')
   WHERE status = 'PENDING' AND "nextAttemptAt" <= now() AND attempt >= $1`;

export async function claimDueDeliveries(
  sql: Sql,
  limit: number,
  settings: DeliverySettings,
): Promise<ClaimedDelivery[]> {
  await sql.query(EXPIRE_ABANDONED, [settings.maxAttempts]);
  const { rows } = await sql.query<ClaimedDelivery>(CLAIM, [
    limit,
    settings.maxAttempts,
    settings.leaseMs,
  ]);
  return rows;
}

export type AttemptAnswer =
  | { ok: true; statusCode: number }
  | { ok: false; statusCode: number | null; error: string };

/** What became of the delivery after this attempt. */
export type DeliveryOutcome = "delivered" | "retrying" | "failed" | "stale";

const RECORD = `UPDATE "WebhookDelivery" SET
       status = $3::"WebhookDeliveryStatus", "statusCode" = $4, error = $5,
       "nextAttemptAt" = CASE WHEN $3 = 'PENDING'
                              THEN now() + make_interval(secs => $6::float8 / 1000) END,
       "deliveredAt" = CASE WHEN $3 = 'DELIVERED' THEN now() END
 WHERE id = $1::bigint AND attempt = $2 AND status = 'PENDING'`;

export async function recordAttempt(
  sql: Sql,
  delivery: Pick<ClaimedDelivery, "id" | "attempt">,
  answer: AttemptAnswer,
  settings: DeliverySettings,
): Promise<DeliveryOutcome> {
  const outcome: DeliveryOutcome = answer.ok
    ? "delivered"
    : delivery.attempt >= settings.maxAttempts
      ? "failed"
      : "retrying";
  const status = { delivered: "DELIVERED", failed: "FAILED", retrying: "PENDING" }[outcome];
  const { rowCount } = await sql.query(RECORD, [
    delivery.id,
    delivery.attempt,
    status,
    answer.statusCode,
    answer.ok ? null : answer.error.slice(0, 1000),
    retryDelayMs(delivery.attempt, settings.backoff),
  ]);
  // Fenced: a lease that ran out gave the delivery to another attempt meanwhile.
  return rowCount === 0 ? "stale" : outcome;
}
