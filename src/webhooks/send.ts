// One attempt of one delivery: the body with this attempt's timestamp, signed with the
// webhook's secret, POSTed with a timeout; then the answer recorded (fenced on the
// attempt), counted, and logged with the job and tenant it concerns.
import type pg from "pg";
import {
  type AttemptAnswer,
  type ClaimedDelivery,
  type DeliverySettings,
  recordAttempt,
} from "../domain/webhooks/deliveries.ts";
import { wireName } from "../domain/webhooks/events.ts";
import { bodyOf } from "../domain/webhooks/payload.ts";
import { SIGNATURE_HEADER, signBody } from "../domain/webhooks/signature.ts";
import type { Logger } from "../log.ts";
import type { ProcessMetrics } from "../metrics/process-metrics.ts";
import { postJson } from "./post.ts";

export interface SenderSettings {
  /** One attempt's limit, connection to status line. */
  timeoutMs: number;
  allowPrivateNetworks: boolean;
  delivery: DeliverySettings;
}

export interface SenderDeps {
  pool: pg.Pool;
  settings: SenderSettings;
  metrics: Pick<ProcessMetrics, "webhookAttempts" | "webhookAttemptDuration" | "webhookDeliveries">;
  log: Logger;
  /** Aborted when the process stops: attempts in flight end as failed, to be retried. */
  signal: AbortSignal;
}

export function createSender(deps: SenderDeps): (delivery: ClaimedDelivery) => Promise<void> {
  const { settings, metrics, log } = deps;
  return async (delivery) => {
    const timestamp = Math.floor(Date.now() / 1000);
    const body = bodyOf(delivery.payload, timestamp);
    const timer = metrics.webhookAttemptDuration.startTimer();
    const posted = await postJson(
      delivery.url,
      {
        "content-type": "application/json",
        "user-agent": "AutoScorer-Webhooks/1",
        "x-autoscorer-event": wireName(delivery.event),
        "x-autoscorer-event-id": delivery.eventId,
        "x-autoscorer-delivery": delivery.id,
        "x-autoscorer-attempt": String(delivery.attempt),
        "x-autoscorer-timestamp": String(timestamp),
        [SIGNATURE_HEADER]: signBody(delivery.secret, body),
      },
      body,
      {
        timeoutMs: settings.timeoutMs,
        allowPrivateNetworks: settings.allowPrivateNetworks,
        signal: deps.signal,
      },
    );
    timer({ result: posted.result });
    metrics.webhookAttempts.inc({ result: posted.result });
    const answer: AttemptAnswer =
      posted.result === "success"
        ? { ok: true, statusCode: posted.statusCode ?? 0 }
        : {
            ok: false,
            statusCode: posted.statusCode,
            error: deps.signal.aborted
              ? "the sending process stopped during the attempt"
              : (posted.error ?? posted.result),
          };
    const outcome = await recordAttempt(deps.pool, delivery, answer, settings.delivery);
    if (outcome === "delivered" || outcome === "failed") {
      metrics.webhookDeliveries.inc({ event: wireName(delivery.event), outcome });
    }
    const ids = {
      jobId: delivery.jobId,
      tenantId: delivery.tenantId,
      webhookId: delivery.webhookId,
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      attempt: delivery.attempt,
    };
    const failure = {
      ...ids,
      statusCode: posted.statusCode,
      error: answer.ok ? null : answer.error,
    };
    // A receiver that fails is the tenant's to fix, not ours: warnings, not errors.
    if (outcome === "delivered") log.debug(ids, "webhook delivered");
    else if (outcome === "retrying") log.warn(failure, "webhook attempt failed; retrying later");
    else if (outcome === "failed") {
      log.warn(failure, "webhook delivery failed for good; its attempts ran out");
    } else log.info(ids, "ignored the answer of a webhook attempt whose lease ran out");
  };
}
