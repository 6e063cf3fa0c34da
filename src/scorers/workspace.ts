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

/** Writes output/result.json through a temporary file, so readers never see half a Result. */
export async function writeResult(workspace: string, result: Result): Promise<string> {
  const dir = path.join(workspace, "output");
  // Usually there already (the worker made it); then this is one quick syscall.
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, "result.json");
  const temporary = path.join(dir, `.result.${process.pid}.${Date.now()}.tmp`);
  // Exclusive create: output/ may hold what a team's container left there, and a link
  // planted under this name must make the write fail, not redirect it.
  await writeFile(temporary, `${JSON.stringify(result, null, 2)}\n`, { flag: "wx" });
  await rename(temporary, target);
  return target;
}
