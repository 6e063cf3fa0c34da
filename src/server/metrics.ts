// Prometheus text exposition of what operators ask first: how many jobs wait in each state,
// and how loaded each executor node is. Read from Postgres at scrape time, so every API
// process reports the same platform-wide figures.
import type { Database } from "../db/database.ts";
import { nodesWithLoad } from "../domain/nodes/nodes.ts";

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"');

export async function renderMetrics(db: Database): Promise<string> {
  const lines: string[] = [];
  const jobs = await db.pool.query<{ state: string; count: string }>(
    `SELECT state::text AS state, count(*)::text AS count FROM "Job" GROUP BY state`,
  );
  lines.push("# HELP autoscorer_jobs Jobs by state", "# TYPE autoscorer_jobs gauge");
  for (const row of jobs.rows) lines.push(`autoscorer_jobs{state="${row.state}"} ${row.count}`);
  const nodes = { rows: await nodesWithLoad(db.pool) };
  lines.push(
    "# HELP autoscorer_executor_running_jobs Jobs placed on each executor node",
    "# TYPE autoscorer_executor_running_jobs gauge",
  );
  for (const n of nodes.rows) {
    const labels = `node="${escapeLabel(n.name)}",kind="${n.kind}"`;
    lines.push(`autoscorer_executor_running_jobs{${labels}} ${n.runningJobs}`);
  }
  lines.push(
    "# HELP autoscorer_executor_healthy 1 when the node reports healthy and heartbeats in time",
    "# TYPE autoscorer_executor_healthy gauge",
  );
  for (const n of nodes.rows) {
    lines.push(
      `autoscorer_executor_healthy{node="${escapeLabel(n.name)}",kind="${n.kind}"} ${n.healthy && n.alive ? 1 : 0}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
