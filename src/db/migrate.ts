// Applies the committed Prisma migrations to a database by running the Prisma CLI's
// `migrate deploy` (WebAssembly schema engine, see prisma.config.ts). Same command for
// embedded and external Postgres.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export class MigrationError extends Error {
  override name = "MigrationError";
}

export async function migrateDatabase(databaseUrl: string): Promise<void> {
  const cli = require.resolve("prisma/build/index.js");
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "migrate", "deploy"], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk));
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) {
    throw new MigrationError(
      `prisma migrate deploy exited with ${code}:\n${Buffer.concat(output).toString("utf8")}`,
    );
  }
}
