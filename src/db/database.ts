// One pg pool shared by Prisma (through the adapter) and by the few hand-written SQL paths
// (admission, pg-boss enqueue, NOTIFY), so a request never holds two connections. Its
// sessions run as the application role, and each connection carries the tenant scope of the
// work that checked it out (src/db/tenant-scope.ts).
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import { sessionOptions } from "./session-options.ts";
import { TenantScopedPool } from "./tenant-scope.ts";
import { poolTypes } from "./timestamps.ts";

export type { PrismaClient } from "../generated/prisma/client.ts";
export { Prisma } from "../generated/prisma/client.ts";

/** The client handed to an interactive transaction callback. */
export type PrismaTx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

// Postgres BIGINT (audit and event ids) arrive as strings; keep them strings so they never
// lose precision, but parse COUNT(*) style results where callers ask for numbers explicitly.
export function connectDatabase(
  url: string,
  options: {
    poolSize?: number /** The session role; none keeps the login role. */;
    role?: string;
  } = {},
): Database {
  const pool = new TenantScopedPool({
    connectionString: url,
    max: options.poolSize ?? 10,
    options: sessionOptions(options.role),
    types: poolTypes,
  });
  // A dropped connection must not crash the process; the pool replaces it on next use.
  // Idle clients report through the pool; a client that is checked out (inside a
  // transaction, between two statements) emits on itself, and an unheard 'error' event
  // would end the process — as a Postgres restart showed. Its queries fail on their own.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    url,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
