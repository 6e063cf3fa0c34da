// `autoscorer start` (what `npm start` runs): every role in one process on one machine.
import { loadConfig } from "../../config/load.ts";
import { runUntilSignalled } from "../run.ts";

export async function run(_argv: string[]): Promise<number> {
  return runUntilSignalled(loadConfig(), { api: true, scheduler: true, worker: true }, true);
}
