// `autoscorer serve`: the GraphQL API only, against an already migrated database.
import { loadConfig } from "../../config/load.ts";
import { runUntilSignalled } from "../run.ts";

export async function run(_argv: string[]): Promise<number> {
  return runUntilSignalled(loadConfig(), { api: true, scheduler: false, worker: false }, false);
}
