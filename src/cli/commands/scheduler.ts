// `autoscorer scheduler`: admission and placement only; several may run against one database.
import { loadConfig } from "../../config/load.ts";
import { runUntilSignalled } from "../run.ts";

export async function run(_argv: string[]): Promise<number> {
  return runUntilSignalled(loadConfig(), { api: false, scheduler: true, worker: false }, false);
}
