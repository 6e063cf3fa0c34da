// bench:api — a paginated `tenants` and `auditLogs` query through the whole server (HTTP,
// authentication, Yoga with its plugins, Pothos) against the same SQL run directly with
// `pg`, side by side, same database, same concurrency. The API runs as `autoscorer serve`
// processes, as in production: one process, and two sharing a port (SO_REUSEPORT, one per
// core); the load generator and the raw `pg` baseline share this process. Each phase records
// the CPU each side spent per request, and the API's requests per CPU-second (per core).
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { freePort } from "../src/db/embedded.ts";
import { connectionPool, requestBytes } from "./http-client.ts";
import { benchDatabase, closedLoop, fmt, type LoadResult, processCpuSeconds } from "./lib.ts";

const ADMIN_KEY = "bench-admin-key-0123456789abcdef";
const TENANTS = 500;
const AUDIT_ROWS = 20_000;
const PAGE = 20;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Raw and GraphQL phases alternate this many times, so drift on a shared VM hits both. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The server set-ups measured side by side: how many processes, and their environment. */
interface Variant {
  name: string;
  processes: number;
  env: Record<string, string>;
}
/**
 * The baseline variants run without graphql-armor's limits and without rate limits; the
 * hardened one runs both as configured by default, with buckets too large to ever refuse the
 * benchmark, so it measures what checking them costs. (The cheap guards, CSRF header check,
 * body size count, no introspection, run in every variant.)
 */
const UNHARDENED = {
  AUTOSCORER_SERVER__GRAPHQL_LIMITS__ENABLED: "false",
  AUTOSCORER_SERVER__RATE_LIMIT__ENABLED: "false",
};
const VARIANTS: Variant[] = [
  { name: "GraphQL, 1 process", processes: 1, env: UNHARDENED },
  { name: "GraphQL, 2 processes", processes: 2, env: UNHARDENED },
  {
    name: "GraphQL, 2 processes, hardened (armor + rate limits)",
    processes: 2,
    env: {
      AUTOSCORER_SERVER__RATE_LIMIT__ENABLED: "true",
      AUTOSCORER_SERVER__RATE_LIMIT__ADMIN__PER_MINUTE: "1000000000",
      AUTOSCORER_SERVER__RATE_LIMIT__ADMIN__BURST: "1000000000",
    },
  },
];

