import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/load.ts";

const dir = () => mkdtempSync(path.join(os.tmpdir(), "autoscorer-config-"));

describe("configuration", () => {
  it("runs on defaults alone", () => {
    const config = loadConfig({ env: {}, cwd: dir() });
    expect(config.server.port).toBe(4000);
    expect(config.database.url).toBeUndefined();
    expect(config.scheduler.leaseSeconds).toBeGreaterThan(0);
  });

  it("reads autoscorer.yaml and lets the environment override it", () => {
    const cwd = dir();
    writeFileSync(
      path.join(cwd, "autoscorer.yaml"),
      "server:\n  port: 5000\nscheduler:\n  tickMs: 250\n",
    );
    const fromFile = loadConfig({ env: {}, cwd });
    expect(fromFile.server.port).toBe(5000);
    expect(fromFile.scheduler.tickMs).toBe(250);
    const overridden = loadConfig({
      env: { PORT: "6000", AUTOSCORER_SCHEDULER__TICK_MS: "100" },
      cwd,
    });
    expect(overridden.server.port).toBe(6000);
    expect(overridden.scheduler.tickMs).toBe(100);
  });

  it("names the bad key and where its value came from", () => {
    const cwd = dir();
    writeFileSync(path.join(cwd, "autoscorer.yaml"), "server:\n  port: -1\n");
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/server\.port: .*autoscorer\.yaml/);
    expect(() =>
      loadConfig({ env: { AUTOSCORER_SCHEDULER__LEASE_SECONDS: "soon" }, cwd: dir() }),
    ).toThrow(/scheduler\.leaseSeconds: .*AUTOSCORER_SCHEDULER__LEASE_SECONDS/);
  });

  it("rejects unknown keys, so a typo is not silently ignored", () => {
    const cwd = dir();
    writeFileSync(path.join(cwd, "autoscorer.yaml"), "scheduler:\n  tickMS: 5\n");
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/scheduler\.tickMS: Unrecognized key/);
  });

  it("explains malformed YAML and a missing explicit file", () => {
    const cwd = dir();
    writeFileSync(path.join(cwd, "autoscorer.yaml"), "server: [port: 1\n");
    expect(() => loadConfig({ env: {}, cwd })).toThrow(ConfigError);
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/not valid YAML/);
    expect(() => loadConfig({ env: { AUTOSCORER_CONFIG: "missing.yaml" }, cwd })).toThrow(
      /does not exist/,
    );
    writeFileSync(path.join(cwd, "list.yaml"), "- a\n- b\n");
    expect(() => loadConfig({ env: { AUTOSCORER_CONFIG: "list.yaml" }, cwd })).toThrow(/mapping/);
  });

  it("reads the hardening keys, nested and from the environment", () => {
    const config = loadConfig({
      env: {
        AUTOSCORER_SERVER__RATE_LIMIT__TENANT__PER_MINUTE: "30",
        AUTOSCORER_SERVER__GRAPHQL_LIMITS__MAX_DEPTH: "8",
        AUTOSCORER_SERVER__WEB_SOCKET__ALLOWED_ORIGINS: "[https://scores.example.org]",
      },
      cwd: dir(),
    });
    expect(config.server.rateLimit.tenant).toEqual({ perMinute: 30 });
    expect(config.server.rateLimit.apiKey).toEqual({ perMinute: 600 });
    expect(config.server.graphqlLimits.maxDepth).toBe(8);
    expect(config.server.webSocket.allowedOrigins).toEqual(["https://scores.example.org"]);
    expect(() =>
      loadConfig({
        env: { AUTOSCORER_SERVER__WEB_SOCKET__ALLOWED_ORIGINS: "[https://x.example.org/app]" },
        cwd: dir(),
      }),
    ).toThrow(/server\.webSocket\.allowedOrigins\.0: expected an origin/);
  });
});
