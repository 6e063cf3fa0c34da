// Follows the engine's stats stream of a running container and pushes usage samples. The
// samples are informative: a stream that fails to open or breaks ends the sampling, never
// the run, and its error is kept for run_info.json.

import type { Readable } from "node:stream";
import type Docker from "dockerode";
import type { EventChannel } from "../run/event-channel.ts";
import { createLineSplitter } from "../run/line-splitter.ts";
import { asReadable } from "./streams.ts";
import type { StatsFrame, UsageTracker } from "./usage.ts";

export interface StatsFollower {
  /** Why sampling stopped early, if it did. */
  readonly error: unknown;
  close(): void;
}

export function followStats(
  container: Docker.Container,
  tracker: UsageTracker,
  channel: EventChannel,
): StatsFollower {
  let stream: Readable | null = null;
  let closed = false;
  let error: unknown = null;
  const lines = createLineSplitter((line) => {
    if (line.trim() === "") return;
    let frame: StatsFrame;
    try {
      frame = JSON.parse(line) as StatsFrame;
    } catch (cause) {
      error = new Error(`a stats frame that is not JSON: ${line.slice(0, 200)}`, { cause });
      return;
    }
    const at = Date.now();
    const sample = tracker.sample(frame, at);
    if (sample) channel.push({ type: "usage", ...sample, at });
  });
  container.stats({ stream: true }).then(
    (opened) => {
      const readable = asReadable(opened);
      if (closed) {
        readable.destroy();
        return;
      }
      stream = readable;
      readable.on("data", (chunk: Buffer) => lines.write(chunk));
      readable.once("error", (cause: unknown) => {
        if (!closed) error = cause;
      });
    },
    (cause: unknown) => {
      if (!closed) error = cause;
    },
  );
  return {
    get error() {
      return error;
    },
    close() {
      closed = true;
      stream?.destroy();
    },
  };
}
