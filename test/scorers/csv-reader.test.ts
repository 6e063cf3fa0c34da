// The streaming CSV reader against RFC 4180 text built from random records, read with
// chunk sizes down to one byte so every record straddles a chunk boundary somewhere.
import { writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readCsv } from "../../src/scorers/readers/csv.ts";
import { parseDecimal } from "../../src/scorers/tabular/numbers.ts";
import { tempDir } from "./helpers.ts";

const quote = (field: string) =>
  /[",\r\n]/.test(field) || field === "" ? `"${field.replaceAll('"', '""')}"` : field;

async function readAll(file: string, chunkBytes: number) {
  const rows: Array<{ fields: string[]; line: number; malformed: string | null }> = [];
  await readCsv(file, { file: "t.csv", maxBytes: 1 << 30, chunkBytes }, (rec) => {
    const fields: string[] = [];
    for (let f = 0; f < rec.fieldCount; f++) fields.push(rec.text(f));
    rows.push({ fields, line: rec.line, malformed: rec.malformed });
  });
  return rows;
}

describe("CSV reader", () => {
  it("reads back any RFC 4180 table, whatever the chunk size and line ending", async () => {
    const dir = tempDir();
    const field = fc.string({
      unit: fc.constantFrom("a", "é", ",", '"', "\n", "\r\n", " ", "1", "🙂"),
      maxLength: 8,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(field, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom("\n", "\r\n"),
        fc.boolean(),
        async (records, chunkBytes, eol, finalEol) => {
          const file = path.join(dir, "t.csv");
          const text = records.map((r) => r.map(quote).join(",")).join(eol) + (finalEol ? eol : "");
          writeFileSync(file, text);
          const rows = await readAll(file, chunkBytes);
          expect(rows.map((r) => r.fields)).toEqual(records);
          expect(rows.every((r) => r.malformed === null)).toBe(true);
          // Line numbers count physical lines, including newlines inside quoted fields.
          let line = 1;
          records.forEach((record, i) => {
            expect(rows[i]?.line).toBe(line);
            line += record.join("").split("\n").length;
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("skips a UTF-8 byte order mark and blank lines", async () => {
    const file = path.join(tempDir(), "bom.csv");
    writeFileSync(file, "\uFEFFid,label\n\na,b\n\n");
    const rows = await readAll(file, 2);
    expect(rows.map((r) => r.fields)).toEqual([
      ["id", "label"],
      ["a", "b"],
    ]);
    expect(rows[1]?.line).toBe(3);
  });

  it("parses decimals exactly as Number() does", () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(
        fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()),
        (value) => {
          for (const text of [
            String(value),
            value.toExponential(),
            value.toFixed(6),
            value.toPrecision(17),
          ]) {
            const bytes = encoder.encode(text);
            expect(parseDecimal(bytes, 0, bytes.length)).toBe(Number(text));
          }
        },
      ),
      { numRuns: 2000 },
    );
    for (const bad of ["", "abc", "1e", "--1", "NaN", "Infinity", "0x10", "1.2.3", "."]) {
      const bytes = encoder.encode(bad);
      expect(Number.isNaN(parseDecimal(bytes, 0, bytes.length)), bad).toBe(true);
    }
  });
});
