// The engine's framing of a container's output when it has no TTY: each piece of output is
// an 8-byte header (stream type; 3 zero bytes; payload length, big-endian) and the payload.
// Chunks from the socket end anywhere, also inside a header, so bytes wait here until a
// whole frame is in.
import type { LogStream } from "../types.ts";

const HEADER_BYTES = 8;
const STREAMS: Record<number, LogStream | undefined> = { 1: "stdout", 2: "stderr" };

export interface FrameReader {
  write(chunk: Buffer): void;
}

export function createFrameReader(
  onPayload: (stream: LogStream, payload: Buffer) => void,
): FrameReader {
  let pending: Buffer = Buffer.alloc(0);
  return {
    write(chunk) {
      let data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      while (data.length >= HEADER_BYTES) {
        const size = data.readUInt32BE(4);
        if (data.length < HEADER_BYTES + size) break;
        const stream = STREAMS[data[0] ?? 0];
        // Type 0 (stdin) is never attached here; any other type would be a protocol error
        // we cannot resynchronise from, so its payload is skipped like stdin's.
        if (stream) onPayload(stream, data.subarray(HEADER_BYTES, HEADER_BYTES + size));
        data = data.subarray(HEADER_BYTES + size);
      }
      // A copy, so the socket's (possibly large) chunk is not kept alive by a small tail.
      pending = Buffer.from(data);
    },
  };
}
