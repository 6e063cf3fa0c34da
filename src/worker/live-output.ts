// What a worker streams of its runs while they run: output lines, coalesced per job and
// stream into chunks (at most one per stream per `flushMs`, sooner when a chunk fills),
// and CPU/memory samples (at most one per job per `sampleMs`). Everything pending is
// written in one statement per flush, whichever jobs it belongs to, and each job's
// subscribers hear of it by one small NOTIFY. Bounded at every step: a job that prints
// gigabytes costs the worker at most a few buffered chunks and the database at most
// `bytesPerAttempt` per attempt; what is not streamed is counted and said in a note, and
// logs/container.log in the workspace keeps the output either way.
import type pg from "pg";
import {
  appendLogChunks,
  appendMetricSamples,
  type LogStreamName,
  type NewLogChunk,
  type NewMetricSample,
} from "../domain/jobs/job-output.ts";
import type { JobRow } from "../domain/jobs/job-row.ts";
import type { RunEvent } from "../executors/types.ts";
import type { Logger } from "../log.ts";

export interface LiveOutputSettings {
  /** Least time between two chunks of one job's stream. */
  flushMs: number;
  /** A chunk leaves early once it holds this much text. */
  chunkBytes: number;
  /** Output stored for live viewing per attempt; past it, a note, and only the file. */
  bytesPerAttempt: number;
  /** Least time between two stored samples of one job. */
  sampleMs: number;
  /** Samples stored per attempt at `sampleMs`; after that, one per ten periods. */
  samplesPerAttempt: number;
}

export const DEFAULT_LIVE_OUTPUT: LiveOutputSettings = {
  flushMs: 250,
  chunkBytes: 64 * 1024,
  bytesPerAttempt: 4 * 1024 * 1024,
  sampleMs: 1000,
  samplesPerAttempt: 3600,
};

export interface LiveOutput {
  observe(job: JobRow, event: RunEvent): void;
  /** Writes what the attempt still has buffered: its output ends before its outcome. */
  finish(job: JobRow): Promise<void>;
  close(): Promise<void>;
}

interface Buffer {
  lines: string[];
  bytes: number;
}

interface Attempt {
  job: JobRow;
  buffers: Record<Exclude<LogStreamName, "system">, Buffer>;
  notes: string[];
  /** Bytes stored or queued for storing so far. */
  stored: number;
  capped: boolean;
  /** Lines not streamed: over the cap, or while the database was behind. */
  unstreamed: number;
  usage: Extract<RunEvent, { type: "usage" }> | null;
  samples: number;
  lastSampleAt: number;
}

const key = (job: JobRow) => `${job.id}:${job.attempt}`;

