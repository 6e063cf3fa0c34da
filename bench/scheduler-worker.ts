// bench:scheduler's second process: the platform's worker role, wired as `autoscorer worker`
// wires it. The parent (bench/scheduler.ts) passes the config in BENCH_WORKER_CONFIG and
// talks over IPC: it asks for this process's CPU time and for the stop; this process says
// when its worker is ready.
import { startPlatform } from "../src/app/platform.ts";
import { loadConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/log.ts";

export type ToWorker = { type: "cpu" } | { type: "stop" };
export type FromWorker = { type: "ready" } | { type: "cpu"; seconds: number };

export interface WorkerProcessConfig {
  dataDir: string;
  overrides: Record<string, unknown>;
}

const send = (message: FromWorker) => process.send?.(message);

const settings = JSON.parse(process.env.BENCH_WORKER_CONFIG ?? "null") as WorkerProcessConfig;
const config = loadConfig({ env: {}, cwd: settings.dataDir, overrides: settings.overrides });
const platform = await startPlatform({
  config,
  roles: { api: false, scheduler: false, worker: true },
  log: silentLogger,
  migrate: false,
});

process.on("message", (message: ToWorker) => {
  if (message.type === "cpu") {
    const own = process.cpuUsage();
    send({ type: "cpu", seconds: (own.user + own.system) / 1e6 });
  } else if (message.type === "stop") {
    void platform.stop().then(() => process.exit(0));
  }
});
send({ type: "ready" });
