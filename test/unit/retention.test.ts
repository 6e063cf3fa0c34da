// Workspace retention: old attempt folders go, recent ones and running jobs' folders stay.
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sweepWorkspaces } from "../../src/worker/retention.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function attempt(root: string, job: string, n: number, ageHours: number): string {
  const dir = path.join(root, job, `attempt-${n}`);
  mkdirSync(path.join(dir, "logs"), { recursive: true });
  writeFileSync(path.join(dir, "logs", "container.log"), "x");
  const at = new Date(Date.now() - ageHours * 3_600_000);
  utimesSync(dir, at, at);
  return dir;
}

describe("sweepWorkspaces", () => {
  it("removes attempts past the age and empty job folders, keeping the rest", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "autoscorer-sweep-"));
    roots.push(root);
    const old = attempt(root, "job-old", 1, 48);
    const recent = attempt(root, "job-mixed", 2, 1);
    const mixedOld = attempt(root, "job-mixed", 1, 48);
    const running = attempt(root, "job-running", 1, 48);
    const removed = await sweepWorkspaces(root, 24 * 3_600_000, new Set(["job-running"]));
    expect(removed).toBe(2);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(path.join(root, "job-old"))).toBe(false);
    expect(existsSync(mixedOld)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(running)).toBe(true);
  });

  it("does nothing when the root does not exist yet", async () => {
    expect(
      await sweepWorkspaces(path.join(os.tmpdir(), "autoscorer-no-such-root"), 1000, new Set()),
    ).toBe(0);
  });
});
