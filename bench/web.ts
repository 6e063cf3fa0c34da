// bench:web — what the web client costs a user: the production bundle's size (gzip, JS and
// CSS apart; what the first page loads and everything), and the time to the first job list
// on a cold load: a new Chromium on a fresh profile for every run (no HTTP cache, no
// compiled code), a tenant with JOBS jobs, from navigation start to the list on screen (the
// `performance.mark` the dashboard sets once its first list renders). The API runs in this
// process on a throwaway embedded Postgres.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { startPlatform } from "../src/app/platform.ts";
import { loadConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/log.ts";
import { launchChromium } from "../test/helpers/browser.ts";
import { ensureWebBuild, WEB_DIST } from "../test/helpers/web-build.ts";
import { ME_QUERY } from "../web/src/api/me.ts";
import { benchDatabase, fmt, percentile } from "./lib.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const JOBS = Number(process.env.BENCH_JOBS ?? 50);
const ADMIN_KEY = "bench-admin-key-0123456789abcdef";
/** The dashboard's mark (web/src/pages/jobs/jobs-page.tsx). */
const FIRST_LIST_MARK = "autoscorer:first-job-list";

interface Sizes {
  initialJs: number;
  allJs: number;
  initialCss: number;
  allCss: number;
}

function bundleSizes(): Sizes {
  const assets = path.join(WEB_DIST, "assets");
  const html = readFileSync(path.join(WEB_DIST, "index.html"), "utf8");
  const sizes: Sizes = { initialJs: 0, allJs: 0, initialCss: 0, allCss: 0 };
  for (const name of readdirSync(assets)) {
    const gzip = gzipSync(readFileSync(path.join(assets, name)), { level: 9 }).length;
    const initial = html.includes(`/assets/${name}`);
    if (name.endsWith(".js")) {
      sizes.allJs += gzip;
      if (initial) sizes.initialJs += gzip;
    } else if (name.endsWith(".css")) {
      sizes.allCss += gzip;
      if (initial) sizes.initialCss += gzip;
    }
  }
  return sizes;
}

async function graphql(url: string, key: string, query: string, variables = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as {
    data?: Record<string, { __typename: string; token?: string }>;
    errors?: unknown;
  };
  if (body.errors || !body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body)}`);
  return body.data;
}

async function seed(url: string, inputRoot: string): Promise<string> {
  await graphql(
    url,
    ADMIN_KEY,
    `mutation { createTenant(input: { slug: "bench", name: "Bench team", quota: { submissionsPerDay: 1000, maxQueuedJobs: 1000 } }) { __typename } }`,
  );
  const created = await graphql(
    url,
    ADMIN_KEY,
    `mutation { createApiKey(input: { tenant: "bench", name: "bench" }) { __typename ... on CreatedApiKey { token } } }`,
  );
  const key = created.createApiKey?.token as string;
  const input = path.join(inputRoot, "bench", "round-1");
  mkdirSync(input, { recursive: true });
  writeFileSync(path.join(input, "gt.csv"), "id,label\n1,a\n2,b\n");
  writeFileSync(path.join(input, "pred.csv"), "id,label\n1,a\n2,a\n");
  for (let i = 0; i < JOBS; i++) {
    const job = await graphql(
      url,
      key,
      `mutation { submitJob(input: { taskType: "classification", scorer: "classification_f1", inputUri: "round-1" }) { __typename } }`,
    );
    if (job.submitJob?.__typename !== "Job")
      throw new Error(`submit failed: ${JSON.stringify(job)}`);
  }
  return key;
}

/**
 * One cold load: a new browser on a new profile, the tab's sessionStorage holding what the
 * app keeps there once signed in (the key, and what `me` said of it), so the time covers
 * loading the app, the dashboard's queries and drawing the list, not typing the key.
 */
async function coldLoad(url: string, key: string, me: unknown): Promise<number> {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(
      ([value, who]: [string, string]) => {
        sessionStorage.setItem("autoscorer.apiKey", value);
        sessionStorage.setItem("autoscorer.me", who);
      },
      [key, JSON.stringify(me)] as [string, string],
    );
    const page = await context.newPage();
    await page.goto(`${url}/jobs`);
    await page.waitForFunction(
      (mark: string) => performance.getEntriesByName(mark).length > 0,
      FIRST_LIST_MARK,
    );
    const rows = await page.locator("tbody tr").count();
    if (rows !== JOBS) throw new Error(`the list shows ${rows} rows, not ${JOBS}`);
    if (process.env.BENCH_DEBUG) {
      // Where the time went: each request's start and end, from navigation start.
      const timings = await page.evaluate(() =>
        performance.getEntriesByType("resource").map((entry) => {
          const { name, startTime, responseEnd } = entry as PerformanceEntry & {
            responseEnd: number;
          };
          return `${name.replace(location.origin, "")} ${Math.round(startTime)}→${Math.round(responseEnd)}`;
        }),
      );
      process.stderr.write(`${timings.join("\n")}\n`);
    }
    return await page.evaluate(
      (mark: string) => performance.getEntriesByName(mark)[0]?.startTime ?? Number.NaN,
      FIRST_LIST_MARK,
    );
  } finally {
    await browser.close();
  }
}

async function main() {
  ensureWebBuild();
  const sizes = bundleSizes();
  const database = await benchDatabase();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "autoscorer-bench-web-"));
  const config = loadConfig({
    env: {},
    cwd: dataDir,
    overrides: {
      env: "production",
      adminKey: ADMIN_KEY,
      dataDir,
      "database.url": database.url,
      "server.port": 0,
      "server.host": "127.0.0.1",
      "server.rateLimit.enabled": false,
    },
  });
  const platform = await startPlatform({
    config,
    roles: { api: true, scheduler: false, worker: false },
    log: silentLogger,
    migrate: false,
  });
  try {
    const url = platform.url as string;
    const key = await seed(url, path.join(dataDir, "inputs"));
    const me = (await graphql(url, key, ME_QUERY)).me;
    await coldLoad(url, key, me); // warms the server (JIT, pools), not the browser: each run starts one anew
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) times.push(await coldLoad(url, key, me));
    const sorted = [...times].sort((a, b) => a - b);
    const kb = (bytes: number) => `${fmt(bytes / 1024, 1)} KB`;
    console.log("## bench:web");
    console.log(
      `bundle (gzip -9): JS ${kb(sizes.initialJs)} on first load, ${kb(sizes.allJs)} in all; CSS ${kb(sizes.initialCss)} on first load, ${kb(sizes.allCss)} in all`,
    );
    console.log(
      `first job list (${JOBS} jobs), cold Chromium, ${RUNS} runs: median ${fmt(percentile(sorted, 50), 0)} ms, max ${fmt(sorted.at(-1) ?? Number.NaN, 0)} ms (all: ${times.map((t) => Math.round(t)).join(", ")})`,
    );
  } finally {
    await platform.stop();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
