// Shared benchmark helpers: a throwaway embedded Postgres, closed-loop load with fixed
// concurrency, and percentiles.
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { migratePlatform } from "../src/app/migrate.ts";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";

export async function benchDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "autoscorer-bench-"));
  const postgres = await startEmbeddedPostgres({ dir, port: 0 });
  const admin = new pg.Client(postgres.adminUrl);
  await admin.connect();
  await admin.query("CREATE DATABASE bench");
  await admin.end();
  const url = postgres.urlFor("bench");
  await migratePlatform(url);
  return {
    url,
    stop: async () => {
      await postgres.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface LoadResult {
  operations: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

/** Runs `operation` from `concurrency` loops for `seconds`; every call must succeed. */
export async function closedLoop(
  operation: () => Promise<void>,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await operation();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    operations: latencies.length,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Fields of /proc/PID/stat after the parenthesised command name. */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** User + system CPU seconds the given Linux processes have used so far (from /proc). */
export function processCpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    // utime and stime are the 12th and 13th fields after the command name.
    const fields = statFields(pid);
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU seconds of every `postgres` process on the machine, with what exited children left
 * to their parent (cutime, cstime): the benchmark's embedded cluster is the only one running.
 */
export function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("postgres")) continue;
      const fields = statFields(pid);
      ticks += [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    } catch {
      // The process ended while being read.
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux this runs on (the kernel ABI fixes it for /proc). */
const CLOCK_TICKS_PER_SECOND = 100;
