// bench:api — a paginated `tenants` and `auditLogs` query through the whole server (HTTP,
// authentication, Yoga, Pothos, Prisma) against the same SQL run directly with `pg`, side by
// side, same database, same concurrency. The API runs in its own process, as in production;
// the load generator and the raw `pg` baseline share this one.
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import pg from "pg";
import { freePort } from "../src/db/embedded.ts";
import { benchDatabase, closedLoop, fmt, type LoadResult } from "./lib.ts";

const ADMIN_KEY = "bench-admin-key-0123456789abcdef";
const TENANTS = 500;
const AUDIT_ROWS = 20_000;
const PAGE = 20;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SERVERS = Number(process.env.BENCH_SERVERS ?? 2);

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(port: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/graphql",
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          authorization: `Bearer ${ADMIN_KEY}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200 || text.includes('"errors"')) reject(new Error(text));
          else resolve(text);
        });
      },
    );
    req.on("error", reject);
    req.end(body);
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
  try {
    const rawTenants = () =>
      pool
        .query(
          `SELECT id, slug, name, status, weight FROM "Tenant" WHERE slug > $1 ORDER BY slug ASC LIMIT $2`,
          ["tenant-0100", PAGE + 1],
        )
        .then(() => undefined);
    const rawAudit = () =>
      pool
        .query(
          `SELECT id, at, action, "targetType", "targetId" FROM "AuditLog" ORDER BY id DESC LIMIT $1`,
          [PAGE + 1],
        )
        .then(() => undefined);
    // Start the page after tenant-0100, as a client paging through the list would.
    const firstPage = JSON.parse(
      await post(
        port,
        JSON.stringify({ query: `{ tenants(first: 100) { pageInfo { endCursor } } }` }),
      ),
    ) as { data: { tenants: { pageInfo: { endCursor: string } } } };
    const tenantsBody = tenantsQuery(firstPage.data.tenants.pageInfo.endCursor);
    const gqlTenants = () => post(port, tenantsBody).then(() => undefined);
    const gqlAudit = () => post(port, AUDIT_QUERY).then(() => undefined);

    // Warm up every path (JIT, connection pools, prepared plans) before measuring.
    for (const op of [rawTenants, rawAudit, gqlTenants, gqlAudit])
      await closedLoop(op, CONCURRENCY, 2);

    const results: Array<[string, LoadResult, LoadResult]> = [];
    for (const [name, raw, gql] of [
      ["tenants (page of 20)", rawTenants, gqlTenants],
      ["auditLogs (page of 20)", rawAudit, gqlAudit],
    ] as const) {
      const rawResult = await closedLoop(raw, CONCURRENCY, SECONDS);
      const gqlResult = await closedLoop(gql, CONCURRENCY, SECONDS);
      results.push([name, rawResult, gqlResult]);
    }

    // The floor of the HTTP + GraphQL layers alone: a query that touches no database.
    const trivialBody = JSON.stringify({ query: "{ __typename }" });
    const trivial = await closedLoop(
      () => post(port, trivialBody).then(() => undefined),
      CONCURRENCY,
      SECONDS,
    );

    const lines = [
      `bench:api — ${CONCURRENCY} concurrent clients, ${SECONDS} s per run, ${TENANTS} tenants, ${fmt(AUDIT_ROWS)} audit rows`,
      "",
      "| query | raw pg req/s | GraphQL req/s | GraphQL / raw | raw p50 / p99 ms | GraphQL p50 / p99 ms |",
      "|---|---:|---:|---:|---:|---:|",
      ...results.map(
        ([name, raw, gql]) =>
          `| ${name} | ${fmt(raw.perSecond)} | ${fmt(gql.perSecond)} | ${fmt(gql.perSecond / raw.perSecond, 2)} | ${fmt(raw.p50Ms, 2)} / ${fmt(raw.p99Ms, 2)} | ${fmt(gql.p50Ms, 2)} / ${fmt(gql.p99Ms, 2)} |`,
      ),
      "",
      `Floor of HTTP + GraphQL alone (\`{ __typename }\`, no database): ${fmt(trivial.perSecond)} req/s, p50 ${fmt(trivial.p50Ms, 2)} ms.`,
      `API processes: ${SERVERS} (SO_REUSEPORT); raw pg pool size 10, as in each API process.`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await pool.end();
    agent.destroy();
    for (const server of servers) {
      server.kill("SIGTERM");
      await new Promise((resolve) => server.once("exit", resolve));
    }
    await database.stop();
  }
}

await main();
