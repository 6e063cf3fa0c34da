// Streaming RFC 4180 CSV reader over bytes. It reads the file in fixed chunks into one
// reusable buffer and hands each record to a callback as field offsets into that buffer,
// so a 5-million-row file costs no per-row objects or strings. Consumers copy or decode
// only what they keep. Quoted fields may hold commas, newlines and doubled quotes.
import { fileError, ScoringError } from "../errors.ts";
import { openSource } from "./source.ts";

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const FLAG_QUOTED = 1;
const FLAG_ESCAPED = 2;

/** One record, valid only during the callback: offsets point into a buffer that is reused. */
export interface CsvRecord {
  /** Data row number: 0 for the header, then 1, 2, … */
  readonly row: number;
  /** Physical line where the record starts (1-based). */
  readonly line: number;
  /** Byte offset of the record in the file. */
  readonly position: number;
  readonly fieldCount: number;
  /** Set when the record is structurally broken (e.g. text after a closing quote). */
  readonly malformed: string | null;
  readonly buf: Uint8Array;
  start(field: number): number;
  end(field: number): number;
  /** True when the field held doubled quotes, so its raw bytes differ from its value. */
  escaped(field: number): boolean;
  /** The field's value as a string (decodes UTF-8 and doubled quotes). */
  text(field: number): string;
}

export interface CsvReadOptions {
  /** Workspace-relative name used in error details. */
  file: string;
  maxBytes: number;
  signal?: AbortSignal;
  chunkBytes?: number;
}

const decoder = new TextDecoder("utf-8");

class Record implements CsvRecord {
  row = 0;
  line = 1;
  position = 0;
  fieldCount = 0;
  /** Newlines inside quoted fields, so the next record's line number is right. */
  newlines = 0;
  malformed: string | null = null;
  buf: Uint8Array = new Uint8Array(0);
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  flags = new Uint8Array(16);

  start(field: number): number {
    return this.starts[field] ?? 0;
  }
  end(field: number): number {
    return this.ends[field] ?? 0;
  }
  escaped(field: number): boolean {
    return ((this.flags[field] ?? 0) & FLAG_ESCAPED) !== 0;
  }
  text(field: number): string {
    const raw = decoder.decode(this.buf.subarray(this.start(field), this.end(field)));
    return this.escaped(field) ? raw.replaceAll('""', '"') : raw;
  }
  grow(): void {
    const size = this.starts.length * 2;
    const starts = new Int32Array(size);
    starts.set(this.starts);
    const ends = new Int32Array(size);
    ends.set(this.ends);
    const flags = new Uint8Array(size);
    flags.set(this.flags);
    this.starts = starts;
    this.ends = ends;
    this.flags = flags;
  }
}

const NEED_MORE = -1;

/**
 * Parses one record starting at `pos`. Returns the offset after its line terminator, or
 * NEED_MORE when the record runs past `end` and more input may follow.
 */
function scanRecord(rec: Record, buf: Uint8Array, pos: number, end: number, eof: boolean): number {
  let i = pos;
  let f = 0;
  let newlines = 0;
  rec.malformed = null;
  rec.newlines = 0;
  for (;;) {
    if (f === rec.starts.length) rec.grow();
    if (i < end && buf[i] === QUOTE) {
      i++;
      const s = i;
      let flags = FLAG_QUOTED;
      for (;;) {
        if (i >= end) {
          if (!eof) return NEED_MORE;
          rec.malformed = "unterminated quoted field";
          rec.fieldCount = f + 1;
          rec.starts[f] = s;
          rec.ends[f] = end;
          rec.flags[f] = flags;
          rec.newlines = newlines;
          return end;
        }
        const c = buf[i];
        if (c === QUOTE) {
          if (i + 1 >= end && !eof) return NEED_MORE;
          if (i + 1 < end && buf[i + 1] === QUOTE) {
            flags |= FLAG_ESCAPED;
            i += 2;
            continue;
          }
          break;
        }
        if (c === LF) newlines++;
        i++;
      }
      rec.starts[f] = s;
      rec.ends[f] = i;
      rec.flags[f] = flags;
      f++;
      i++; // closing quote
      if (i >= end) {
        if (!eof) return NEED_MORE;
        rec.fieldCount = f;
        rec.newlines = newlines;
        return end;
      }
      const c = buf[i];
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === LF || c === CR) return finishLine(rec, buf, i, end, eof, f, newlines);
      // RFC 4180 allows nothing between a closing quote and the next separator.
      rec.malformed = "unexpected text after a closing quote";
      while (i < end && buf[i] !== LF) i++;
      if (i >= end && !eof) return NEED_MORE;
      rec.fieldCount = f;
      rec.newlines = newlines;
      return i < end ? i + 1 : end;
    }
    const s = i;
    // A quote inside an unquoted field is kept as a literal character, as Python's csv does.
    while (i < end) {
      const c = buf[i];
      if (c === COMMA || c === LF || c === CR) break;
      i++;
    }
    if (i >= end && !eof) return NEED_MORE;
    rec.starts[f] = s;
    rec.ends[f] = i;
    rec.flags[f] = 0;
    f++;
    if (i >= end) {
      rec.fieldCount = f;
      return end;
    }
    if (buf[i] === COMMA) {
      i++;
      continue;
    }
    return finishLine(rec, buf, i, end, eof, f, newlines);
  }
}

