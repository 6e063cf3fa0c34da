// pg-boss for the job pipeline: its own small pool, and LISTEN/NOTIFY so a dispatch wakes
// the node's worker at once (a polling interval must never set the platform's latency). Its
// schema is installed and upgraded with the platform's migrations, by the owner
// (installBossSchema); the running platform only uses it.
import pg from "pg";
import { PgBoss } from "pg-boss";
import { APP_ROLE, sessionOptions } from "../db/session-options.ts";

/** pg-boss's schema (its default). */
export const BOSS_SCHEMA = "pgboss";

export interface BossOptions {
  url: string;
  poolSize?: number;
  /** The session role (the application role); none keeps the login role. */
  role?: string;
  /** Called for pg-boss's own errors (a lost connection, a failed maintenance run). */
  onError: (error: unknown) => void;
}

export async function startBoss(options: BossOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: options.url,
    max: options.poolSize ?? 4,
    options: sessionOptions(options.role),
    useListenNotify: true,
    application_name: "autoscorer-boss",
    // The schema is the migrations' business; the application role may not create tables.
    migrate: false,
  });
  boss.on("error", options.onError);
  await boss.start();
  return boss;
}

/**
 * Installs or upgrades pg-boss's schema as the connecting (owner) role, and lets the
 * application role use it: rows in its tables, its sequences and functions, never DDL.
 */
export async function installBossSchema(url: string): Promise<void> {
  const boss = new PgBoss({
    connectionString: url,
    max: 1,
    supervise: false,
    schedule: false,
    application_name: "autoscorer-migrate",
  });
  boss.on("error", () => {});
  await boss.start();
  await boss.stop({ graceful: false, close: true });
  const grant = (sql: string) => `${sql} TO ${APP_ROLE}`;
  const statements = [
    grant(`GRANT USAGE ON SCHEMA ${BOSS_SCHEMA}`),
    grant(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${BOSS_SCHEMA}`),
    grant(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${BOSS_SCHEMA}`),
    grant(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${BOSS_SCHEMA}`),
  ];
  const client = new pg.Client({ connectionString: url, options: sessionOptions(undefined) });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}
