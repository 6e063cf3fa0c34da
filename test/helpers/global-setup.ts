// Starts one throwaway embedded Postgres for the whole run and migrates a template
// database once; each integration test file clones the template (see ./db.ts).
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migratePlatform } from "../../src/app/migrate.ts";
import { startEmbeddedPostgres } from "../../src/db/embedded.ts";
import { probeBrowser } from "./browser-probe.ts";
import { probeDocker } from "./docker-probe.ts";
import { TEMPLATE_DATABASE } from "./template.ts";

declare module "vitest" {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "autoscorer-test-pg-"));
  const postgres = await startEmbeddedPostgres({
    dir,
    port: 0,
    // Durability is irrelevant for a throwaway cluster; speed is not.
    postgresFlags: ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "max_connections=400"],
  });
  const teardown = async () => {
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const admin = new pg.Client(postgres.adminUrl);
    await admin.connect();
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
    await admin.end();
    // Once here, not in every file: each test database is a copy of this template.
    await migratePlatform(postgres.urlFor(TEMPLATE_DATABASE));
  } catch (error) {
    await teardown();
    throw error;
  }
  project.provide("postgresAdminUrl", postgres.adminUrl);
  project.provide("docker", probeDocker());
  project.provide("browser", probeBrowser());
  return teardown;
}
