// Prisma CLI configuration. The schema engine runs as WebAssembly (`engine: "js"`) and talks
// to Postgres through the pg adapter, so `generate` and `migrate` work without downloading
// a native engine.
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";
import { createMigrationPool } from "./src/db/pg-type-shim.ts";

// Prisma 6.19 must resolve the datasource URL even to parse the schema; without one it falls
// back to downloading a native query engine. `generate` never connects, so a placeholder
// that cannot reach anything is enough there; `migrate` always runs with a real URL.
process.env.DATABASE_URL ??= "postgresql://generate-only@127.0.0.1:1/none";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: async () => {
    const url = process.env.DATABASE_URL ?? "";
    return new PrismaPg(createMigrationPool(url));
  },
});
