// Everything the database needs before the platform runs, done as the owner (the login role
// of the database URL): the platform's migrations, then pg-boss's schema and the application
// role's rights on it.
import { migrateDatabase } from "../db/migrate.ts";
import { installBossSchema } from "./boss.ts";

export async function migratePlatform(url: string): Promise<string[]> {
  const applied = await migrateDatabase(url);
  await installBossSchema(url);
  return applied;
}
