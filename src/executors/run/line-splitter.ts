// Turns a stream's byte chunks into whole lines. Chunks end anywhere, also inside a
// multi-byte UTF-8 character; the decoder holds such a tail until the rest arrives, so a
// line is never garbled at a chunk boundary. A line longer than `maxLineBytes` is cut into
// pieces of about that size: one endless line must not hold the whole output in memory.
import { StringDecoder } from "node:string_decoder";

export interface LineSplitter {
  write(chunk: Buffer): void;
  /** Emits what is left after the last newline, if anything. */
  end(): void;
}

export function createLineSplitter(
  onLine: (line: string) => void,
  maxLineBytes = 16 * 1024,
): LineSplitter {
  const decoder = new StringDecoder("utf8");
  let partial = "";

  const take = (text: string) => {
    partial += text;
    let newline = partial.indexOf("\n");
    while (newline >= 0) {
      const line = partial.slice(0, newline);
      onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
      partial = partial.slice(newline + 1);
      newline = partial.indexOf("\n");
    }
    // Characters, not bytes, for the cut: cheap, and within 4x of the byte bound.
    while (partial.length > maxLineBytes) {
      onLine(partial.slice(0, maxLineBytes));
      partial = partial.slice(maxLineBytes);
    }
  };

  return {
    write: (chunk) => take(decoder.write(chunk)),
    end() {
      take(decoder.end());
      if (partial.length > 0) onLine(partial);
      partial = "";
    },
  };
}
