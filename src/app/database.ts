// Where the database comes from: DATABASE_URL / database.url, or the embedded cluster under
// the data directory. Returns the URL and how to stop what was started.
import path from "node:path";
import pg from "pg";
import type { Config } from "../config/schema.ts";
import { startEmbeddedPostgres } from "../db/embedded.ts";
import type { Logger } from "../log.ts";

const DATABASE_NAME = "autoscorer";

export interface ProvidedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function provideDatabase(config: Config, log: Logger): Promise<ProvidedDatabase> {
  if (config.database.url)
    return { url: config.database.url, embedded: false, stop: async () => {} };
  const dir = path.resolve(config.dataDir, "postgres");
  const started = Date.now();
  const postgres = await startEmbeddedPostgres({
    dir,
    port: config.database.embeddedPort,
    log: (line) => {
      if (/ERROR|FATAL|PANIC/.test(line)) log.warn({ line }, "postgres");
    },
  });
  const admin = new pg.Client(postgres.adminUrl);
  try {
    await admin.connect();
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [
      DATABASE_NAME,
    ]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } catch (error) {
    await postgres.stop();
    throw new Error("could not prepare the embedded database", { cause: error });
  } finally {
    await admin.end().catch(() => {});
  }
  log.info({ dir, ms: Date.now() - started }, "embedded Postgres started");
  return { url: postgres.urlFor(DATABASE_NAME), embedded: true, stop: () => postgres.stop() };
}
