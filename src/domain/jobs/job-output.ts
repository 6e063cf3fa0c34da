// What a running job produces besides its state: its output lines, coalesced into chunks,
// and CPU/memory samples. Workers append them (a batch of jobs' rows in one statement, then
// one small NOTIFY per job naming the newest row); the API reads them for `job.logs`,
// `job.metrics` and the jobLogs / jobMetrics subscriptions, the row id being the cursor.
import { prepared } from "../../db/prepared.ts";
import { publishMany } from "../../db/pubsub.ts";
import type { Sql } from "../../db/sql.ts";

export const LOGS_TOPIC = "job-logs";
export const METRICS_TOPIC = "job-metrics";

export type LogStreamName = "stdout" | "stderr" | "system";

export interface LogChunk {
  /** bigint id as text: the cursor. */
  id: string;
  jobId: string;
  attempt: number;
  stream: LogStreamName;
  /** Whole lines joined with "\n" (no trailing newline). */
  text: string;
  lines: number;
  at: Date;
  /** Chunks a slow subscriber did not get before this one (live only). */
  skipped?: number;
}

export interface MetricSample {
  id: string;
  jobId: string;
  attempt: number;
  at: Date;
  cpuMillis: number;
  memoryBytes: number;
  skipped?: number;
}

export type NewLogChunk = Omit<LogChunk, "id" | "at" | "skipped">;
export type NewMetricSample = Omit<MetricSample, "id" | "skipped">;

/** What a subscriber of a job's output is told about new rows. */
interface AppendedEvent {
  jobId: string;
  id: string;
}

const INSERT_CHUNKS = prepared(
  "output.insert-chunks",
  `INSERT INTO "JobLogChunk" ("jobId", attempt, stream, text, lines)
   SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::int[])
   RETURNING id::text, "jobId"`,
);

/** Appends chunks of several jobs at once and tells their subscribers. */
export async function appendLogChunks(sql: Sql, chunks: readonly NewLogChunk[]): Promise<void> {
  if (chunks.length === 0) return;
  const { rows } = await sql.query<AppendedEvent>(
    INSERT_CHUNKS([
      chunks.map((c) => c.jobId),
      chunks.map((c) => c.attempt),
      chunks.map((c) => c.stream),
      chunks.map((c) => c.text),
      chunks.map((c) => c.lines),
    ]),
  );
  await publishMany(sql, newest(rows, LOGS_TOPIC));
}

const INSERT_SAMPLES = prepared(
  "output.insert-samples",
  `INSERT INTO "JobMetricSample" ("jobId", attempt, at, "cpuMillis", "memoryBytes")
   SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamp[], $4::int[], $5::bigint[])
   RETURNING id::text, "jobId"`,
);

export async function appendMetricSamples(
  sql: Sql,
  samples: readonly NewMetricSample[],
): Promise<void> {
  if (samples.length === 0) return;
  const { rows } = await sql.query<AppendedEvent>(
    INSERT_SAMPLES([
      samples.map((s) => s.jobId),
      samples.map((s) => s.attempt),
      // UTC wall time, as every TIMESTAMP column holds (src/db/timestamps.ts).
      samples.map((s) => s.at.toISOString()),
      samples.map((s) => s.cpuMillis),
      samples.map((s) => s.memoryBytes),
    ]),
  );
  await publishMany(sql, newest(rows, METRICS_TOPIC));
}

/** One event per job, naming its newest row: subscribers read everything up to it. */
function newest(rows: readonly AppendedEvent[], topic: string) {
  const byJob = new Map<string, AppendedEvent>();
  for (const row of rows) {
    const known = byJob.get(row.jobId);
    if (!known || BigInt(row.id) > BigInt(known.id)) byJob.set(row.jobId, row);
  }
  return [...byJob.values()].map((data) => ({ topic, key: data.jobId, data }));
}

const CHUNK_COLUMNS = `id::text, "jobId", attempt, stream, text, lines, at`;
const SAMPLE_COLUMNS = `id::text, "jobId", attempt, at, "cpuMillis", "memoryBytes"::float8 AS "memoryBytes"`;

/** A job's chunks after `after`, oldest first. */
export async function logChunksAfter(
  sql: Sql,
  jobId: string,
  after: bigint,
  limit: number,
): Promise<LogChunk[]> {
  const { rows } = await sql.query<LogChunk>(
    `SELECT ${CHUNK_COLUMNS} FROM "JobLogChunk" WHERE "jobId" = $1 AND id > $2
     ORDER BY id LIMIT $3`,
    [jobId, after.toString(), limit],
  );
  return rows;
}

/** A job's last `limit` chunks, oldest first. */
export async function lastLogChunks(sql: Sql, jobId: string, limit: number): Promise<LogChunk[]> {
  const { rows } = await sql.query<LogChunk>(
    `SELECT * FROM (SELECT ${CHUNK_COLUMNS} FROM "JobLogChunk" WHERE "jobId" = $1
       ORDER BY id DESC LIMIT $2) c ORDER BY id`,
    [jobId, limit],
  );
  return rows;
}

export async function metricSamplesAfter(
  sql: Sql,
  jobId: string,
  after: bigint,
  limit: number,
): Promise<MetricSample[]> {
  const { rows } = await sql.query<MetricSample>(
    `SELECT ${SAMPLE_COLUMNS} FROM "JobMetricSample" WHERE "jobId" = $1 AND id > $2
     ORDER BY id LIMIT $3`,
    [jobId, after.toString(), limit],
  );
  return rows;
}

export async function lastMetricSamples(
  sql: Sql,
  jobId: string,
  limit: number,
): Promise<MetricSample[]> {
  const { rows } = await sql.query<MetricSample>(
    `SELECT * FROM (SELECT ${SAMPLE_COLUMNS} FROM "JobMetricSample" WHERE "jobId" = $1
       ORDER BY id DESC LIMIT $2) s ORDER BY id`,
    [jobId, limit],
  );
  return rows;
}
