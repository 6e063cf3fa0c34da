// The webhook role's settings, read off the Config in one place.
import type { Config } from "../config/schema.ts";
import type { WebhookSettings } from "../webhooks/dispatcher.ts";

/** Time to record an attempt's answer, beyond the attempt's own timeout. */
const RECORD_MARGIN_MS = 30_000;

export function webhookSettingsOf(config: Config): WebhookSettings {
  const w = config.webhooks;
  return {
    pollMs: w.pollMs,
    batchSize: w.batchSize,
    concurrency: w.concurrency,
    timeoutMs: w.timeoutMs,
    allowPrivateNetworks: w.allowPrivateNetworks,
    delivery: {
      maxAttempts: w.maxAttempts,
      backoff: { baseMs: w.backoffBaseMs, maxMs: w.backoffMaxMs },
      leaseMs: w.timeoutMs + RECORD_MARGIN_MS,
    },
  };
}
