// Per-caller token bucket: `perMinute` requests, refilled continuously. In memory per
// process, which bounds each API process; the platform's hard limits (quotas, daily
// submission limits) are enforced in Postgres, not here.
export interface RateLimiter {
  /** Seconds until the next request is allowed, or 0 when this one may proceed. */
  take(key: string): number;
}

export function createRateLimiter(perMinute: number, now: () => number = Date.now): RateLimiter {
  if (perMinute <= 0) return { take: () => 0 };
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = perMinute / 60_000;
  return {
    take(key) {
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: perMinute, at: t };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      if (buckets.size > 100_000) buckets.clear();
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - bucket.tokens) / perMs / 1000);
    },
  };
}
