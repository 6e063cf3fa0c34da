// Runs the hand-written SQL of the job pipeline's modules (they take an `Sql`) inside a
// Prisma interactive transaction, for the few admin mutations written with Prisma that
// must call them in the same transaction (a competition's ranking rules change, and its
// leaderboards are rebuilt with it). Events published through it are sent with NOTIFY
// inside the transaction, which Postgres delivers only if it commits.
import type pg from "pg";
import type { PrismaTx } from "./database.ts";
import type { Sql } from "./sql.ts";

export function prismaSql(tx: PrismaTx): Sql {
  return {
    async query<R extends pg.QueryResultRow>(text: string | pg.QueryConfig, values?: unknown[]) {
      const config = typeof text === "string" ? { text, values: values ?? [] } : text;
      const rows = await tx.$queryRawUnsafe<R[]>(config.text, ...(config.values ?? []));
      return { rows, rowCount: rows.length, command: "", oid: 0, fields: [] };
    },
  };
}
