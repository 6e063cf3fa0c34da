// Workspaces for scorer tests: temporary folders in the contract layout (docs/contract.md), made from the
// golden fixtures or from inline file contents.
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

export const GOLDEN_DIR = path.resolve(import.meta.dirname, "../fixtures/golden");

export interface GoldenCase {
  name: string;
  dir: string;
  scorer: string;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
}

export function goldenCases(): GoldenCase[] {
  return readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => {
      const dir = path.join(GOLDEN_DIR, e.name);
      const expected = JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8")) as Omit<
        GoldenCase,
        "name" | "dir"
      >;
      return { name: e.name, dir, ...expected };
    });
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = "autoscorer-scorers-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A writable copy of a golden case. */
export function copyCase(dir: string): string {
  const workspace = tempDir();
  cpSync(dir, workspace, { recursive: true });
  return workspace;
}

/** A workspace from file contents keyed by workspace-relative path. */
export function makeWorkspace(files: Record<string, string | Uint8Array>): string {
  const workspace = tempDir();
  mkdirSync(path.join(workspace, "input"));
  mkdirSync(path.join(workspace, "output"));
  for (const [name, content] of Object.entries(files))
    writeFileSync(path.join(workspace, name), content);
  return workspace;
}

export const TEST_CAPS = {
  maxCsvBytes: 2 * 1024 ** 3,
  maxJsonBytes: 512 * 1024 ** 2,
  defectCap: 100,
};
