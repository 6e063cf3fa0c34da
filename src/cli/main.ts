// `autoscorer` command: one subcommand per role. Each subcommand lives in its own file and
// is loaded on demand, so `autoscorer score` never pays for the server's imports.
import { explainStartupError } from "./run.ts";

type Command = { run(argv: string[]): Promise<number> };

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  start: {
    summary: "everything on one machine: database, migrations, API, scheduler, worker",
    load: () => import("./commands/start.ts"),
  },
  serve: { summary: "the GraphQL API only", load: () => import("./commands/serve.ts") },
  worker: {
    summary: "one executor node (local executor)",
    load: () => import("./commands/worker.ts"),
  },
  scheduler: {
    summary: "admission and placement; several may run at once",
    load: () => import("./commands/scheduler.ts"),
  },
  migrate: { summary: "apply database migrations", load: () => import("./commands/migrate.ts") },
  score: { summary: "score a workspace offline", load: () => import("./commands/score.ts") },
  submit: {
    summary: "submit a job to a running platform",
    load: () => import("./commands/submit.ts"),
  },
  status: { summary: "a job's state, error and score", load: () => import("./commands/status.ts") },
  watch: {
    summary: "follow a job's state and output live until it ends",
    load: () => import("./commands/watch.ts"),
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: autoscorer <command> [options]\n\n${lines.join("\n")}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h") {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`unknown command: ${name}\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`autoscorer: ${explainStartupError(error)}\n`);
  process.exitCode = 1;
}
