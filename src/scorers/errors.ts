// Scoring failures carry a code (docs/contract.md) so the CLI, the job worker and the API report the
// same thing. A bad file yields every defect found (up to a cap) in one error, so a team
// fixes its submission in one round trip instead of one defect per upload.

import { SCORING_ERROR_CODES, type ScoringErrorCode } from "../contract/error-codes.ts";

export { SCORING_ERROR_CODES, type ScoringErrorCode };

export function isScoringErrorCode(value: unknown): value is ScoringErrorCode {
  return (SCORING_ERROR_CODES as readonly unknown[]).includes(value);
}

/** One problem in one file. `row` counts data rows from 1 (the CSV header is row 0). */
export interface Defect {
  code: ScoringErrorCode;
  message: string;
  /** Workspace-relative path, e.g. `output/pred.csv`. */
  file?: string;
  row?: number;
  /** Physical line where the row starts (CSV), which differs from `row` after quoted newlines. */
  line?: number;
  column?: string;
  id?: string;
  /** For JSON input: where in the document, e.g. `annotations[3].bbox`. */
  path?: string;
  /** For MISSING_ID: the ground-truth row whose id has no prediction. */
  gtRow?: number;
}

export class ScoringError extends Error {
  override name = "ScoringError";
  constructor(
    readonly code: ScoringErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  toJSON(): { code: ScoringErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Defects reported per file before the rest are only counted. */
export const DEFAULT_DEFECT_CAP = 100;

/**
 * Collects a file's defects. Scorers keep reading after a defect so the report is complete;
 * `throwIfAny` ends the read with one ScoringError whose code is the first defect's.
 */
export class DefectList {
  readonly items: Defect[] = [];
  total = 0;

  constructor(
    readonly file: string,
    readonly cap = DEFAULT_DEFECT_CAP,
  ) {}

  add(defect: Omit<Defect, "file">): void {
    this.total++;
    if (this.items.length < this.cap) this.items.push({ file: this.file, ...defect });
  }

  get full(): boolean {
    return this.items.length >= this.cap;
  }

  throwIfAny(): void {
    // Batched lookups report a row's id defects after later rows' value defects: restore
    // file order (defects without a row, like missing ids, stay last).
    this.items.sort(
      (a, b) => (a.row ?? Number.MAX_SAFE_INTEGER) - (b.row ?? Number.MAX_SAFE_INTEGER),
    );
    const first = this.items[0];
    if (!first) return;
    const more = this.total > 1 ? ` (and ${this.total - 1} more defects)` : "";
    const where = first.row !== undefined ? ` row ${first.row}` : "";
    throw new ScoringError(first.code, `${this.file}${where}: ${first.message}${more}`, {
      file: this.file,
      defects: this.items,
      defectCount: this.total,
      truncated: this.total > this.items.length,
    });
  }
}

/** A single-defect error, shaped like DefectList's so clients parse one format. */
export function fileError(
  code: ScoringErrorCode,
  file: string,
  message: string,
  extra: Omit<Defect, "code" | "message" | "file"> = {},
  options?: ErrorOptions,
): ScoringError {
  const defect: Defect = { code, message, file, ...extra };
  const where = extra.row !== undefined ? ` row ${extra.row}` : "";
  return new ScoringError(
    code,
    `${file}${where}: ${message}`,
    { file, defects: [defect], defectCount: 1, truncated: false },
    options,
  );
}