/** A closed-loop operation posting one GraphQL body over keep-alive connections. */
async function graphqlOperation(port: number, body: string) {
  const bytes = requestBytes("127.0.0.1", port, {
    path: "/graphql",
    body,
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  return connectionPool("127.0.0.1", port, CONCURRENCY, bytes, (response) => {
    if (response.status !== 200 || response.body.includes('"errors"'))
      throw new Error(`GraphQL request failed (${response.status}): ${response.body}`);
  });
}

async function seed(url: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  await client.query(
    `INSERT INTO "Tenant" (id, slug, name, "updatedAt")
     SELECT gen_random_uuid(), 'tenant-' || lpad(i::text, 4, '0'), 'Tenant ' || i, now()
       FROM generate_series(1, $1) i`,
    [TENANTS],
  );
  await client.query(
    `INSERT INTO "AuditLog" (action, "targetType", "targetId", "requestId", after)
     SELECT 'tenant.update', 'Tenant', i::text, 'seed', jsonb_build_object('n', i)
       FROM generate_series(1, $1) i`,
    [AUDIT_ROWS],
  );
  // A live database has statistics (autovacuum gathers them); a freshly seeded one has none.
  // Without them the planner cannot judge the row-level security filter on the audit log and
  // sorts the whole table for a page instead of walking the primary key backwards.
  await client.query("ANALYZE");
  await client.end();
}

async function startServer(databaseUrl: string, port: number, env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir", "bench/out/profile"] : []),
      "--import",
      "tsx",
      path.resolve(import.meta.dirname, "../src/cli/main.ts"),
      "serve",
    ],
    {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        HOST: "127.0.0.1",
        AUTOSCORER_ADMIN_KEY: ADMIN_KEY,
        AUTOSCORER_ENV: "production",
        ...env,
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("AutoScorer is running")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  return child;
}

const tenantsQuery = (after: string) =>
  JSON.stringify({
    query: `query($after: String) { tenants(first: ${PAGE}, after: $after) {
      edges { cursor node { id slug name status weight } } pageInfo { hasNextPage endCursor } } }`,
    variables: { after },
  });
const AUDIT_QUERY = JSON.stringify({
  query: `{ auditLogs(first: ${PAGE}) { ... on QueryAuditLogsConnection {
    edges { cursor node { id at action targetType targetId } } pageInfo { hasNextPage endCursor } } } }`,
});

async function main() {
  const database = await benchDatabase();
  await seed(database.url);
  const groups: Array<{ variant: Variant; port: number; servers: ChildProcess[] }> = [];
  for (const variant of VARIANTS) {
    const port = await freePort();
    const servers = await Promise.all(
      Array.from({ length: variant.processes }, () => startServer(database.url, port, variant.env)),
    );
    groups.push({ variant, port, servers });
  }
  // The raw baseline gets the same pool size each API process uses.
  const pool = new pg.Pool({ connectionString: database.url, max: 10 });
  const closers: Array<() => void> = [];
  try {
    // Exactly the statements the API's keyset paths run for these pages
    // (src/domain/tenants.ts, src/domain/audit/list.ts), read whole as the server reads them.
    const rawTenants = () =>
      pool
        .query(
          `SELECT id, slug, name, status, weight, "createdAt", "updatedAt" FROM "Tenant"
            WHERE slug > $1 ORDER BY slug ASC LIMIT ${PAGE + 1}`,
          ["tenant-0100"],
        )
        .then(() => undefined);
    const rawAudit = () =>
      pool
        .query(
          `SELECT id, at, "actorUserId", "actorKeyId", "tenantId", action, "targetType", "targetId",
                  before, after, "requestId"
             FROM "AuditLog" ORDER BY id DESC LIMIT ${PAGE + 1}`,
        )
        .then(() => undefined);
    const gql = async (port: number, body: string) => {
      const client = await graphqlOperation(port, body);
      closers.push(client.close);
      return client.operation;
    };
    // Start the page after tenant-0100, as a client paging through the list would.
    const firstPage = await fetch(`http://127.0.0.1:${groups[0]?.port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ query: "{ tenants(first: 100) { pageInfo { endCursor } } }" }),
    });
    const cursor = (
      (await firstPage.json()) as { data: { tenants: { pageInfo: { endCursor: string } } } }
    ).data.tenants.pageInfo.endCursor;
    const paths = await Promise.all(
      groups.map(async (group) => ({
        ...group,
        tenants: await gql(group.port, tenantsQuery(cursor)),
        audit: await gql(group.port, AUDIT_QUERY),
        trivial: await gql(group.port, JSON.stringify({ query: "{ __typename }" })),
      })),
    );

    // Warm up every path (JIT, connection pools, prepared plans) before measuring.
    for (const op of [
      rawTenants,
      rawAudit,
      ...paths.flatMap((p) => [p.tenants, p.audit, p.trivial]),
    ])
      await closedLoop(op, CONCURRENCY, 2);

    const measure = async (
      operation: () => Promise<void>,
      servers: ChildProcess[] = [],
    ): Promise<Phase> => {
      const serverCpu = processCpuSeconds(servers.map(pidOf));
      const ownCpu = process.cpuUsage();
      const load = await closedLoop(operation, CONCURRENCY, SECONDS);
      const own = process.cpuUsage(ownCpu);
      return {
        load,
        generatorCpu: (own.user + own.system) / 1e6,
        serverCpu: processCpuSeconds(servers.map(pidOf)) - serverCpu,
      };
    };

    // Per query, the raw path and every variant take turns, round after round, so drift on
    // the shared host hits them alike.
    const lines = [
      `bench:api — ${CONCURRENCY} concurrent clients, ${ROUNDS} rounds of ${SECONDS} s per path, ${TENANTS} tenants, ${fmt(AUDIT_ROWS)} audit rows`,
      "",
      "| query | path | req/s | / raw pg (rounds) | p50 / p99 ms | API req per CPU-second | CPU µs/req: generator, API processes |",
      "|---|---|---:|---:|---:|---:|---:|",
    ];
    for (const [name, raw, pick] of [
      ["tenants (page of 20)", rawTenants, (p: (typeof paths)[number]) => p.tenants],
      ["auditLogs (page of 20)", rawAudit, (p: (typeof paths)[number]) => p.audit],
    ] as const) {
      const rawPhases: Phase[] = [];
      const variantPhases = paths.map(() => [] as Phase[]);
      for (let round = 0; round < ROUNDS; round++) {
        rawPhases.push(await measure(raw));
        for (const [i, path] of paths.entries())
          variantPhases[i]?.push(await measure(pick(path), path.servers));
      }
      const r = summarize(rawPhases);
      lines.push(
        `| ${name} | raw pg (pool of 10) | ${fmt(r.perSecond)} | 1 | ${fmt(r.p50Ms, 2)} / ${fmt(r.p99Ms, 2)} | — | ${fmt(r.generatorUs)}, — |`,
      );
      for (const [i, path] of paths.entries()) {
        const phases = variantPhases[i] ?? [];
        const g = summarize(phases);
        const rounds = phases.map(
          (phase, j) => phase.load.perSecond / (rawPhases[j]?.load.perSecond ?? 1),
        );
        lines.push(
          `| ${name} | ${path.variant.name} | ${fmt(g.perSecond)} | **${fmt(g.perSecond / r.perSecond, 2)}** (${fmt(Math.min(...rounds), 2)}–${fmt(Math.max(...rounds), 2)}) | ${fmt(g.p50Ms, 2)} / ${fmt(g.p99Ms, 2)} | ${fmt(g.perCpuSecond)} | ${fmt(g.generatorUs)}, ${fmt(g.serverUs)} |`,
        );
      }
    }
    // The floor of the HTTP + GraphQL layers alone: a query that touches no database.
    for (const path of paths) {
      const trivial = summarize([await measure(path.trivial, path.servers)]);
      lines.push(
        "",
        `Floor, ${path.variant.name} (\`{ __typename }\`, no database): ${fmt(trivial.perSecond)} req/s, p50 ${fmt(trivial.p50Ms, 2)} ms, ${fmt(trivial.serverUs)} API CPU µs/req.`,
      );
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    for (const close of closers) close();
    await pool.end();
    for (const server of groups.flatMap((group) => group.servers)) {
      server.kill("SIGTERM");
      await new Promise((resolve) => server.once("exit", resolve));
    }
    await database.stop();
  }
}

interface Phase {
  load: LoadResult;
  /** CPU seconds of this process: the load generator, and the `pg` driver for raw. */
  generatorCpu: number;
  /** CPU seconds of the API processes; zero for raw `pg`. */
  serverCpu: number;
}

/** Rounds of one path together: overall rate and CPU per request, median latencies. */
function summarize(phases: Phase[]) {
  const operations = phases.reduce((sum, p) => sum + p.load.operations, 0);
  const seconds = phases.reduce((sum, p) => sum + p.load.seconds, 0);
  const median = (values: number[]) =>
    values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const perRequestUs = (cpu: number) => (cpu * 1e6) / operations;
  return {
    perSecond: operations / seconds,
    p50Ms: median(phases.map((p) => p.load.p50Ms)),
    p99Ms: median(phases.map((p) => p.load.p99Ms)),
    generatorUs: perRequestUs(phases.reduce((sum, p) => sum + p.generatorCpu, 0)),
    serverUs: perRequestUs(phases.reduce((sum, p) => sum + p.serverCpu, 0)),
    /** Requests the API processes serve per second of their CPU: throughput per core. */
    perCpuSecond:
      operations /
      Math.max(
        phases.reduce((sum, p) => sum + p.serverCpu, 0),
        1e-9,
      ),
  };
}

function pidOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error("API process has no pid");
  return child.pid;
}

await main();
