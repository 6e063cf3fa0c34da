// Logging with pino: JSON lines in production (for log shippers), readable lines in
// development. Each role gets a child logger carrying who it is (`role`), and work inside a
// role adds what it concerns (`jobId`, `requestId`, `tenantId`), so one grep follows a job
// or a request across processes. Errors go under `err`, where pino serialises them with
// their stack and cause.
import { pino } from "pino";
import pretty from "pino-pretty";

export type Logger = pino.Logger;

export interface LoggerOptions {
  /** JSON lines (production) or human-readable lines (development). */
  json: boolean;
  level?: pino.LevelWithSilent;
  /** Where lines go; standard error by default, keeping standard output for results. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? "info";
  const destination = options.destination ?? process.stderr;
  if (options.json) return pino({ level, base: { pid: process.pid } }, destination);
  return pino(
    { level, base: undefined },
    // Synchronous, in-process formatting: no worker thread to lose lines on a crash.
    pretty({ destination, sync: true, colorize: false, ignore: "pid,hostname" }),
  );
}

/** For tests and tools that want no output. */
export const silentLogger: Logger = pino({ level: "silent" });
