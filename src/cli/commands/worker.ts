// `autoscorer worker`: one executor node (the local executor) against a migrated database.
import { loadConfig } from "../../config/load.ts";
import { runUntilSignalled } from "../run.ts";

export async function run(_argv: string[]): Promise<number> {
  return runUntilSignalled(loadConfig(), { api: false, scheduler: false, worker: true }, false);
}
