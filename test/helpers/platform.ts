// The platform in tests, started by the same wiring as `npm start` (src/app/platform.ts):
// on a database cloned from the migrated template, with temporary data, input and workspace
// folders, a config built by the same loader (test settings as overrides), and a logger that
// keeps every line for assertions (printed too when DEBUG_PLATFORM is set).
//
// Every platform started here is tracked, so that leak-check.ts can fail a test that leaves
// a worker, a scheduler or a pool running.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { type Platform, type Roles, startPlatform } from "../../src/app/platform.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { createLogger } from "../../src/log.ts";
import { createTestDatabase, type TestDatabase } from "./db.ts";

export const ADMIN_KEY = "test-admin-key-0123456789abcdef";

/** A log line as pino wrote it. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface TestPlatform {
  platform: Platform;
  config: Config;
  testDb: TestDatabase;
  url: string | null;
  inputRoot: string;
  workspaceRoot: string;
  logs: LogLine[];
  stop(): Promise<void>;
}

export interface TestPlatformOptions {
  roles: Roles;
  /** Share another platform's database (a second process of one deployment). */
  database?: TestDatabase;
  /** Share folders with another platform (its input and workspace roots). */
  inputRoot?: string;
  workspaceRoot?: string;
  /** Dotted config keys over the test defaults, e.g. `{ "worker.name": "w1" }`. */
  config?: Record<string, unknown>;
}

/** Short leases and ticks, so recovery happens within a test's time. */
const TEST_DEFAULTS: Record<string, unknown> = {
  env: "test",
  adminKey: ADMIN_KEY,
  "server.port": 0,
  "server.host": "127.0.0.1",
  // Rate limits are tested where they are the subject (test/api/rate-limit.test.ts).
  "server.rateLimit.enabled": false,
  "database.poolSize": 10,
  "scheduler.leaseSeconds": 2,
  "scheduler.heartbeatSeconds": 0.5,
  "scheduler.tickMs": 100,
  "scheduler.backoffBaseMs": 100,
  "scheduler.backoffMaxMs": 1000,
  "scheduler.breakerFailures": 3,
  "scheduler.breakerOpenSeconds": 2,
  "scheduler.kubernetesCpuMillisAbove": 64_000,
  "scheduler.kubernetesMemoryMbAbove": 262_144,
  "worker.cpuMillis": 4000,
  "worker.memoryMb": 8192,
  "worker.shutdownGraceSeconds": 0,
  "worker.prepareAllowanceSeconds": 30,
  "scorers.reload": false,
};

/** Platforms started and not yet stopped, with the test that started each. */
export const livePlatforms = new Map<TestPlatform, string>();
let currentTest = "(outside a test)";
export const setCurrentTest = (name: string) => {
  currentTest = name;
};

const tempDir = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), `autoscorer-${prefix}-`));

export async function startTestPlatform(options: TestPlatformOptions): Promise<TestPlatform> {
  const testDb = options.database ?? (await createTestDatabase());
  const ownsDatabase = !options.database;
  const dataDir = tempDir("data");
  const inputRoot = options.inputRoot ?? tempDir("inputs");
  const workspaceRoot = options.workspaceRoot ?? tempDir("ws");
  const logs: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) {
        if (!line) continue;
        logs.push(JSON.parse(line) as LogLine);
        if (process.env.DEBUG_PLATFORM) process.stderr.write(`${line}\n`);
      }
      done();
    },
  });
  const config = loadConfig({
    env: {},
    cwd: dataDir,
    overrides: {
      ...TEST_DEFAULTS,
      "database.url": testDb.url,
      dataDir,
      inputDir: inputRoot,
      workspaceDir: workspaceRoot,
      ...options.config,
    },
  });
  const platform = await startPlatform({
    config,
    roles: options.roles,
    log: createLogger({ json: true, level: "debug", destination }),
    migrate: false,
  });
  const started: TestPlatform = {
    platform,
    config,
    testDb,
    url: platform.url,
    inputRoot,
    workspaceRoot,
    logs,
    async stop() {
      livePlatforms.delete(started);
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (!options.inputRoot) rmSync(inputRoot, { recursive: true, force: true });
      if (!options.workspaceRoot) rmSync(workspaceRoot, { recursive: true, force: true });
      if (ownsDatabase) await testDb.drop();
    },
  };
  livePlatforms.set(started, currentTest);
  return started;
}
