// The webhook rules that need no database: which addresses a delivery may reach, which
// URLs a webhook may have, the signature, the events' mapping, and one attempt over HTTP
// (refused, timed out, unreachable) against local servers.
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TERMINAL_STATES } from "../../src/domain/jobs/lifecycle.ts";
import { isPublicAddress } from "../../src/domain/webhooks/addresses.ts";
import { EVENT_OF_STATE, WEBHOOK_EVENTS } from "../../src/domain/webhooks/events.ts";
import { signBody } from "../../src/domain/webhooks/signature.ts";
import { checkWebhookUrl } from "../../src/domain/webhooks/url.ts";
import { postJson } from "../../src/webhooks/post.ts";

describe("addresses a delivery may reach", () => {
  it.each([
    ["93.184.216.34", true],
    ["8.8.8.8", true],
    ["2606:4700:4700::1111", true],
    ["127.0.0.1", false],
    ["10.1.2.3", false],
    ["172.20.0.5", false],
    ["192.168.1.1", false],
    ["169.254.169.254", false],
    ["100.64.0.1", false],
    ["0.0.0.0", false],
    ["224.0.0.1", false],
    ["::1", false],
    ["::", false],
    ["fd00::1", false],
    ["fe80::1", false],
    ["::ffff:127.0.0.1", false],
    ["::ffff:7f00:1", false],
    ["::ffff:93.184.216.34", true],
    ["example.com", false],
  ])("%s → %s", (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe("webhook URLs", () => {
  it("keeps http(s) URLs, without their fragment", () => {
    expect(checkWebhookUrl(" https://hooks.example.com/a?b=1#frag ")).toBe(
      "https://hooks.example.com/a?b=1",
    );
    expect(checkWebhookUrl("http://example.com")).toBe("http://example.com/");
  });

  it.each([
    "example.com/hook",
    "ftp://example.com",
    "ws://example.com",
    "data:text/plain,hi",
    "https://u:p@example.com",
    "https://u@example.com",
  ])("refuses %s with VALIDATION_FAILED on url", (url) => {
    expect(() => checkWebhookUrl(url)).toThrow(
      expect.objectContaining({
        code: "VALIDATION_FAILED",
        details: { issues: [expect.objectContaining({ field: "url" })] },
      }),
    );
  });
});

describe("signatures and events", () => {
  it("signs with HMAC-SHA256 of the body in hex, prefixed sha256=", () => {
    const body = '{"id":"1"}';
    const hex = createHmac("sha256", "whsec_test").update(body).digest("hex");
    expect(signBody("whsec_test", body)).toBe(`sha256=${hex}`);
  });

  it("announces every terminal state of the lifecycle, as one of the events", () => {
    for (const state of TERMINAL_STATES) {
      expect(WEBHOOK_EVENTS, state).toContain(EVENT_OF_STATE[state]);
    }
    expect(Object.keys(EVENT_OF_STATE).sort()).toEqual([...TERMINAL_STATES].sort());
  });
});

describe("one attempt over HTTP", () => {
  let server: Server;
  let url: string;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits += 1;
      if (req.url === "/slow") return; // never answers
      res.writeHead(req.url === "/moved" ? 301 : 204, { location: "/elsewhere" }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const open = { timeoutMs: 2000, allowPrivateNetworks: true };

  it("succeeds on 2xx and fails on a redirect, which it does not follow", async () => {
    expect(await postJson(`${url}/ok`, {}, "{}", open)).toEqual({
      result: "success",
      statusCode: 204,
      error: null,
    });
    expect(await postJson(`${url}/moved`, {}, "{}", open)).toEqual({
      result: "http_error",
      statusCode: 301,
      error: "HTTP 301",
    });
  });

  it("refuses loopback by address and by name unless private networks are allowed", async () => {
    const before = hits;
    const port = new URL(url).port;
    const closed = { timeoutMs: 2000, allowPrivateNetworks: false };
    for (const target of [`${url}/ok`, `http://localhost:${port}/ok`, `http://[::1]:${port}/`]) {
      const outcome = await postJson(target, {}, "{}", closed);
      expect(outcome, target).toMatchObject({ result: "refused", statusCode: null });
      expect(outcome.error).toMatch(/not a public address/);
    }
    expect(hits).toBe(before);
  });

  it("gives up on a receiver that does not answer in time", async () => {
    const started = Date.now();
    const outcome = await postJson(`${url}/slow`, {}, "{}", { ...open, timeoutMs: 300 });
    expect(outcome).toMatchObject({ result: "timeout", error: "no answer within 300 ms" });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("reports a receiver that cannot be reached", async () => {
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, "127.0.0.1", () => resolve()));
    const port = (gone.address() as AddressInfo).port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const outcome = await postJson(`http://127.0.0.1:${port}/`, {}, "{}", open);
    expect(outcome).toMatchObject({ result: "network_error", statusCode: null });
    expect(outcome.error).toMatch(/ECONNREFUSED/);
  });
});
