// bench:api — a paginated `tenants` and `auditLogs` query through the whole server (HTTP,
// authentication, Yoga, Pothos) against the same SQL run directly with `pg`, side by side,
// same database, same concurrency. The API runs in its own processes, as in production; the
// load generator and the raw `pg` baseline share this one. Each phase also records the CPU
// each side spent per request, so a reader sees where the two cores went.
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
const SERVERS = Number(process.env.BENCH_SERVERS ?? 2);

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
  await client.end();
}

async function startServer(databaseUrl: string, port: number) {
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
        AUTOSCORER_SERVER__RATE_LIMIT_PER_MINUTE: "0",
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
  const port = await freePort();
  // One API process per core, sharing the port (SO_REUSEPORT), as `serve` is deployed.
  const servers = await Promise.all(
    Array.from({ length: SERVERS }, () => startServer(database.url, port)),
  );
  // The raw baseline gets the same pool size the API process uses.
  const pool = new pg.Pool({ connectionString: database.url, max: 10 });
  const closers: Array<() => void> = [];
  try {
    // Exactly the statements the API's keyset fast paths run for these pages
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
    const gql = async (body: string) => {
      const client = await graphqlOperation(port, body);
      closers.push(client.close);
      return client.operation;
    };
    // Start the page after tenant-0100, as a client paging through the list would.
    const firstPage = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ query: "{ tenants(first: 100) { pageInfo { endCursor } } }" }),
    });
    const cursor = (
      (await firstPage.json()) as { data: { tenants: { pageInfo: { endCursor: string } } } }
    ).data.tenants.pageInfo.endCursor;
    const gqlTenants = await gql(tenantsQuery(cursor));
    const gqlAudit = await gql(AUDIT_QUERY);
    const gqlTrivial = await gql(JSON.stringify({ query: "{ __typename }" }));

    // Warm up every path (JIT, connection pools, prepared plans) before measuring.
    for (const op of [rawTenants, rawAudit, gqlTenants, gqlAudit, gqlTrivial])
      await closedLoop(op, CONCURRENCY, 2);

    const measure = async (operation: () => Promise<void>): Promise<Phase> => {
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

    const results: Array<{ name: string; raw: Phase[]; graphql: Phase[] }> = [];
    for (const [name, raw, graphql] of [
      ["tenants (page of 20)", rawTenants, gqlTenants],
      ["auditLogs (page of 20)", rawAudit, gqlAudit],
    ] as const) {
      const result = { name, raw: [] as Phase[], graphql: [] as Phase[] };
      for (let round = 0; round < ROUNDS; round++) {
        result.raw.push(await measure(raw));
        result.graphql.push(await measure(graphql));
      }
      results.push(result);
    }
    // The floor of the HTTP + GraphQL layers alone: a query that touches no database.
    const trivial = summarize([await measure(gqlTrivial)]);

    const lines = [
      `bench:api — ${CONCURRENCY} concurrent clients, ${ROUNDS} rounds of ${SECONDS} s per path, ${TENANTS} tenants, ${fmt(AUDIT_ROWS)} audit rows, ${SERVERS} API process(es)`,
      "",
      "| query | raw pg req/s | GraphQL req/s | GraphQL / raw (rounds) | raw p50 / p99 ms | GraphQL p50 / p99 ms | CPU µs/req: generator raw / GraphQL, API processes |",
      "|---|---:|---:|---:|---:|---:|---:|",
      ...results.map(({ name, raw, graphql }) => {
        const r = summarize(raw);
        const g = summarize(graphql);
        const rounds = raw.map(
          (phase, i) => (graphql[i]?.load.perSecond ?? 0) / phase.load.perSecond,
        );
        return `| ${name} | ${fmt(r.perSecond)} | ${fmt(g.perSecond)} | ${fmt(g.perSecond / r.perSecond, 2)} (${fmt(Math.min(...rounds), 2)}–${fmt(Math.max(...rounds), 2)}) | ${fmt(r.p50Ms, 2)} / ${fmt(r.p99Ms, 2)} | ${fmt(g.p50Ms, 2)} / ${fmt(g.p99Ms, 2)} | ${fmt(r.generatorUs)} / ${fmt(g.generatorUs)}, ${fmt(g.serverUs)} |`;
      }),
      "",
      `Floor of HTTP + GraphQL alone (\`{ __typename }\`, no database): ${fmt(trivial.perSecond)} req/s, p50 ${fmt(trivial.p50Ms, 2)} ms, API processes ${fmt(trivial.serverUs)} CPU µs/req.`,
      `API processes: ${SERVERS} (SO_REUSEPORT); raw pg pool size 10, as in each API process.`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    for (const close of closers) close();
    await pool.end();
    for (const server of servers) {
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
  };
}

function pidOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error("API process has no pid");
  return child.pid;
}

await main();
