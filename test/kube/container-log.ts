// A container's log as the kubelet keeps it (the CRI log file): whole lines, each tagged
// with its stream and a nanosecond timestamp, so `/log` can filter by stream (the
// PodLogsQuerySplitStreams API), prefix timestamps, start at sinceTime, and follow new lines
// until the container has ended. Lines are kept as bytes: a reader must get exactly what the
// container wrote, multi-byte characters split across writes included.
import type { ServerResponse } from "node:http";

export type StreamName = "stdout" | "stderr";

interface Entry {
  stream: StreamName;
  /** Nanoseconds since the epoch; strictly increasing within one log. */
  at: bigint;
  bytes: Buffer;
  /** False for a last line that had no newline when the container ended. */
  complete: boolean;
}

export interface LogQuery {
  streams: ReadonlySet<StreamName>;
  follow: boolean;
  timestamps: boolean;
  sinceNs: bigint | null;
  tailLines: number | null;
  limitBytes: number | null;
}

/** RFC 3339 with nanoseconds, trailing zeros trimmed, as Go's time.RFC3339Nano prints. */
export function formatTimestamp(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  const base = new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, "");
  return `${base}${fraction ? `.${fraction}` : ""}Z`;
}

/** Parses RFC 3339 (any fraction) to nanoseconds; null when it is not a timestamp. */
export function parseTimestamp(text: string): bigint | null {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(
    text,
  );
  if (!match) return null;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(ms)) return null;
  return BigInt(ms) * 1_000_000n + BigInt((match[2] ?? "").padEnd(9, "0"));
}

export interface ContainerLog {
  write(stream: StreamName, chunk: Buffer): void;
  /** The container has ended: partial lines are flushed and followers are let go. */
  end(): void;
  readonly ended: boolean;
  serve(query: LogQuery, response: ServerResponse): void;
}

export function createContainerLog(): ContainerLog {
  const entries: Entry[] = [];
  const partial: Record<StreamName, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  const followers = new Set<(entry: Entry | null) => void>();
  let last = 0n;
  let ended = false;

  const stamp = () => {
    const now = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    last = now > last ? now : last + 1n;
    return last;
  };
  const add = (entry: Entry) => {
    entries.push(entry);
    for (const follower of followers) follower(entry);
  };

  return {
    write(stream, chunk) {
      let buffer = Buffer.concat([partial[stream], chunk]);
      let newline = buffer.indexOf(0x0a);
      while (newline >= 0) {
        add({ stream, at: stamp(), bytes: buffer.subarray(0, newline), complete: true });
        buffer = buffer.subarray(newline + 1);
        newline = buffer.indexOf(0x0a);
      }
      partial[stream] = Buffer.from(buffer);
    },
    end() {
      if (ended) return;
      for (const stream of ["stdout", "stderr"] as const)
        if (partial[stream].length > 0)
          add({ stream, at: stamp(), bytes: partial[stream], complete: false });
      ended = true;
      for (const follower of followers) follower(null);
      followers.clear();
    },
    get ended() {
      return ended;
    },
    serve(query, response) {
      response.writeHead(200, { "Content-Type": "text/plain" });
      let budget = query.limitBytes ?? Number.POSITIVE_INFINITY;
      const wanted = (entry: Entry) =>
        query.streams.has(entry.stream) && (query.sinceNs === null || entry.at >= query.sinceNs);
      const send = (entry: Entry) => {
        const prefix = query.timestamps ? `${formatTimestamp(entry.at)} ` : "";
        const line = Buffer.concat([
          Buffer.from(prefix),
          entry.bytes,
          Buffer.from(entry.complete ? "\n" : ""),
        ]);
        const piece = line.length > budget ? line.subarray(0, budget) : line;
        budget -= piece.length;
        response.write(piece);
        return budget > 0;
      };
      let backlog = entries.filter(wanted);
      if (query.tailLines !== null)
        backlog = backlog.slice(Math.max(0, backlog.length - query.tailLines));
      for (const entry of backlog) {
        if (!send(entry)) {
          response.end();
          return;
        }
      }
      if (!query.follow || ended) {
        response.end();
        return;
      }
      const follower = (entry: Entry | null) => {
        if (entry === null) response.end();
        else if (wanted(entry) && !send(entry)) {
          followers.delete(follower);
          response.end();
        }
      };
      followers.add(follower);
      response.on("close", () => followers.delete(follower));
    },
  };
}
