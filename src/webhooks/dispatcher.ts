// The webhook role: turns ended jobs' events into deliveries (the outbox pass,
// src/domain/webhooks/outbox.ts) and sends the deliveries that are due, each signed, with
// a timeout per attempt, retried with backoff until its attempts run out. It runs in
// worker processes (and `start`); any number may run against one database: one outbox
// pass at a time holds the dispatcher lock, and senders claim deliveries with SKIP LOCKED.
// A round runs when a job ends (its state event), when an attempt finishes (the next may
// be due), and on a timer (retries coming due).
import type pg from "pg";
import type { Subscriber } from "../db/pubsub.ts";
import { isTerminal, type JobStateEvent } from "../domain/jobs/lifecycle.ts";
import { type ClaimedDelivery, claimDueDeliveries } from "../domain/webhooks/deliveries.ts";
import { collectDeliveries } from "../domain/webhooks/outbox.ts";
import type { Logger } from "../log.ts";
import type { ProcessMetrics } from "../metrics/process-metrics.ts";
import { createSender, type SenderSettings } from "./send.ts";

export interface WebhookSettings extends SenderSettings {
  /** Timer between rounds when nothing else wakes the dispatcher. */
  pollMs: number;
  /** Job events turned into deliveries per outbox pass. */
  batchSize: number;
  /** Attempts in flight at once in this process. */
  concurrency: number;
}

export interface WebhookDispatcherDeps {
  pool: pg.Pool;
  events: Subscriber;
  settings: WebhookSettings;
  metrics: Pick<ProcessMetrics, "webhookAttempts" | "webhookAttemptDuration" | "webhookDeliveries">;
  log: Logger;
}

export interface WebhookDispatcher {
  /** Asks for a round soon; calls during one fold into one follow-up round. */
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Job endings within this long share one round: under load thousands end each second, and
 * a round per ending would cost the database more than the jobs.
 */
const ENDINGS_COALESCE_MS = 100;

/** The outbox cursor waiting this long on an open transaction is worth a warning. */
const CURSOR_WAIT_WARNING_MS = 5 * 60_000;

export function startWebhookDispatcher(deps: WebhookDispatcherDeps): WebhookDispatcher {
  const { settings, log } = deps;
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let running: Promise<void> | null = null;
  let again = false;
  let warnedAt = 0;

  const send = createSender({ ...deps, signal: stopping.signal });

  const launch = (delivery: ClaimedDelivery) => {
    const done: Promise<void> = send(delivery)
      .catch((error: unknown) =>
        // The claim's lease brings the delivery back; nothing is lost but time.
        log.warn(
          {
            err: error,
            jobId: delivery.jobId,
            tenantId: delivery.tenantId,
            deliveryId: delivery.id,
          },
          "could not record a webhook attempt; it will be retried",
        ),
      )
      .finally(() => {
        inFlight.delete(done);
        wake();
      });
    inFlight.add(done);
  };

  const round = async () => {
    do {
      again = false;
      try {
        const pass = await collectDeliveries(deps.pool, settings.batchSize);
        if (pass.more) again = true;
        if (
          pass.waitingMs > CURSOR_WAIT_WARNING_MS &&
          Date.now() - warnedAt > CURSOR_WAIT_WARNING_MS
        ) {
          warnedAt = Date.now();
          log.warn(
            { waitingMs: pass.waitingMs },
            "webhook events wait for a long-open database transaction to end",
          );
        }
        const free = settings.concurrency - inFlight.size;
        if (free > 0 && !stopping.signal.aborted) {
          for (const delivery of await claimDueDeliveries(deps.pool, free, settings.delivery)) {
            launch(delivery);
          }
        }
      } catch (error) {
        // The database is away: the timer brings the next round.
        log.warn({ err: error }, "webhook dispatch round failed");
      }
    } while (again && !stopping.signal.aborted);
  };

  const wake = () => {
    if (stopping.signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    running = round().finally(() => {
      running = null;
    });
  };

  let soon: NodeJS.Timeout | null = null;
  const unsubscribe = deps.events.on("tenant-jobs", undefined, (event) => {
    if (soon || !isTerminal((event.data as JobStateEvent).state)) return;
    soon = setTimeout(() => {
      soon = null;
      wake();
    }, ENDINGS_COALESCE_MS);
  });
  const timer = setInterval(wake, settings.pollMs);
  timer.unref();
  wake();

  return {
    wake,
    stop: async () => {
      stopping.abort();
      clearInterval(timer);
      if (soon) clearTimeout(soon);
      unsubscribe();
      await running;
      await Promise.all(inFlight);
    },
  };
}
