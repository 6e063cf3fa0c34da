// The compose file (deploy/compose.yaml): the services docs/operations.md describes, started
// in the right order, hardened, and configured with values the app accepts.
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COMPOSE_FILE, type ComposeService, interpolate, loadCompose } from "./compose-file.ts";
import { configFrom, SAMPLE_SECRETS } from "./config-env.ts";

// What an operator's deploy/.env holds (deploy/env.example).
const DOT_ENV = {
  POSTGRES_PASSWORD: "not-a-secret",
  AUTOSCORER_ADMIN_KEY: SAMPLE_SECRETS.adminKey,
};
const compose = loadCompose(DOT_ENV);
const services = Object.entries(compose.services);
const autoscorer = services.filter(([, s]) => s.image?.startsWith("autoscorer:"));
const role = (s: ComposeService) => s.command?.[0];
const named = (r: string) => autoscorer.filter(([, s]) => role(s) === r).map(([name]) => name);

/** Every key and value anywhere below a node, as "path=value" strings. */
function leaves(node: unknown, at = ""): string[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => leaves(item, `${at}[${i}]`));
  if (node && typeof node === "object")
    return Object.entries(node).flatMap(([k, v]) => leaves(v, at ? `${at}.${k}` : k));
  return [`${at}=${String(node)}`];
}

describe("compose file", () => {
  it("runs Postgres, a one-shot migrate, two API processes, two workers and a scheduler", () => {
    expect(compose.services.postgres?.image).toMatch(/^postgres:\d+/);
    expect(named("migrate")).toEqual(["migrate"]);
    expect(named("serve")).toEqual(["api-1", "api-2"]);
    expect(named("worker")).toEqual(["worker-1", "worker-2"]);
    expect(named("scheduler")).toEqual(["scheduler"]);
    expect(autoscorer).toHaveLength(6);
    for (const [, service] of autoscorer) {
      expect(service.build).toEqual({ context: "..", dockerfile: "deploy/Dockerfile" });
      const dockerfile = path.resolve(path.dirname(COMPOSE_FILE), "..", "deploy/Dockerfile");
      expect(existsSync(dockerfile)).toBe(true);
    }
    expect(compose.services.migrate?.restart).toBe("no");
  });

  it("starts each service once what it needs is ready: Postgres healthy, then migrations done", () => {
    expect(compose.services.migrate?.depends_on).toEqual({
      postgres: { condition: "service_healthy" },
    });
    for (const [name, service] of autoscorer.filter(([, s]) => role(s) !== "migrate"))
      expect([name, service.depends_on]).toEqual([
        name,
        { migrate: { condition: "service_completed_successfully" } },
      ]);
  });

  it("checks the health of Postgres and the API; says so where there is nothing to probe", () => {
    expect(compose.services.postgres?.healthcheck?.test?.[1]).toBe("pg_isready");
    for (const name of named("serve"))
      expect(compose.services[name]?.healthcheck?.test).toEqual([
        "CMD",
        "node",
        "/app/deploy/healthcheck.mjs",
      ]);
    for (const name of [...named("worker"), ...named("scheduler")])
      expect(compose.services[name]?.healthcheck).toEqual({ disable: true });
  });

  it("runs nothing privileged, and every AutoScorer container unprivileged and read-only", () => {
    const everything = leaves(compose.services);
    expect(everything.filter((l) => /\.privileged=true$/.test(l))).toEqual([]);
    expect(everything.filter((l) => /\.(network_mode|pid|ipc)=host$/.test(l))).toEqual([]);
    expect(everything.filter((l) => /\.(cap_add|devices)/.test(l))).toEqual([]);
    // The engine's socket is root on the host: not by default (docs/operations.md).
    expect(everything.filter((l) => l.includes("docker.sock"))).toEqual([]);
    for (const [name, service] of autoscorer) {
      expect([
        name,
        service.user,
        service.read_only,
        service.cap_drop,
        service.security_opt,
      ]).toEqual([name, "1000:1000", true, ["ALL"], ["no-new-privileges:true"]]);
    }
  });

  it("keeps Postgres private and publishes the API on the loopback address unless told otherwise", () => {
    expect(compose.services.postgres?.ports).toBeUndefined();
    expect(named("serve").flatMap((n) => compose.services[n]?.ports ?? [])).toEqual([
      "127.0.0.1:4000:4000",
      "127.0.0.1:4001:4000",
    ]);
    const open = loadCompose({ ...DOT_ENV, AUTOSCORER_BIND: "0.0.0.0" });
    expect(open.services["api-1"]?.ports).toEqual(["0.0.0.0:4000:4000"]);
  });

  it("shares the data volume: workers read and write it, the API only reads it", () => {
    const mounts = (name: string) => compose.services[name]?.volumes ?? [];
    for (const name of named("worker")) expect(mounts(name)).toEqual(["data:/var/lib/autoscorer"]);
    for (const name of named("serve"))
      expect(mounts(name)).toEqual(["data:/var/lib/autoscorer:ro"]);
    const declared = Object.keys(compose.volumes ?? {});
    const used = services.flatMap(([, s]) => (s.volumes ?? []).map((v) => v.split(":")[0]));
    expect([...new Set(used)].sort()).toEqual(declared.sort());
  });

  it("gives every AutoScorer container a valid configuration; workers use the local executor", () => {
    for (const [name, service] of autoscorer) {
      const config = configFrom(service.environment ?? {});
      if (typeof config === "string") throw new Error(`${name}: ${config}`);
      expect(config.database.url).toBe(
        "postgresql://autoscorer:not-a-secret@postgres:5432/autoscorer",
      );
      if (role(service) === "serve") expect(config.adminKey).toBe(SAMPLE_SECRETS.adminKey);
      if (role(service) === "worker") {
        expect(config.worker.executors).toEqual(["LOCAL"]);
        expect(config.worker.name).toBe(name);
      }
    }
  });

  it("refuses to start without the secrets from .env instead of running with a default", () => {
    expect(() => loadCompose({})).toThrow(/required variable POSTGRES_PASSWORD/);
    expect(() => loadCompose({ POSTGRES_PASSWORD: "x" })).toThrow(
      /required variable AUTOSCORER_ADMIN_KEY/,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's own ${...} syntax
    const text = "$${HOME} ${A:-b} ${A-c}";
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal Compose leaves
    expect(interpolate(text, { A: "" })).toBe("${HOME} b ");
  });
});
