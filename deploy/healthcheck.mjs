// The image's HEALTHCHECK. One image runs every role, but only the API roles (`serve`,
// `start`) listen on HTTP, so the role is read off the container's main process (PID 1,
// or the process docker-init started) and only those are probed, on GET /healthz.
// Exit 0 healthy, 1 unhealthy (Docker's convention).
import { readFileSync } from "node:fs";

const HTTP_ROLES = new Set(["serve", "start"]);

function roleOfMainProcess() {
  const argv = readFileSync("/proc/1/cmdline", "utf8").split("\0");
  const cli = argv.findIndex((arg) => arg.endsWith("autoscorer.js"));
  return cli >= 0 ? argv[cli + 1] : undefined;
}

const role = roleOfMainProcess();
if (!role || !HTTP_ROLES.has(role)) {
  // Workers and schedulers serve nothing to probe; their liveness is their heartbeat in
  // Postgres (the `executors` query, the autoscorer_executor_healthy metric).
  process.stdout.write(`role ${role ?? "(unknown)"} has no HTTP endpoint\n`);
  process.exit(0);
}
// The variables the app reads its port from (src/config/load.ts).
const port = process.env.PORT || process.env.AUTOSCORER_SERVER__PORT || "4000";
try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
    signal: AbortSignal.timeout(4000),
  });
  process.stdout.write(`GET /healthz: ${response.status}\n`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  process.stdout.write(`GET /healthz failed: ${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
}
