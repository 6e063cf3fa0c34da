// Reads a ground-truth CSV and joins a prediction CSV onto it by id. Values are either
// labels (interned to small ints) or numbers; both live in typed arrays indexed by the
// ground-truth row, so the join costs one hash lookup per prediction row.

import { type Defect, DefectList, fileError } from "../errors.ts";
import { type CsvReadOptions, type CsvRecord, readCsv } from "../readers/csv.ts";
import { hashBytes, IdTable, MAX_KEY_BYTES } from "./id-table.ts";
import { parseDecimal } from "./numbers.ts";

export type ValueKind = "label" | "number";

export interface TableSpec {
  idColumn: string;
  valueColumn: string;
  kind: ValueKind;
}

export interface ReadLimits {
  maxBytes: number;
  signal?: AbortSignal;
  defectCap?: number;
}

/** Class codes per row, in the narrowest array that holds every code. */
export type Codes = Uint8Array | Uint16Array | Int32Array;

function codesFor(length: number, largestCode: number): Codes {
  if (largestCode < 0xff) return new Uint8Array(length);
  if (largestCode < 0xffff) return new Uint16Array(length);
  return new Int32Array(length);
}

export interface GroundTruth {
  rows: number;
  ids: IdTable;
  /** kind "label": class index per row; classes are `labels.key(i)`. */
  labels: IdTable;
  codes: Codes;
  /** kind "number": the value per row. */
  values: Float64Array;
}

export interface Predictions {
  /** Aligned with the ground truth: codes[i] predicts ground-truth row i. */
  codes: Codes;
  values: Float64Array;
  /** Code given to predicted labels that never occur in the ground truth. */
  otherCode: number;
}

const encoder = new TextEncoder();

/** A field's value as bytes when it held doubled quotes (rare; the common path reads in place). */
function unescaped(rec: CsvRecord, field: number): Uint8Array {
  return encoder.encode(rec.text(field));
}

interface Columns {
  count: number;
  id: number;
  value: number;
}

function resolveHeader(rec: CsvRecord, spec: TableSpec, defects: DefectList): Columns | null {
  const names: string[] = [];
  for (let f = 0; f < rec.fieldCount; f++) names.push(rec.text(f).trim());
  const problems: string[] = [];
  if (rec.malformed) problems.push(rec.malformed);
  for (const wanted of [spec.idColumn, spec.valueColumn]) {
    if (!names.includes(wanted)) problems.push(`missing column "${wanted}"`);
  }
  const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
  if (duplicates.length > 0) problems.push(`duplicate columns ${JSON.stringify(duplicates)}`);
  if (problems.length > 0) {
    defects.add({
      code: "BAD_HEADER",
      message: `${problems.join("; ")} (header: ${JSON.stringify(names)})`,
      row: 0,
      line: rec.line,
    });
    return null;
  }
  return {
    count: names.length,
    id: names.indexOf(spec.idColumn),
    value: names.indexOf(spec.valueColumn),
  };
}

/** Row-shape checks shared by both files; false when the row is unusable. */
function checkShape(rec: CsvRecord, columns: Columns, defects: DefectList): boolean {
  if (rec.malformed) {
    defects.add({ code: "PARSE_ERROR", message: rec.malformed, row: rec.row, line: rec.line });
    return false;
  }
  if (rec.fieldCount !== columns.count) {
    defects.add({
      code: "PARSE_ERROR",
      message: `expected ${columns.count} fields, found ${rec.fieldCount}`,
      row: rec.row,
      line: rec.line,
    });
    return false;
  }
  if (rec.end(columns.id) - rec.start(columns.id) > MAX_KEY_BYTES) {
    defects.add({
      code: "INVALID_VALUE",
      message: `the id is longer than ${MAX_KEY_BYTES} bytes`,
      row: rec.row,
      line: rec.line,
      column: "id",
    });
    return false;
  }
  if (rec.end(columns.id) === rec.start(columns.id)) {
    defects.add({
      code: "MISSING_ID",
      message: "the id cell is empty",
      row: rec.row,
      line: rec.line,
    });
    return false;
  }
  return true;
}

