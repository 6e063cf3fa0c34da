// The engine's framing of a container's output when it has no TTY: each piece of output is
// an 8-byte header (stream type; 3 zero bytes; payload length, big-endian) and the payload.
// Chunks from the socket end anywhere, also inside a header, so they queue here until a
// whole frame is in; each byte is copied at most once, however small the chunks.
import type { LogStream } from "../types.ts";

const HEADER_BYTES = 8;
const STREAMS: Record<number, LogStream | undefined> = { 1: "stdout", 2: "stderr" };

export interface FrameReader {
  write(chunk: Buffer): void;
}

export function createFrameReader(
  onPayload: (stream: LogStream, payload: Buffer) => void,
): FrameReader {
  // A queue with a moving head: Array#shift is linear in the queue's length once it is
  // long (many tiny chunks), which would make reading quadratic.
  let chunks: Buffer[] = [];
  let head = 0;
  let buffered = 0;
  const drop = () => {
    head += 1;
    if (head === chunks.length) {
      chunks = [];
      head = 0;
    } else if (head >= 1024) {
      chunks = chunks.slice(head);
      head = 0;
    }
  };

  /** The first `count` queued bytes, removed from the queue. */
  const take = (count: number): Buffer => {
    const first = chunks[head];
    if (first && first.length >= count) {
      if (first.length === count) drop();
      else chunks[head] = first.subarray(count);
      buffered -= count;
      return first.subarray(0, count);
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const chunk = chunks[head] as Buffer;
      const used = Math.min(chunk.length, count - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) drop();
      else chunks[head] = chunk.subarray(used);
    }
    buffered -= count;
    return out;
  };

  /** The queued header's stream type and payload size, without taking it. */
  const peekHeader = (): { type: number; size: number } => {
    const header = Buffer.alloc(HEADER_BYTES);
    let filled = 0;
    for (let i = head; filled < HEADER_BYTES && i < chunks.length; i++) {
      const chunk = chunks[i] as Buffer;
      filled += chunk.copy(header, filled, 0, Math.min(chunk.length, HEADER_BYTES - filled));
    }
    return { type: header[0] ?? 0, size: header.readUInt32BE(4) };
  };

  return {
    write(chunk) {
      if (chunk.length === 0) return;
      chunks.push(chunk);
      buffered += chunk.length;
      while (buffered >= HEADER_BYTES) {
        const { type, size } = peekHeader();
        if (buffered < HEADER_BYTES + size) return;
        take(HEADER_BYTES);
        const payload = take(size);
        const stream = STREAMS[type];
        // Type 0 (stdin) is never attached here; any other type would be a protocol error
        // there is no resynchronising from, so its payload is skipped like stdin's.
        if (stream) onPayload(stream, payload);
      }
    },
  };
}
