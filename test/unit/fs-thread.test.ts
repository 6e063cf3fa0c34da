// The worker's file-system thread: a batch of steps runs in order in one request, a failing
// step rejects the request with its error code and stops the batch, and the thread keeps
// serving after a failure.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Result } from "../../src/scorers/index.ts";
import { startFsThread } from "../../src/worker/fs-thread.ts";
import { writeResultOn } from "../../src/worker/workspace.ts";

const fs = startFsThread();
afterAll(() => fs.close());

describe("file-system thread", () => {
  it("runs a batch of steps in order", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "fs-thread-"));
    const dir = path.join(root, "a", "b");
    await fs.run([
      { op: "mkdir", path: dir },
      { op: "write", path: path.join(dir, "meta.json"), text: '{"x":1}\n' },
      { op: "symlink", target: dir, path: path.join(root, "link") },
      { op: "symlinkIfPresent", target: path.join(dir, "meta.json"), path: path.join(root, "m") },
      { op: "symlinkIfPresent", target: path.join(dir, "absent"), path: path.join(root, "n") },
      { op: "chmod", path: dir, mode: 0o700 },
    ]);
    expect(readFileSync(path.join(dir, "meta.json"), "utf8")).toBe('{"x":1}\n');
    expect(readlinkSync(path.join(root, "link"))).toBe(dir);
    expect(readlinkSync(path.join(root, "m"))).toBe(path.join(dir, "meta.json"));
    expect(existsSync(path.join(root, "n"))).toBe(false);
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    // A leftover tree goes; a missing one is no error.
    await fs.run([
      { op: "remove", path: path.join(root, "a") },
      { op: "remove", path: path.join(root, "a") },
    ]);
    expect(existsSync(path.join(root, "a"))).toBe(false);
  });

  it("rejects with the failing step's code, stops there, and keeps serving", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "fs-thread-"));
    const taken = path.join(root, "taken");
    await fs.run([{ op: "write", path: taken, text: "x" }]);
    await expect(
      fs.run([
        { op: "symlink", target: root, path: taken },
        { op: "mkdir", path: path.join(root, "after") },
      ]),
    ).rejects.toMatchObject({ code: "EEXIST" });
    expect(existsSync(path.join(root, "after"))).toBe(false);
    await fs.run([{ op: "mkdir", path: path.join(root, "later") }]);
    expect(existsSync(path.join(root, "later"))).toBe(true);
  });

  it("writes exclusively (a planted link fails the write) and renames", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "fs-thread-"));
    const secret = path.join(root, "secret");
    writeFileSync(secret, "keep");
    symlinkSync(secret, path.join(root, "planted"));
    await expect(
      fs.run([{ op: "write", path: path.join(root, "planted"), text: "x", exclusive: true }]),
    ).rejects.toMatchObject({ code: "EEXIST" });
    expect(readFileSync(secret, "utf8")).toBe("keep");
    await fs.run([
      { op: "write", path: path.join(root, "new"), text: "x", exclusive: true },
      { op: "rename", from: path.join(root, "new"), to: path.join(root, "planted") },
    ]);
    expect(lstatSync(path.join(root, "planted")).isSymbolicLink()).toBe(false);
    expect(readFileSync(path.join(root, "planted"), "utf8")).toBe("x");
    expect(readFileSync(secret, "utf8")).toBe("keep");
  });

  it("writes output/result.json over a link a run left there, never through it", async () => {
    const workspace = mkdtempSync(path.join(os.tmpdir(), "fs-thread-"));
    const elsewhere = path.join(workspace, "elsewhere.json");
    writeFileSync(elsewhere, "keep");
    mkdirSync(path.join(workspace, "output"));
    symlinkSync(elsewhere, path.join(workspace, "output", "result.json"));
    const result = { summary: { score: 1 }, metrics: { accuracy: 1 } } as unknown as Result;
    await writeResultOn(fs, workspace, result);
    const written = path.join(workspace, "output", "result.json");
    expect(lstatSync(written).isSymbolicLink()).toBe(false);
    expect(JSON.parse(readFileSync(written, "utf8"))).toEqual(result);
    expect(readFileSync(elsewhere, "utf8")).toBe("keep");
  });
});
