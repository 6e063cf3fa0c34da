// A run's output, read through an attach: made before the container starts, it receives
// every byte from the first, which a `logs` call after start could miss for a command that
// prints and exits at once. Adopted runs attach too and get the output from then on.
import type Docker from "dockerode";
import type { RunLog } from "../run/run-log.ts";
import { createFrameReader } from "./frames.ts";
import { asReadable } from "./streams.ts";

export interface AttachedOutput {
  /** Settles when the engine closes the stream: the container's stdout and stderr closed. */
  readonly ended: Promise<void>;
  /** Set when the stream broke instead of ending (the engine went away). */
  readonly error: unknown;
  close(): void;
}

export async function attachOutput(
  container: Docker.Container,
  log: RunLog,
): Promise<AttachedOutput> {
  const stream = asReadable(
    await container.attach({ stream: true, stdout: true, stderr: true, logs: false }),
  );
  const frames = createFrameReader((name, payload) => log.write(name, payload));
  let error: unknown = null;
  stream.on("data", (chunk: Buffer) => frames.write(chunk));
  const ended = new Promise<void>((resolve) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", (cause: unknown) => {
      error = cause;
      resolve();
    });
  });
  return {
    ended,
    get error() {
      return error;
    },
    close: () => stream.destroy(),
  };
}
