// Token buckets per caller: each tenant API key has its own bucket and shares its tenant's;
// platform admin keys have their own (larger) class; callers without a key are counted per
// client address. A request takes one token from every bucket that applies, or from none.
//
// Why in memory per process rather than in Postgres: a bucket in Postgres would add a write
// (and a row lock on a hot row) to every request, more than the rest of a typical request
// costs the database; the platform's hard limits (quotas, daily submission limits) are already
// enforced in Postgres. The price is that N API processes admit up to N times a bucket: the
// kernel spreads connections over processes (SO_REUSEPORT), so a caller's total is at most
// N × (burst + perMinute per minute). Memory is bounded by `maxTrackedCallers` entries (about
// 150 bytes each: 100,000 callers ≈ 15 MB); when full, the least recently seen caller is
// forgotten, which can only hand that caller a fresh (full) bucket.
import type { Principal } from "../domain/principal.ts";

export type BucketClass = "apiKey" | "tenant" | "admin" | "anonymous";

export interface BucketSettings {
  /** Tokens added per minute; 0 means the class is not limited. */
  perMinute: number;
  /** Capacity: requests allowed at once after a quiet spell. */
  burst: number;
}

export type RateLimitSettings = Record<BucketClass, BucketSettings> & {
  maxTrackedCallers: number;
};

/** A caller with a key, or one without, counted by its address (see client-address.ts). */
export type RateCaller = { actor: Principal } | { actor: null; address: string };

export type RateDecision =
  | { allowed: true }
  | { allowed: false; retryAfterSeconds: number; bucket: BucketClass };

export interface RateLimiter {
  /**
   * Takes `cost` tokens from every bucket the caller draws on, or none when one of them is
   * short. A cost above a bucket's burst is charged as a full bucket, so it can still pass.
   */
  take(caller: RateCaller, cost?: number): RateDecision;
  /** Buckets held now (for tests of the memory bound). */
  readonly size: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

const ALLOWED: RateDecision = { allowed: true };

export function createRateLimiter(
  settings: RateLimitSettings,
  now: () => number = Date.now,
): RateLimiter {
  // Insertion order is recency order: every use re-inserts the entry, so the first key is
  // the least recently seen one.
  const buckets = new Map<string, Bucket>();

  const bucketsOf = (caller: RateCaller): Array<[BucketClass, string]> => {
    if (!caller.actor) return [["anonymous", `ip:${caller.address}`]];
    const { actor } = caller;
    if (actor.isPlatformAdmin) return [["admin", `admin:${actor.apiKeyId}`]];
    const own: [BucketClass, string] = ["apiKey", `key:${actor.apiKeyId}`];
    return actor.tenantId ? [own, ["tenant", `tenant:${actor.tenantId}`]] : [own];
  };

  const current = (key: string, limit: BucketSettings, t: number): Bucket => {
    const bucket = buckets.get(key);
    if (!bucket) return { tokens: limit.burst, at: t };
    const refill = ((t - bucket.at) * limit.perMinute) / 60_000;
    return { tokens: Math.min(limit.burst, bucket.tokens + refill), at: t };
  };

  const store = (key: string, bucket: Bucket) => {
    buckets.delete(key);
    if (buckets.size >= settings.maxTrackedCallers) {
      const oldest = buckets.keys().next();
      if (!oldest.done) buckets.delete(oldest.value);
    }
    buckets.set(key, bucket);
  };

  return {
    take(caller, cost = 1) {
      const t = now();
      const drawn: Array<{ key: string; bucket: Bucket; need: number }> = [];
      let refusal: RateDecision = ALLOWED;
      for (const [kind, key] of bucketsOf(caller)) {
        const limit = settings[kind];
        if (limit.perMinute <= 0) continue;
        const bucket = current(key, limit, t);
        const need = Math.min(cost, limit.burst);
        drawn.push({ key, bucket, need });
        if (bucket.tokens >= need) continue;
        const retryAfterSeconds = Math.max(
          1,
          Math.ceil(((need - bucket.tokens) * 60) / limit.perMinute),
        );
        if (refusal.allowed || retryAfterSeconds > refusal.retryAfterSeconds)
          refusal = { allowed: false, retryAfterSeconds, bucket: kind };
      }
      for (const { key, bucket, need } of drawn) {
        if (refusal.allowed) bucket.tokens -= need;
        store(key, bucket);
      }
      return refusal;
    },
    get size() {
      return buckets.size;
    },
  };
}

/** Settings from the config's `server.rateLimit`, with each burst defaulting to a minute. */
export function rateLimitSettingsOf(config: {
  apiKey: { perMinute: number; burst?: number | undefined };
  tenant: { perMinute: number; burst?: number | undefined };
  admin: { perMinute: number; burst?: number | undefined };
  anonymous: { perMinute: number; burst?: number | undefined };
  maxTrackedCallers: number;
}): RateLimitSettings {
  const of = (c: { perMinute: number; burst?: number | undefined }): BucketSettings => ({
    perMinute: c.perMinute,
    burst: c.burst ?? Math.max(1, c.perMinute),
  });
  return {
    apiKey: of(config.apiKey),
    tenant: of(config.tenant),
    admin: of(config.admin),
    anonymous: of(config.anonymous),
    maxTrackedCallers: config.maxTrackedCallers,
  };
}