function emptyOrHeaderOnly(file: string, sawHeader: boolean): never {
  throw fileError(
    "EMPTY_INPUT",
    file,
    sawHeader ? "the file has a header but no rows" : "the file is empty",
  );
}

function growInt32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}
function growFloat64(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

/** Rows looked up together (see IdTable.findBatch). */
const BATCH = 256;
const GT_BATCH = 256;

export async function readGroundTruth(
  path: string,
  file: string,
  spec: TableSpec,
  limits: ReadLimits,
  fileSize: number,
): Promise<GroundTruth> {
  const defects = new DefectList(file, limits.defectCap);
  const ids = new IdTable(1024);
  const labels = new IdTable(16);
  let codes = new Int32Array(spec.kind === "label" ? 1024 : 0);
  let values = new Float64Array(spec.kind === "number" ? 1024 : 0);
  let columns: Columns | null = null;
  let headerSeen = false;
  let reserved = false;
  const firstRowOf = new Map<number, number>();
  let divergedAt = Number.POSITIVE_INFINITY;
  const firstRow = (index: number) => {
    const row = firstRowOf.get(index) ?? (index < divergedAt ? index + 1 : undefined);
    return row === undefined ? "" : ` (first at row ${row})`;
  };
  const options: CsvReadOptions = { file, maxBytes: limits.maxBytes, signal: limits.signal };

  // Inserts wait in a batch whose slots are warmed together (see IdTable.findBatch).
  const starts = new Int32Array(GT_BATCH);
  const ends = new Int32Array(GT_BATCH);
  const hashes = new Int32Array(GT_BATCH);
  const rows = new Int32Array(GT_BATCH);
  const lines = new Int32Array(GT_BATCH);
  const parsed = new Float64Array(GT_BATCH);
  let pending = 0;
  let batchBuf: Uint8Array = new Uint8Array(0);

  const commit = (index: number, row: number, line: number, value: number) => {
    if (index < 0) {
      const first = -index - 1;
      defects.add({
        code: "DUPLICATE_ID",
        message: `id ${JSON.stringify(ids.key(first))} appears again${firstRow(first)}`,
        row,
        line,
        id: ids.key(first),
      });
      return;
    }
    // Rows map to indexes one to one until a defect; after that, remember rows (a bounded
    // number: they only serve error messages, and a broken file may be millions of rows).
    if (index + 1 !== row) {
      divergedAt = Math.min(divergedAt, index);
      if (firstRowOf.size < 10_000) firstRowOf.set(index, row);
    }
    if (spec.kind === "label") {
      if (index >= codes.length) codes = growInt32(codes, index + 1);
      codes[index] = value;
    } else {
      if (index >= values.length) values = growFloat64(values, index + 1);
      values[index] = value;
    }
  };

  const flush = () => {
    ids.prefetch(hashes, pending);
    for (let k = 0; k < pending; k++) {
      const index = ids.insertHashed(
        batchBuf,
        starts[k] as number,
        ends[k] as number,
        hashes[k] as number,
      );
      commit(index, rows[k] as number, lines[k] as number, parsed[k] as number);
    }
    pending = 0;
  };

  const onRecord = (rec: CsvRecord) => {
    if (rec.row === 0) {
      headerSeen = true;
      columns = resolveHeader(rec, spec, defects);
      return;
    }
    if (!columns) return;
    if (!reserved && rec.row === 4096 && rec.position > 0) {
      // Size the tables once from the file size, instead of doubling through 5M rows.
      reserved = true;
      const expected = Math.ceil((fileSize / rec.position) * rec.row * 1.05);
      const bytesPerKey = ids.size > 0 ? ids.bytes / ids.size : 16;
      ids.reserve(expected, Math.ceil(expected * bytesPerKey * 1.05));
      if (spec.kind === "label") codes = growInt32(codes, expected);
      else values = growFloat64(values, expected);
    }
    if (!checkShape(rec, columns, defects)) return;
    let vb = rec.buf;
    let vs = rec.start(columns.value);
    let ve = rec.end(columns.value);
    if (rec.escaped(columns.value)) {
      vb = unescaped(rec, columns.value);
      vs = 0;
      ve = vb.length;
    }
    let code = 0;
    let value = 0;
    if (spec.kind === "label") {
      if (ve === vs) {
        defects.add({
          code: "INVALID_VALUE",
          message: `empty "${spec.valueColumn}"`,
          row: rec.row,
          line: rec.line,
          column: spec.valueColumn,
        });
        return;
      }
      code = labels.insert(vb, vs, ve);
      if (code < 0) code = -code - 1;
    } else {
      value = parseDecimal(vb, vs, ve);
      if (!Number.isFinite(value)) {
        defects.add({
          code: "INVALID_VALUE",
          message: `"${spec.valueColumn}" is not a finite number: ${JSON.stringify(rec.text(columns.value).slice(0, 100))}`,
          row: rec.row,
          line: rec.line,
          column: spec.valueColumn,
        });
        return;
      }
    }
    if (rec.escaped(columns.id)) {
      // Keep ids indexed in row order: the batch before this row goes first.
      flush();
      const id = unescaped(rec, columns.id);
      commit(ids.insert(id, 0, id.length), rec.row, rec.line, spec.kind === "label" ? code : value);
      return;
    }
    if (pending === GT_BATCH) flush();
    const s = rec.start(columns.id);
    const e = rec.end(columns.id);
    batchBuf = rec.buf;
    starts[pending] = s;
    ends[pending] = e;
    hashes[pending] = hashBytes(rec.buf, s, e);
    rows[pending] = rec.row;
    lines[pending] = rec.line;
    parsed[pending] = spec.kind === "label" ? code : value;
    pending++;
  };
  await readCsv(path, options, onRecord, flush);
  flush();
  defects.throwIfAny();
  if (ids.size === 0) emptyOrHeaderOnly(file, headerSeen);
  // Ten classes need a byte per row, not four: the narrow copy keeps the join's peak low.
  const narrow = codesFor(spec.kind === "label" ? ids.size : 0, labels.size);
  narrow.set(codes.subarray(0, narrow.length));
  return { rows: ids.size, ids, labels, codes: narrow, values };
}

export async function readPredictions(
  path: string,
  file: string,
  spec: TableSpec,
  gt: GroundTruth,
  limits: ReadLimits,
  gtFile: string,
): Promise<Predictions> {
  const defects = new DefectList(file, limits.defectCap);
  const n = gt.rows;
  const otherCode = gt.labels.size;
  const codes = codesFor(spec.kind === "label" ? n : 0, otherCode);
  const values = new Float64Array(spec.kind === "number" ? n : 0);
  /** 1 once a prediction row covered the ground-truth row (a byte, not a row number, per row). */
  const seen = new Uint8Array(n);
  let columns: Columns | null = null;
  let headerSeen = false;
  let dataRows = 0;

  // The pending batch: id bytes in the current CSV buffer, and the row's parsed value.
  const starts = new Int32Array(BATCH);
  const ends = new Int32Array(BATCH);
  const hashes = new Int32Array(BATCH);
  const rows = new Int32Array(BATCH);
  const lines = new Int32Array(BATCH);
  const parsed = new Float64Array(BATCH);
  const valid = new Uint8Array(BATCH);
  const found = new Int32Array(BATCH);
  let pending = 0;
  let batchBuf: Uint8Array = new Uint8Array(0);
  let sink = 0;

  const accept = (
    index: number,
    idBytes: Uint8Array,
    idStart: number,
    idEnd: number,
    row: number,
    line: number,
    value: number,
    ok: boolean,
  ) => {
    if (index < 0) {
      const id = new TextDecoder().decode(
        idBytes.subarray(idStart, Math.min(idEnd, idStart + 200)),
      );
      defects.add({
        code: "UNKNOWN_ID",
        message: `id ${JSON.stringify(id)} is not in ${gtFile}`,
        row,
        line,
        id,
      });
      return;
    }
    if (seen[index] !== 0) {
      defects.add({
        code: "DUPLICATE_ID",
        message: `id ${JSON.stringify(gt.ids.key(index))} appears more than once`,
        row,
        line,
        id: gt.ids.key(index),
      });
      return;
    }
    seen[index] = 1;
    if (!ok) return;
    if (spec.kind === "label") codes[index] = value;
    else values[index] = value;
  };

  const flush = () => {
    if (pending === 0) return;
    gt.ids.findBatch(batchBuf, starts, ends, hashes, pending, found);
    // Warm each row's join slot before the checks read it, for the same reason.
    for (let k = 0; k < pending; k++) {
      const index = found[k] as number;
      if (index >= 0) sink += seen[index] as number;
    }
    for (let k = 0; k < pending; k++) {
      accept(
        found[k] as number,
        batchBuf,
        starts[k] as number,
        ends[k] as number,
        rows[k] as number,
        lines[k] as number,
        parsed[k] as number,
        valid[k] === 1,
      );
    }
    pending = 0;
  };

  const onRecord = (rec: CsvRecord) => {
    if (rec.row === 0) {
      headerSeen = true;
      columns = resolveHeader(rec, spec, defects);
      return;
    }
    dataRows++;
    if (!columns || !checkShape(rec, columns, defects)) return;
    let vb = rec.buf;
    let vs = rec.start(columns.value);
    let ve = rec.end(columns.value);
    if (rec.escaped(columns.value)) {
      vb = unescaped(rec, columns.value);
      vs = 0;
      ve = vb.length;
    }
    let value = 0;
    let ok = true;
    if (spec.kind === "label") {
      if (ve === vs) {
        ok = false;
        defects.add({
          code: "INVALID_VALUE",
          message: `empty "${spec.valueColumn}"`,
          row: rec.row,
          line: rec.line,
          column: spec.valueColumn,
        });
      } else {
        const code = gt.labels.find(vb, vs, ve);
        value = code < 0 ? otherCode : code;
      }
    } else {
      value = parseDecimal(vb, vs, ve);
      if (!Number.isFinite(value)) {
        ok = false;
        defects.add({
          code: "INVALID_VALUE",
          message: `"${spec.valueColumn}" is not a finite number: ${JSON.stringify(rec.text(columns.value).slice(0, 100))}`,
          row: rec.row,
          line: rec.line,
          column: spec.valueColumn,
        });
      }
    }
    if (rec.escaped(columns.id)) {
      const id = unescaped(rec, columns.id);
      accept(gt.ids.find(id, 0, id.length), id, 0, id.length, rec.row, rec.line, value, ok);
      return;
    }
    if (pending === BATCH) flush();
    const s = rec.start(columns.id);
    const e = rec.end(columns.id);
    batchBuf = rec.buf;
    starts[pending] = s;
    ends[pending] = e;
    hashes[pending] = hashBytes(rec.buf, s, e);
    rows[pending] = rec.row;
    lines[pending] = rec.line;
    parsed[pending] = value;
    valid[pending] = ok ? 1 : 0;
    pending++;
  };

  await readCsv(path, { file, maxBytes: limits.maxBytes, signal: limits.signal }, onRecord, flush);
  flush();
  gt.ids.touched += sink;
  if (!headerSeen || (dataRows === 0 && defects.total === 0)) emptyOrHeaderOnly(file, headerSeen);
  if (!hasRowDefect(defects.items)) {
    for (let i = 0; i < n && !defects.full; i++) {
      if (seen[i] === 0) {
        defects.add({
          code: "MISSING_ID",
          message: `no prediction for id ${JSON.stringify(gt.ids.key(i))} (${gtFile} row ${i + 1})`,
          id: gt.ids.key(i),
          gtRow: i + 1,
        });
      }
    }
  }
  defects.throwIfAny();
  return { codes, values, otherCode };
}

/**
 * Rows whose id could not be read cannot be matched, so ids they may have carried would be
 * reported missing twice over; only report missing ids when every row was readable.
 */
function hasRowDefect(items: Defect[]): boolean {
  return items.some((d) => d.code === "PARSE_ERROR" || d.code === "BAD_HEADER");
}
