// Token buckets without a server: exact refusals, Retry-After, refill, the tenant bucket two
// keys share, the admin class, callers without a key, and the memory bound.
import { describe, expect, it } from "vitest";
import type { Principal } from "../../src/domain/principal.ts";
import {
  createRateLimiter,
  type RateCaller,
  type RateLimitSettings,
  rateLimitSettingsOf,
} from "../../src/server/rate-limit.ts";

const settings = (overrides: Partial<RateLimitSettings> = {}): RateLimitSettings => ({
  apiKey: { perMinute: 60, burst: 5 },
  tenant: { perMinute: 120, burst: 8 },
  admin: { perMinute: 600, burst: 20 },
  anonymous: { perMinute: 6, burst: 2 },
  maxTrackedCallers: 1000,
  ...overrides,
});

const key = (apiKeyId: string, tenantId: string | null = "t1"): RateCaller => ({
  actor: {
    userId: "u",
    apiKeyId,
    tenantId,
    isPlatformAdmin: false,
    role: tenantId ? "MEMBER" : null,
  } satisfies Principal,
});
const admin = (apiKeyId: string): RateCaller => ({
  actor: { userId: "u", apiKeyId, tenantId: null, isPlatformAdmin: true, role: null },
});
const anonymous = (address: string): RateCaller => ({ actor: null, address });

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const takeMany = (take: () => { allowed: boolean }, n: number) =>
  Array.from({ length: n }, () => take().allowed);

describe("token buckets", () => {
  it("allows exactly the burst, then refuses with the wait until the next token", () => {
    const time = clock();
    const limiter = createRateLimiter(settings(), time.now);
    expect(takeMany(() => limiter.take(key("a")), 5)).toEqual([true, true, true, true, true]);
    // 60 per minute: one token a second.
    expect(limiter.take(key("a"))).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
      bucket: "apiKey",
    });
    time.advance(999);
    expect(limiter.take(key("a")).allowed).toBe(false);
    time.advance(1);
    expect(limiter.take(key("a")).allowed).toBe(true);
    expect(limiter.take(key("a")).allowed).toBe(false);
  });

  it("refills continuously up to the burst, never beyond", () => {
    const time = clock();
    const limiter = createRateLimiter(settings(), time.now);
    takeMany(() => limiter.take(key("a")), 5);
    time.advance(3600_000);
    expect(takeMany(() => limiter.take(key("a")), 6)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it("reports a longer wait for a slower bucket", () => {
    const limiter = createRateLimiter(settings(), clock().now);
    takeMany(() => limiter.take(anonymous("1.2.3.4")), 2);
    // 6 per minute: one token every 10 s.
    expect(limiter.take(anonymous("1.2.3.4"))).toEqual({
      allowed: false,
      retryAfterSeconds: 10,
      bucket: "anonymous",
    });
    expect(limiter.take(anonymous("1.2.3.5")).allowed).toBe(true);
  });

  it("makes two keys of one tenant share the tenant's bucket, and charges neither on refusal", () => {
    const limiter = createRateLimiter(settings(), clock().now);
    expect(takeMany(() => limiter.take(key("a")), 5).every(Boolean)).toBe(true);
    // The tenant has 8: key b gets the 3 left, though its own bucket holds 5.
    expect(takeMany(() => limiter.take(key("b")), 3).every(Boolean)).toBe(true);
    expect(limiter.take(key("b"))).toMatchObject({ allowed: false, bucket: "tenant" });
    // Another tenant's key is untouched.
    expect(limiter.take(key("c", "t2")).allowed).toBe(true);
  });

  it("gives each admin key its own, larger bucket, apart from tenant keys", () => {
    const limiter = createRateLimiter(settings(), clock().now);
    takeMany(() => limiter.take(key("a")), 5);
    expect(limiter.take(key("a")).allowed).toBe(false);
    expect(takeMany(() => limiter.take(admin("root")), 20).every(Boolean)).toBe(true);
    expect(limiter.take(admin("root"))).toMatchObject({ allowed: false, bucket: "admin" });
    expect(limiter.take(admin("other-root")).allowed).toBe(true);
  });

  it("charges a batch as many tokens as it has operations, all or none", () => {
    const limiter = createRateLimiter(settings(), clock().now);
    expect(limiter.take(key("a"), 4).allowed).toBe(true);
    expect(limiter.take(key("a"), 2)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take(key("a")).allowed).toBe(true);
    // A cost above the burst is charged as a full bucket, so it can pass at all.
    const fresh = createRateLimiter(settings(), clock().now);
    expect(fresh.take(key("z"), 50).allowed).toBe(true);
    expect(fresh.take(key("z")).allowed).toBe(false);
  });

  it("does not limit a class whose rate is 0", () => {
    const limiter = createRateLimiter(
      settings({ tenant: { perMinute: 0, burst: 1 }, apiKey: { perMinute: 0, burst: 1 } }),
      clock().now,
    );
    expect(takeMany(() => limiter.take(key("a")), 1000).every(Boolean)).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it("keys without a tenant draw on their own bucket only", () => {
    const limiter = createRateLimiter(settings(), clock().now);
    expect(takeMany(() => limiter.take(key("solo", null)), 6)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it("holds at most maxTrackedCallers buckets, forgetting the least recently seen", () => {
    const limiter = createRateLimiter(settings({ maxTrackedCallers: 100 }), clock().now);
    takeMany(() => limiter.take(anonymous("9.9.9.9")), 2);
    expect(limiter.take(anonymous("9.9.9.9")).allowed).toBe(false);
    for (let i = 0; i < 99; i++) limiter.take(anonymous(`10.0.${i >> 8}.${i & 255}`));
    // 9.9.9.9 was seen again just now (a refusal counts), so it is kept.
    limiter.take(anonymous("9.9.9.9"));
    for (let i = 0; i < 10_000; i++) {
      limiter.take(anonymous(`11.0.${i >> 8}.${i & 255}`));
      expect(limiter.size).toBeLessThanOrEqual(100);
    }
    // Long forgotten: it starts again with a full bucket, the most forgetting can give.
    expect(limiter.take(anonymous("9.9.9.9")).allowed).toBe(true);
  });

  it("keeps a recently seen caller while strangers pass through", () => {
    const limiter = createRateLimiter(settings({ maxTrackedCallers: 10 }), clock().now);
    takeMany(() => limiter.take(anonymous("9.9.9.9")), 2);
    for (let i = 0; i < 1000; i++) {
      limiter.take(anonymous(`11.0.${i >> 8}.${i & 255}`));
      if (i % 5 === 0) expect(limiter.take(anonymous("9.9.9.9")).allowed).toBe(false);
    }
  });

  it("takes each burst from the config, a minute's worth when unset", () => {
    const bucket = (perMinute: number, burst?: number) => ({ perMinute, burst });
    expect(
      rateLimitSettingsOf({
        apiKey: bucket(600),
        tenant: bucket(1200, 50),
        admin: bucket(0),
        anonymous: bucket(60),
        maxTrackedCallers: 7,
      }),
    ).toEqual({
      apiKey: { perMinute: 600, burst: 600 },
      tenant: { perMinute: 1200, burst: 50 },
      admin: { perMinute: 0, burst: 1 },
      anonymous: { perMinute: 60, burst: 60 },
      maxTrackedCallers: 7,
    });
  });
});
