// bench:scheduler's second process: the platform's worker role, wired as `autoscorer worker`
// wires it. The parent (bench/scheduler.ts) passes the config in BENCH_WORKER_CONFIG and
// talks over IPC: it starts and stops the worker role (the process lives on between the
// end-to-end phases, warm, as a deployed worker does) and asks for this process's CPU time.
import { type Platform, startPlatform } from "../src/app/platform.ts";
import { loadConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/log.ts";

export type ToWorker = { type: "start" } | { type: "stop" } | { type: "cpu" } | { type: "exit" };
export type FromWorker =
  | { type: "started" }
  | { type: "stopped" }
  | { type: "cpu"; seconds: number };

export interface WorkerProcessConfig {
  dataDir: string;
  overrides: Record<string, unknown>;
}

const send = (message: FromWorker): void => {
  process.send?.(message);
};

const settings = JSON.parse(process.env.BENCH_WORKER_CONFIG ?? "null") as WorkerProcessConfig;
const config = loadConfig({ env: {}, cwd: settings.dataDir, overrides: settings.overrides });
let platform: Platform | null = null;

// Messages are handled one at a time, in order: a stop never overtakes the start before it.
let queue = Promise.resolve();
process.on("message", (message: ToWorker) => {
  queue = queue.then(() => handle(message));
});

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case "start":
      platform = await startPlatform({
        config,
        roles: { api: false, scheduler: false, worker: true },
        log: silentLogger,
        migrate: false,
      });
      return send({ type: "started" });
    case "stop":
      await platform?.stop();
      platform = null;
      return send({ type: "stopped" });
    case "cpu": {
      const own = process.cpuUsage();
      return send({ type: "cpu", seconds: (own.user + own.system) / 1e6 });
    }
    case "exit":
      await platform?.stop();
      process.exit(0);
  }
}
