// `autoscorer migrate`: apply pending migrations to DATABASE_URL (or the embedded database),
// as its login role (the owner), and install pg-boss's schema.
import { provideDatabase } from "../../app/database.ts";
import { migratePlatform } from "../../app/migrate.ts";
import { loadConfig } from "../../config/load.ts";
import { createLogger } from "../../log.ts";

export async function run(_argv: string[]): Promise<number> {
  const config = loadConfig();
  const log = createLogger({ json: config.env === "production" });
  const database = await provideDatabase(config, log);
  try {
    await migratePlatform(database.url);
    log.info("database is up to date");
    return 0;
  } finally {
    await database.stop();
  }
}
