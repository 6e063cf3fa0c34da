// An input file opened for reading, with the checks every reader makes first (it exists,
// it is within the size cap). Small files are read with synchronous calls: a file of a few
// kilobytes is one cached read, and the thread-pool round trips of open/stat/read/read/close
// cost more main-thread CPU than the read itself (a fifth of a no-op job's CPU, measured
// with bench:scheduler). Large files keep the asynchronous path, so a 5M-row scoring never
// blocks the event loop on disk.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { fileError } from "../errors.ts";

/** Files at most this large are read synchronously. */
const SMALL_FILE_BYTES = 256 * 1024;

export interface FileSource {
  size: number;
  /** Reads into `buf` at `offset`; 0 at end of file. */
  read(buf: Uint8Array, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Opens `path` (shown to users as `file`); throws MISSING_FILE when it cannot, and
 * FILE_TOO_LARGE when it is over `maxBytes`. Readers still cap what they actually read: a
 * file may grow after this check.
 */
export async function openSource(
  path: string,
  file: string,
  maxBytes: number,
): Promise<FileSource> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw fileError("MISSING_FILE", file, "file not found or unreadable", {}, { cause: error });
  }
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (error) {
    closeSync(fd);
    throw fileError("MISSING_FILE", file, "file not found or unreadable", {}, { cause: error });
  }
  if (size > maxBytes) {
    closeSync(fd);
    throw fileError("FILE_TOO_LARGE", file, `file is ${size} bytes; the limit is ${maxBytes}`);
  }
  if (size <= SMALL_FILE_BYTES) {
    return {
      size,
      read: async (buf, offset, length) => readSync(fd, buf, offset, length, null),
      close: async () => closeSync(fd),
    };
  }
  closeSync(fd);
  const handle = await open(path, "r").catch((error: unknown) => {
    throw fileError("MISSING_FILE", file, "file not found or unreadable", {}, { cause: error });
  });
  return {
    size,
    read: async (buf, offset, length) => (await handle.read(buf, offset, length, null)).bytesRead,
    close: () => handle.close(),
  };
}
