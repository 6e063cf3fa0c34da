// JSON input with a size cap. COCO files are single documents, so they are read in chunks
// (never past the cap) and parsed once; syntax errors report the line and column.
import { fileError, ScoringError } from "../errors.ts";
import { openSource } from "./source.ts";

export interface JsonReadOptions {
  file: string;
  maxBytes: number;
  signal?: AbortSignal;
}

const CHUNK = 1 << 20;

export async function readJson(path: string, options: JsonReadOptions): Promise<unknown> {
  const source = await openSource(path, options.file, options.maxBytes);
  let bytes: Uint8Array;
  try {
    const { size } = source;
    bytes = new Uint8Array(size);
    let filled = 0;
    for (;;) {
      options.signal?.throwIfAborted();
      if (filled === bytes.length) {
        // The file may have grown since stat; keep reading up to the cap.
        if (filled >= options.maxBytes) {
          if ((await source.read(new Uint8Array(1), 0, 1)) > 0) {
            throw fileError(
              "FILE_TOO_LARGE",
              options.file,
              `file exceeds ${options.maxBytes} bytes`,
            );
          }
          break;
        }
        const bigger = new Uint8Array(
          Math.min(options.maxBytes, Math.max(CHUNK, bytes.length * 2)),
        );
        bigger.set(bytes.subarray(0, filled));
        bytes = bigger;
      }
      const bytesRead = await source.read(bytes, filled, Math.min(CHUNK, bytes.length - filled));
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    bytes = bytes.subarray(0, filled);
  } catch (error) {
    if (error instanceof ScoringError || options.signal?.aborted) throw error;
    throw fileError("PARSE_ERROR", options.file, "cannot read file", {}, { cause: error });
  } finally {
    await source.close();
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (error) {
    throw fileError("PARSE_ERROR", options.file, "file is not valid UTF-8", {}, { cause: error });
  }
  if (text.trim() === "") throw fileError("EMPTY_INPUT", options.file, "the file is empty");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const { line, column } = errorLocation(text, message);
    throw fileError(
      "PARSE_ERROR",
      options.file,
      `invalid JSON at line ${line}, column ${column}: ${message}`,
      { line },
      { cause: error },
    );
  }
}

/** Line and column of a JSON.parse error: from V8's "position N", or the end of the text. */
function errorLocation(text: string, message: string): { line: number; column: number } {
  const position = /position (\d+)/.exec(message)?.[1];
  const offset = position === undefined ? text.length : Math.min(Number(position), text.length);
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
