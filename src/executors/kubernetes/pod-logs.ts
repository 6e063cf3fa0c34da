// Follows a pod's log into the run log, losing nothing and repeating nothing. Lines are
// asked for with timestamps: when a follow connection breaks (an API server restart, a load
// balancer's idle timeout) the next one starts at the last line's second (sinceTime) and
// skips the lines already taken. A follow that ends while the container may still run is
// reopened; one that ends after the container ended is complete. With split streams (the
// PodLogsQuerySplitStreams API) stdout and stderr are followed apart; without, every line is
// reported as stdout, since Kubernetes then interleaves them.
import { StringDecoder } from "node:string_decoder";
import type { LogStream } from "../types.ts";
import { apiError, type KubeApiError } from "./failures.ts";
import type { KubeClient } from "./kube-client.ts";

/** Where a follower stands with the container it reads. */
export type ContainerProgress = "waiting" | "running" | "ended" | "gone";

export interface LogFollower {
  /** The pod's container moved on; a follower waiting for it may proceed. */
  update(progress: ContainerProgress): void;
  /** Resolves once every line was delivered, or the log can no longer be read. */
  readonly done: Promise<void>;
  stop(): void;
}

export interface FollowOptions {
  client: KubeClient;
  namespace: string;
  pod: string;
  container: string;
  /** "Stdout"/"Stderr" with split streams; null for the interleaved log. */
  stream: "Stdout" | "Stderr" | null;
  onLine(stream: LogStream, line: string): void;
  /** A log that could not be read to its end (the API stayed away). */
  onLost(error: KubeApiError): void;
  retryMs: number;
  maxLineBytes?: number;
}

/** Nanoseconds since the epoch of an RFC 3339 timestamp with up to 9 fraction digits. */
export function timestampNs(text: string): bigint | null {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) return null;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  return Number.isNaN(ms)
    ? null
    : BigInt(ms) * 1_000_000n + BigInt((match[2] ?? "").padEnd(9, "0"));
}

/** Splits timestamped log bytes into lines; a line too long is cut into continued pieces. */
function timestampedLines(
  maxLineBytes: number,
  onLine: (timestamp: bigint | null, text: string, continued: boolean) => void,
) {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let continued = false;
  const decoder = new StringDecoder("utf8");
  const emit = (bytes: Buffer, complete: boolean) => {
    const text = decoder.write(bytes) + (complete ? decoder.end() : "");
    if (continued) onLine(null, text, true);
    else {
      const space = text.indexOf(" ");
      const stamp = space > 0 ? timestampNs(text.slice(0, space)) : null;
      onLine(stamp, stamp === null ? text : text.slice(space + 1), false);
    }
    continued = !complete;
  };
  return {
    write(chunk: Buffer) {
      let rest = chunk;
      let newline = rest.indexOf(0x0a);
      while (newline >= 0) {
        emit(Buffer.concat([...pending, rest.subarray(0, newline)]), true);
        pending = [];
        pendingBytes = 0;
        rest = rest.subarray(newline + 1);
        newline = rest.indexOf(0x0a);
      }
      if (rest.length > 0) {
        pending.push(Buffer.from(rest));
        pendingBytes += rest.length;
      }
      if (pendingBytes > maxLineBytes) {
        emit(Buffer.concat(pending), false);
        pending = [];
        pendingBytes = 0;
      }
    },
    end() {
      if (pendingBytes > 0) emit(Buffer.concat(pending), true);
      pending = [];
      pendingBytes = 0;
      continued = false;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function followPodLog(options: FollowOptions): LogFollower {
  const reported: LogStream = options.stream === "Stderr" ? "stderr" : "stdout";
  let progress: ContainerProgress = "waiting";
  let stopped = false;
  let last: bigint | null = null;
  let skipping = false;
  const abort = new AbortController();
  let nudge: () => void = () => {};
  const changed = () =>
    new Promise<void>((resolve) => {
      nudge = resolve;
    });

  const take = (timestamp: bigint | null, text: string, continued: boolean) => {
    if (continued) {
      if (!skipping) options.onLine(reported, text);
      return;
    }
    // Lines at or before the last one taken were delivered by an earlier connection.
    skipping = timestamp !== null && last !== null && timestamp <= last;
    if (skipping) return;
    if (timestamp !== null) last = timestamp;
    options.onLine(reported, text);
  };

  /** One GET of the log; resolves when the response ended (true) or could not start. */
  const read = async (follow: boolean): Promise<"ended" | "not-ready" | "gone"> => {
    const query: Record<string, string> = {
      container: options.container,
      timestamps: "true",
      follow: String(follow),
    };
    if (options.stream) query.stream = options.stream;
    // sinceTime has whole seconds: start at the last line's second, skip what was seen.
    if (last !== null)
      query.sinceTime = new Date(Number(last / 1_000_000_000n) * 1000)
        .toISOString()
        .replace(/\.\d+Z$/, "Z");
    const response = await options.client.stream(
      `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods/${encodeURIComponent(options.pod)}/log`,
      query,
      abort.signal,
    );
    if (response.statusCode === 404) {
      response.resume();
      return "gone";
    }
    if (response.statusCode !== 200) {
      const body = await readBody(response);
      // 400 "waiting to start": the container has not started yet.
      if (response.statusCode === 400) return "not-ready";
      throw apiError({ statusCode: response.statusCode, message: body }, "reading the pod log");
    }
    const lines = timestampedLines(options.maxLineBytes ?? 64 * 1024, take);
    await new Promise<void>((resolve, reject) => {
      let complete = false;
      response.on("data", (chunk: Buffer) => lines.write(chunk));
      response.once("end", () => {
        complete = true;
        lines.end();
        resolve();
      });
      response.once("error", reject);
      // A connection cut mid-response closes without an end; the next read resumes.
      response.once("close", () => {
        if (!complete) reject(new Error("the log response was cut off"));
      });
    });
    return "ended";
  };

  const run = async () => {
    let failingSince: number | null = null;
    let backoffMs = 200;
    while (!stopped) {
      if (progress === "gone") return;
      if (progress === "waiting") {
        await changed();
        continue;
      }
      const endedBefore = progress === "ended";
      try {
        const result = await read(!endedBefore);
        failingSince = null;
        backoffMs = 200;
        if (result === "gone") return;
        if (result === "not-ready") {
          await Promise.race([changed(), sleep(1000)]);
          continue;
        }
        // A read that began after the container ended has every line there is.
        if (endedBefore) return;
        // The follow ended: the container ended, or the connection did. The pod's status
        // tells which; a last read then takes whatever the cut connection missed.
        if (progress === "running") await Promise.race([changed(), sleep(2000)]);
      } catch (error: unknown) {
        if (stopped) return;
        failingSince ??= Date.now();
        if (Date.now() - failingSince > options.retryMs) {
          options.onLost(apiError(error, "reading the pod log"));
          return;
        }
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    }
  };

  const done = run();
  return {
    update(next) {
      if (progress === "gone" || (progress === "ended" && next !== "gone")) return;
      progress = next;
      nudge();
    },
    done,
    stop() {
      stopped = true;
      abort.abort();
      nudge();
    },
  };
}

async function readBody(response: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8").slice(0, 2000);
}
