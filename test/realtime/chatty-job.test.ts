// A job that prints 50 MB of output while a client follows it: the client gets the output in
// a bounded number of coalesced chunks and a note of what was not streamed, the database
// holds at most the per-attempt bound, and the server's memory stays within a bound while
// it all happens (API, scheduler and worker run in this process).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { connectLive, type LiveClient } from "../helpers/live.ts";
import { submit } from "../jobs/helpers.ts";
import { startTestPipeline, type TestPipeline } from "../pipeline/helpers.ts";

const OUTPUT_BYTES = 50 * 1024 * 1024;
const STORED_MB = 2;

let p: TestPipeline;
let key: string;
let client: LiveClient;

beforeAll(async () => {
  p = await startTestPipeline({ config: { "realtime.logMbPerAttempt": STORED_MB } });
  await createTenant(p.api, "loud");
  key = (await createKey(p.api, "loud", "MEMBER")).token;
  p.input("loud", "ok");
  await p.addWorker("loud-node", {}, { "realtime.logMbPerAttempt": STORED_MB });
}, 60_000);
afterAll(async () => {
  await client?.dispose();
  await p?.close();
});

describe("a job printing 50 MB", () => {
  it("streams coalesced, bounded output and keeps the server's memory bounded", async () => {
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    try {
      const job = await submit(
        p.api,
        {
          taskType: "classification",
          scorer: "classification_f1",
          inputUri: "ok",
          container: {
            image: "local",
            // 100-byte lines: 524,288 of them.
            cmd: [
              "sh",
              "-c",
              `head -c ${OUTPUT_BYTES} /dev/zero | tr '\\0' x | fold -w 99; cp input/data/pred.csv output/`,
            ],
          },
        },
        key,
      );
      const id = (job as { id: string }).id;
      client = connectLive(p.api.url, key);
      const logs = client.subscribe<{
        jobLogs: { stream: string; text: string; lines: number; skipped: number };
      }>("subscription($id: ID!) { jobLogs(id: $id) { stream text lines skipped } }", { id });
      expect((await p.waitFor(id, ["SUCCEEDED", "FAILED"], 120_000)).state).toBe("SUCCEEDED");
      await logs.until(
        (v) => v.some((c) => /lines were not streamed/.test(c.jobLogs.text)),
        20_000,
      );

      const stdout = logs.values.filter((c) => c.jobLogs.stream === "stdout");
      const lines = stdout.reduce((n, c) => n + c.jobLogs.lines, 0);
      // Whole 99-character lines only, and at most what the per-attempt bound holds.
      expect(
        stdout.every((c) => c.jobLogs.text.split("\n").every((l) => l === "x".repeat(99))),
      ).toBe(true);
      expect(lines * 100).toBeLessThanOrEqual(STORED_MB * 1024 * 1024);
      expect(lines).toBeGreaterThan(1000);
      // Coalesced: hundreds of lines per chunk, not one message per line.
      expect(stdout.length).toBeLessThan(lines / 100);
      const notes = logs.values
        .filter((c) => c.jobLogs.stream === "system")
        .map((c) => c.jobLogs.text);
      expect(notes.join("\n")).toMatch(/live output stops after/);

      const { rows } = await p.api.db.pool.query<{ bytes: number }>(
        `SELECT coalesce(sum(octet_length(text)), 0)::int AS bytes FROM "JobLogChunk" WHERE "jobId" = $1`,
        [id],
      );
      expect(rows[0]?.bytes).toBeLessThanOrEqual(STORED_MB * 1024 * 1024 + 64 * 1024);
      // 50 MB went through the worker's pipes; the server grew by far less than that.
      expect(peak - baseline).toBeLessThan(150 * 1024 * 1024);
    } finally {
      clearInterval(sampler);
    }
  }, 180_000);
});
