// The worker's file-system thread: a batch of steps runs in order in one request, a failing
// step rejects the request with its error code and stops the batch, and the thread keeps
// serving after a failure.
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startFsThread } from "../../src/worker/fs-thread.ts";

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
});
