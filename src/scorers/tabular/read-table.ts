// Reads a ground-truth CSV and joins a prediction CSV onto it by id. Values are either
// labels (interned to small ints) or numbers; both live in typed arrays indexed by the
// ground-truth row, so the join costs one hash lookup per prediction row.

import { type Defect, DefectList, fileError } from "../errors.ts";
import { type CsvReadOptions, type CsvRecord, readCsv } from "../readers/csv.ts";
import { IdTable } from "./id-table.ts";
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

export interface GroundTruth {
  rows: number;
  ids: IdTable;
  /** kind "label": class index per row; classes are `labels.key(i)`. */
  labels: IdTable;
  codes: Int32Array;
  /** kind "number": the value per row. */
  values: Float64Array;
}

export interface Predictions {
  /** Aligned with the ground truth: codes[i] predicts ground-truth row i. */
  codes: Int32Array;
  values: Float64Array;
  /** Code given to predicted labels that never occur in the ground truth. */
  otherCode: number;
}

const encoder = new TextEncoder();

/** Bytes of a field's value; doubled quotes make the rare slow path. */
function fieldBytes(rec: CsvRecord, field: number): [Uint8Array, number, number] {
  if (!rec.escaped(field)) return [rec.buf, rec.start(field), rec.end(field)];
  const bytes = encoder.encode(rec.text(field));
  return [bytes, 0, bytes.length];
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
  const options: CsvReadOptions = { file, maxBytes: limits.maxBytes, signal: limits.signal };

  await readCsv(path, options, (rec) => {
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
      ids.reserve(expected, Math.ceil((fileSize / rec.position) * ids.bytes * 1.05));
      if (spec.kind === "label") codes = growInt32(codes, expected);
      else values = growFloat64(values, expected);
    }
    if (!checkShape(rec, columns, defects)) return;
    const [vb, vs, ve] = fieldBytes(rec, columns.value);
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
    const [ib, is, ie] = fieldBytes(rec, columns.id);
    const index = ids.insert(ib, is, ie);
    if (index < 0) {
      const first = -index - 1;
      defects.add({
        code: "DUPLICATE_ID",
        message: `id ${JSON.stringify(ids.key(first))} appears again (first at row ${firstRowOf.get(first) ?? first + 1})`,
        row: rec.row,
        line: rec.line,
        id: ids.key(first),
      });
      return;
    }
    // Rows map to indexes one to one until a defect; remember where they diverge.
    if (index + 1 !== rec.row) firstRowOf.set(index, rec.row);
    if (spec.kind === "label") {
      if (index >= codes.length) codes = growInt32(codes, index + 1);
      codes[index] = code;
    } else {
      if (index >= values.length) values = growFloat64(values, index + 1);
      values[index] = value;
    }
  });
  defects.throwIfAny();
  if (ids.size === 0) emptyOrHeaderOnly(file, headerSeen);
  return { rows: ids.size, ids, labels, codes, values };
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
  const codes = new Int32Array(spec.kind === "label" ? n : 0);
  const values = new Float64Array(spec.kind === "number" ? n : 0);
  /** Prediction row that covered each ground-truth row; 0 while uncovered. */
  const rowOf = new Int32Array(n);
  const otherCode = gt.labels.size;
  let columns: Columns | null = null;
  let headerSeen = false;
  let dataRows = 0;

  await readCsv(path, { file, maxBytes: limits.maxBytes, signal: limits.signal }, (rec) => {
    if (rec.row === 0) {
      headerSeen = true;
      columns = resolveHeader(rec, spec, defects);
      return;
    }
    dataRows++;
    if (!columns || !checkShape(rec, columns, defects)) return;
    const [ib, is, ie] = fieldBytes(rec, columns.id);
    const index = gt.ids.find(ib, is, ie);
    if (index < 0) {
      defects.add({
        code: "UNKNOWN_ID",
        message: `id ${JSON.stringify(rec.text(columns.id).slice(0, 200))} is not in ${gtFile}`,
        row: rec.row,
        line: rec.line,
        id: rec.text(columns.id).slice(0, 200),
      });
      return;
    }
    if (rowOf[index] !== 0) {
      defects.add({
        code: "DUPLICATE_ID",
        message: `id ${JSON.stringify(gt.ids.key(index))} appears again (first at row ${rowOf[index]})`,
        row: rec.row,
        line: rec.line,
        id: gt.ids.key(index),
      });
      return;
    }
    rowOf[index] = rec.row;
    const [vb, vs, ve] = fieldBytes(rec, columns.value);
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
      const code = gt.labels.find(vb, vs, ve);
      codes[index] = code < 0 ? otherCode : code;
    } else {
      const value = parseDecimal(vb, vs, ve);
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
      values[index] = value;
    }
  });
  if (!headerSeen || (dataRows === 0 && defects.total === 0)) emptyOrHeaderOnly(file, headerSeen);
  if (!hasRowDefect(defects.items)) {
    for (let i = 0; i < n && !defects.full; i++) {
      if (rowOf[i] === 0) {
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