function finishLine(
  rec: Record,
  buf: Uint8Array,
  i: number,
  end: number,
  eof: boolean,
  fields: number,
  newlines: number,
): number {
  rec.fieldCount = fields;
  rec.newlines = newlines;
  if (buf[i] === CR) {
    if (i + 1 >= end && !eof) return NEED_MORE;
    return i + 1 < end && buf[i + 1] === LF ? i + 2 : i + 1;
  }
  return i + 1;
}

/** True when a record is one empty field: a blank line, which CSV readers skip. */
function isBlank(rec: Record): boolean {
  return rec.fieldCount === 1 && rec.ends[0] === rec.starts[0] && rec.flags[0] === 0;
}

/**
 * Reads `path` record by record. The header arrives as row 0. Blank lines are skipped.
 * Throws ScoringError MISSING_FILE or FILE_TOO_LARGE; everything else goes to `onRecord`.
 * Returns the number of data rows.
 */
export async function readCsv(
  path: string,
  options: CsvReadOptions,
  onRecord: (record: CsvRecord) => void,
  /** Called after each chunk's records, before the buffer they point into is reused. */
  onChunkEnd?: () => void,
): Promise<number> {
  const source = await openSource(path, options.file, options.maxBytes);
  try {
    const { size } = source;
    let buf: Uint8Array = Buffer.allocUnsafe(
      Math.max(1, Math.min(options.chunkBytes ?? 1 << 20, size + 1)),
    );
    const rec = new Record();
    let filled = 0;
    let consumed = 0;
    /** File offset of buf[0]. */
    let base = 0;
    let eof = false;
    let line = 1;
    let row = 0;
    let first = true;
    while (!eof) {
      options.signal?.throwIfAborted();
      if (filled === buf.length) {
        // One record is longer than the buffer: grow it.
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      const bytesRead = await source.read(buf, filled, buf.length - filled);
      consumed += bytesRead;
      if (consumed > options.maxBytes) {
        // The file grew while we read it; the cap holds for what we actually read.
        throw fileError("FILE_TOO_LARGE", options.file, `file exceeds ${options.maxBytes} bytes`);
      }
      filled += bytesRead;
      eof = bytesRead === 0;
      let pos = 0;
      if (first && filled >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
      if (first && (filled >= 3 || eof)) first = false;
      if (first) continue;
      rec.buf = buf;
      while (pos < filled) {
        const next = scanRecord(rec, buf, pos, filled, eof);
        if (next === NEED_MORE) break;
        if (!isBlank(rec) || rec.malformed) {
          rec.row = row++;
          rec.line = line;
          rec.position = base + pos;
          onRecord(rec);
        }
        line += rec.newlines + 1;
        pos = next;
      }
      onChunkEnd?.();
      if (pos > 0) {
        buf.copyWithin(0, pos, filled);
        filled -= pos;
        base += pos;
      }
    }
    return Math.max(0, row - 1);
  } catch (error) {
    if (error instanceof ScoringError) throw error;
    if (options.signal?.aborted) throw error;
    throw fileError("PARSE_ERROR", options.file, "cannot read file", {}, { cause: error });
  } finally {
    await source.close();
  }
}