export function createLiveOutput(
  deps: { pool: pg.Pool; log: Logger },
  settings: LiveOutputSettings = DEFAULT_LIVE_OUTPUT,
): LiveOutput {
  const attempts = new Map<string, Attempt>();
  let flushing: Promise<void> | null = null;
  let flushAgain = false;

  const attemptOf = (job: JobRow): Attempt => {
    let attempt = attempts.get(key(job));
    if (!attempt) {
      attempt = {
        job,
        buffers: { stdout: { lines: [], bytes: 0 }, stderr: { lines: [], bytes: 0 } },
        notes: [],
        stored: 0,
        capped: false,
        unstreamed: 0,
        usage: null,
        samples: 0,
        lastSampleAt: 0,
      };
      attempts.set(key(job), attempt);
    }
    return attempt;
  };

  /** Takes every buffered chunk and due sample, leaving the buffers empty. */
  const drain = (only?: Attempt) => {
    const chunks: NewLogChunk[] = [];
    const samples: NewMetricSample[] = [];
    const now = Date.now();
    for (const attempt of only ? [only] : attempts.values()) {
      const base = { jobId: attempt.job.id, attempt: attempt.job.attempt };
      for (const stream of ["stdout", "stderr"] as const) {
        const buffer = attempt.buffers[stream];
        if (buffer.lines.length === 0) continue;
        chunks.push({ ...base, stream, text: buffer.lines.join("\n"), lines: buffer.lines.length });
        attempt.buffers[stream] = { lines: [], bytes: 0 };
      }
      if (attempt.notes.length > 0) {
        chunks.push({
          ...base,
          stream: "system",
          text: attempt.notes.join("\n"),
          lines: attempt.notes.length,
        });
        attempt.notes = [];
      }
      const period =
        attempt.samples < settings.samplesPerAttempt ? settings.sampleMs : settings.sampleMs * 10;
      if (attempt.usage && (only || now - attempt.lastSampleAt >= period)) {
        samples.push({
          ...base,
          at: new Date(attempt.usage.at),
          cpuMillis: attempt.usage.cpuMillis,
          memoryBytes: attempt.usage.memoryBytes,
        });
        attempt.usage = null;
        attempt.samples += 1;
        attempt.lastSampleAt = now;
      }
    }
    return { chunks, samples };
  };

  const write = async (batch: ReturnType<typeof drain>) => {
    try {
      await appendLogChunks(deps.pool, batch.chunks);
      await appendMetricSamples(deps.pool, batch.samples);
    } catch (error) {
      // Live output is a view: the run and its container.log go on without it.
      const jobIds = [...new Set([...batch.chunks, ...batch.samples].map((item) => item.jobId))];
      deps.log.warn(
        { err: error, jobIds, chunks: batch.chunks.length },
        "could not store live output",
      );
    }
  };

  /** One flush at a time; a flush asked for meanwhile runs right after. */
  const flush = (): Promise<void> => {
    if (flushing) {
      flushAgain = true;
      return flushing;
    }
    flushing = (async () => {
      do {
        flushAgain = false;
        const batch = drain();
        if (batch.chunks.length > 0 || batch.samples.length > 0) await write(batch);
      } while (flushAgain);
    })().finally(() => {
      flushing = null;
    });
    return flushing;
  };

  const timer = setInterval(() => void flush(), Math.min(settings.flushMs, settings.sampleMs));
  timer.unref();

  const line = (attempt: Attempt, stream: "stdout" | "stderr", text: string) => {
    const bytes = Buffer.byteLength(text) + 1;
    const buffer = attempt.buffers[stream];
    if (attempt.capped || attempt.stored + bytes > settings.bytesPerAttempt) {
      if (!attempt.capped) {
        attempt.capped = true;
        attempt.notes.push(
          `[live output stops after ${settings.bytesPerAttempt} bytes; logs/container.log in the workspace keeps the rest]`,
        );
      }
      attempt.unstreamed += 1;
      return;
    }
    // The database is behind (a flush is slow): hold at most a few chunks, count the rest.
    if (buffer.bytes + bytes > settings.chunkBytes * 4) {
      attempt.unstreamed += 1;
      return;
    }
    buffer.lines.push(text);
    buffer.bytes += bytes;
    attempt.stored += bytes;
    if (buffer.bytes >= settings.chunkBytes) void flush();
  };

  const PHASE_NOTES = {
    PREPARING: "[preparing the run: image and sandbox]",
    RUNNING: "[running]",
    EXITED: "[the run exited]",
  } as const;

  return {
    observe(job, event) {
      const attempt = attemptOf(job);
      switch (event.type) {
        case "log":
          line(attempt, event.stream, event.line);
          break;
        case "dropped":
          attempt.unstreamed += event.lines;
          break;
        case "usage":
          attempt.usage = event;
          break;
        case "phase":
          attempt.notes.push(PHASE_NOTES[event.phase]);
          break;
      }
    },
    async finish(job) {
      const attempt = attempts.get(key(job));
      if (!attempt) return;
      if (attempt.unstreamed > 0) {
        attempt.notes.push(
          `[${attempt.unstreamed} lines were not streamed; logs/container.log in the workspace has them]`,
        );
      }
      // Whatever a flush in progress took is written first; then this attempt's rest.
      await flushing;
      attempts.delete(key(job));
      await write(drain(attempt));
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
