// The job workspace (docs/contract.md): input/gt.csv|gt.json, output/pred.csv|pred.json,
// output/result.json, logs/, meta.json. Finding the files and writing the Result live here.
import { existsSync, mkdirSync, statSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileError } from "./errors.ts";
import type { Result } from "./result.ts";
import type { InputFormat } from "./types.ts";

export interface WorkspaceInputs {
  gtPath: string;
  predPath: string;
  gtFile: string;
  predFile: string;
}

function locate(workspace: string, folder: string, base: string, format: InputFormat) {
  const extensions = format === "any" ? ["csv", "json"] : [format];
  for (const ext of extensions) {
    const file = `${folder}/${base}.${ext}`;
    const full = path.join(workspace, file);
    if (existsSync(full)) return { file, full };
  }
  const wanted = extensions.map((ext) => `${folder}/${base}.${ext}`).join(" or ");
  throw fileError("MISSING_FILE", wanted, `the workspace has no ${wanted}`);
}

export function locateInputs(workspace: string, format: InputFormat): WorkspaceInputs {
  if (!existsSync(workspace) || !statSync(workspace).isDirectory()) {
    throw fileError("MISSING_FILE", workspace, "the workspace folder does not exist");
  }
  const gt = locate(workspace, "input", "gt", format);
  const pred = locate(workspace, "output", "pred", format);
  return { gtPath: gt.full, gtFile: gt.file, predPath: pred.full, predFile: pred.file };
}

/**
 * Where output/result.json is written: through a temporary file renamed over it, so readers
 * never see half a Result. The temporary is created exclusively: output/ may hold what a
 * team's container left there, and a link planted under that name must make the write
 * fail, not redirect it (the rename replaces a link at result.json, it does not follow it).
 */
export function resultFiles(workspace: string): { dir: string; target: string; temporary: string } {
  const dir = path.join(workspace, "output");
  return {
    dir,
    target: path.join(dir, "result.json"),
    temporary: path.join(dir, `.result.${process.pid}.${Date.now()}.tmp`),
  };
}

export const resultText = (result: Result): string => `${JSON.stringify(result, null, 2)}\n`;

/** How output/result.json gets written; the worker does it on its file-system thread. */
export type WriteResult = (workspace: string, result: Result) => Promise<unknown>;

/** Writes output/result.json (see resultFiles) with this thread's own calls. */
export async function writeResult(workspace: string, result: Result): Promise<string> {
  const files = resultFiles(workspace);
  // Usually there already (the worker made it); then this is one quick syscall.
  mkdirSync(files.dir, { recursive: true });
  await writeFile(files.temporary, resultText(result), { flag: "wx" });
  await rename(files.temporary, files.target);
  return files.target;
}
