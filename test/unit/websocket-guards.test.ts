// The WebSocket guards without a socket: which origins may open one, and the per-socket cap
// counted from graphql-ws' record of running operations.
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../../src/server/rate-limit.ts";
import { createWebSocketGuards, originAllowed } from "../../src/server/websocket-guards.ts";

const allowed = new Set(["https://scores.example.org"]);
const request = { headers: {}, socket: { remoteAddress: "127.0.0.1" } } as IncomingMessage;

describe("WebSocket origin check", () => {
  it("lets clients without an Origin in: they are not browsers", () => {
    expect(originAllowed(undefined, "api.example.org", allowed)).toBe(true);
  });

  it("lets the API's own origin in, whatever the scheme a proxy terminated", () => {
    expect(originAllowed("https://api.example.org", "api.example.org", allowed)).toBe(true);
    expect(originAllowed("http://localhost:4000", "localhost:4000", allowed)).toBe(true);
    expect(originAllowed("http://localhost:4001", "localhost:4000", allowed)).toBe(false);
  });

  it("lets listed origins in and refuses every other", () => {
    expect(originAllowed("https://scores.example.org", "api.example.org", allowed)).toBe(true);
    expect(originAllowed("http://scores.example.org", "api.example.org", allowed)).toBe(false);
    expect(originAllowed("https://evil.example.com", "api.example.org", allowed)).toBe(false);
    expect(originAllowed("null", "api.example.org", allowed)).toBe(false);
    expect(originAllowed("garbage", "api.example.org", allowed)).toBe(false);
    expect(originAllowed("https://evil.example.com", "api.example.org", new Set(["*"]))).toBe(true);
  });
});

describe("operations per socket", () => {
  const guards = createWebSocketGuards(
    { maxPayloadBytes: 1024, maxOperations: 3, allowedOrigins: [] },
    { limiter: null, trustedProxyHops: 0 },
  );
  // graphql-ws records an operation before onSubscribe runs, so the count includes it.
  const running = (n: number) => ({
    subscriptions: Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), null])),
  });

  it("admits up to the cap and refuses the next with RATE_LIMITED and the limit", () => {
    expect(guards.admitOperation(running(3), null, request)).toBeNull();
    const refused = guards.admitOperation(running(4), null, request);
    expect(refused?.[0]?.extensions).toEqual({
      code: "RATE_LIMITED",
      details: { reason: "TOO_MANY_OPERATIONS", limit: 3 },
    });
  });

  it("charges each operation to the caller's rate limit", () => {
    const limited = createWebSocketGuards(
      { maxPayloadBytes: 1024, maxOperations: 3, allowedOrigins: [] },
      {
        limiter: createRateLimiter({
          apiKey: { perMinute: 1, burst: 1 },
          tenant: { perMinute: 1, burst: 1 },
          admin: { perMinute: 1, burst: 1 },
          anonymous: { perMinute: 1, burst: 1 },
          maxTrackedCallers: 10,
        }),
        trustedProxyHops: 0,
      },
    );
    expect(limited.admitOperation(running(1), null, request)).toBeNull();
    const refused = limited.admitOperation(running(1), null, request);
    expect(refused?.[0]?.extensions).toEqual({
      code: "RATE_LIMITED",
      details: { retryAfterSeconds: 60, bucket: "anonymous" },
    });
  });

  it("passes ws its message size limit", () => {
    expect(guards.serverOptions.maxPayload).toBe(1024);
  });
});
