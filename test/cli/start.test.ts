// `npm start` end to end: a fresh data directory, embedded Postgres, migrations, the API,
// a bootstrap admin key printed once, and data that survives a restart.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../src/db/embedded.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

interface Started {
  child: ChildProcess;
  url: string;
  adminKey: string | null;
  stdout: () => string;
}

function startPlatform(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "start"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no start within 15 s:\n${out}\n${err}`)),
      15_000,
    );
    const check = () => {
      const url = /AutoScorer is running: (\S+)\/graphql/.exec(out)?.[1];
      if (!url) return;
      clearTimeout(timer);
      child.stdout?.off("data", check);
      resolve({
        child,
        url,
        adminKey: /^\s+(ask_\S+)$/m.exec(out)?.[1] ?? null,
        stdout: () => out,
      });
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${out}\n${err}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  return exited;
}

async function gql(url: string, key: string, query: string) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

describe("autoscorer start", () => {
  const running: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of running.splice(0)) await stop(child);
  });

  it("serves GraphQL on embedded Postgres within 15 s and keeps data across restarts", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "autoscorer-start-"));
    // Postgres runs as an unprivileged user when tests run as root; it must reach the dir.
    chmodSync(dataDir, 0o755);
    const env = {
      AUTOSCORER_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      AUTOSCORER_DATABASE__EMBEDDED_PORT: String(await freePort()),
      DATABASE_URL: "",
      AUTOSCORER_ADMIN_KEY: "",
    };
    const first = await startPlatform(env);
    running.push(first.child);
    expect(first.adminKey).toMatch(/^ask_/);
    const key = first.adminKey as string;
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    const created = await gql(
      first.url,
      key,
      `mutation { createTenant(input: { slug: "kept", name: "Kept" }) { __typename } }`,
    );
    expect(created.data).toEqual({ createTenant: { __typename: "Tenant" } });
    expect(await stop(first.child)).toBe(0);

    const second = await startPlatform(env);
    running.push(second.child);
    expect(second.adminKey).toBeNull();
    const read = await gql(second.url, key, `{ tenant(slug: "kept") { ... on Tenant { name } } }`);
    expect(read.data).toEqual({ tenant: { name: "Kept" } });
  }, 60_000);

  it("stops with a one-line message naming a bad config key", async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), "autoscorer-badcfg-"));
    const file = path.join(cwd, "bad.yaml");
    writeFileSync(file, "server:\n  port: seventy\n");
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "start"], {
      cwd: ROOT,
      env: { ...process.env, AUTOSCORER_CONFIG: file },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(err).toContain("server.port");
    expect(err).toContain(file);
    expect(err).not.toMatch(/\n\s+at /);
  });
});
