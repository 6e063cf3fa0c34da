// The Docker executor's parts that need no engine: the engine's output framing, read across
// any chunking; stats frames of cgroup v1 and v2 engines turned into usage samples;
// container names; writable mounts handed to the run user.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createFrameReader } from "../../src/executors/docker/frames.ts";
import { containerName } from "../../src/executors/docker/labels.ts";
import { createUsageTracker } from "../../src/executors/docker/usage.ts";
import { openWritableMounts } from "../../src/executors/docker/writable-mounts.ts";
import type { LogStream, RunRequest } from "../../src/executors/types.ts";

const frame = (type: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe("engine output frames", () => {
  const wire = Buffer.concat([
    frame(1, "héllo ✓\n"),
    frame(2, "oops\n"),
    frame(0, "stdin is never attached\n"),
    frame(1, ""),
    frame(1, "x".repeat(70_000)),
  ]);
  const expected = [
    ["stdout", "héllo ✓\n"],
    ["stderr", "oops\n"],
    ["stdout", ""],
    ["stdout", "x".repeat(70_000)],
  ];

  it.each([1, 3, 7, 8, 9, 4096, wire.length])("reads frames from chunks of %i bytes", (size) => {
    const seen: Array<[LogStream, Buffer]> = [];
    const reader = createFrameReader((stream, payload) =>
      seen.push([stream, Buffer.from(payload)]),
    );
    for (let at = 0; at < wire.length; at += size) reader.write(wire.subarray(at, at + size));
    // Payloads may arrive split into several callbacks only if a frame is; here each is whole.
    expect(seen.map(([stream, payload]) => [stream, payload.toString()])).toEqual(expected);
  });
});

describe("usage samples", () => {
  const ZERO = "0001-01-01T00:00:00Z";
  it("averages the first frame since the start, bounded by the quota", () => {
    const tracker = createUsageTracker(1_000, 500);
    const first = tracker.sample(
      {
        read: "2026-01-01T00:00:01.000000000Z",
        preread: ZERO,
        cpu_stats: { cpu_usage: { total_usage: 100e6 } },
        memory_stats: { usage: 10e6, stats: { total_inactive_file: 4e6 } },
      },
      1_500,
    );
    // 100 ms of CPU over 500 ms is 200 millicores; memory less inactive cache (cgroup v1).
    expect(first).toEqual({ cpuMillis: 200, memoryBytes: 6e6 });
    const burst = createUsageTracker(1_000, 500).sample(
      { cpu_stats: { cpu_usage: { total_usage: 50e6 } }, memory_stats: { usage: 1 } },
      1_010,
    );
    expect(burst?.cpuMillis).toBe(500);
  });

  it("uses the engine's own previous frame after the first (cgroup v2 names)", () => {
    const tracker = createUsageTracker(0, 4000);
    const sample = tracker.sample(
      {
        read: "2026-01-01T00:00:02.000000000Z",
        preread: "2026-01-01T00:00:01.000000000Z",
        cpu_stats: { cpu_usage: { total_usage: 2_750e6 } },
        precpu_stats: { cpu_usage: { total_usage: 2_000e6 } },
        memory_stats: { usage: 50e6, stats: { inactive_file: 20e6 } },
      },
      123_456,
    );
    expect(sample).toEqual({ cpuMillis: 750, memoryBytes: 30e6 });
    expect(tracker.peakBytes).toBe(30e6);
  });

  it("skips frames without figures and keeps the kernel's peak (cgroup v1)", () => {
    const tracker = createUsageTracker(0, 1000);
    expect(tracker.sample({ memory_stats: {}, cpu_stats: { cpu_usage: {} } }, 10)).toBeNull();
    expect(tracker.peakBytes).toBeNull();
    tracker.sample(
      {
        cpu_stats: { cpu_usage: { total_usage: 1 } },
        memory_stats: { usage: 5e6, max_usage: 9e6 },
      },
      10,
    );
    expect(tracker.peakBytes).toBe(9e6);
  });
});

describe("container names", () => {
  const named = (node: string, jobId: string, attempt = 1) =>
    containerName(node, { jobId, attempt } as RunRequest);
  const valid = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

  it("keeps a name the engine accepts as it is", () => {
    expect(named("node-1", "0190c6a2-7f3b-7c8e-9d4a-1b2c3d4e5f60", 2)).toBe(
      "autoscorer-node-1-0190c6a2-7f3b-7c8e-9d4a-1b2c3d4e5f60-2",
    );
  });

  it("replaces what the engine refuses, and tells apart ids that differ only there", () => {
    const a = named("host:1", "job/a");
    const b = named("host:1", "job:a");
    expect(a).toMatch(valid);
    expect(b).toMatch(valid);
    expect(a).not.toBe(b);
    expect(named("n", "x".repeat(1000))).toMatch(valid);
  });
});

describe("writable mounts", () => {
  const folder = () => mkdtempSync(path.join(os.tmpdir(), "autoscorer-mount-"));
  const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

  it("opens a folder the run user does not own to everyone when it cannot chown", async () => {
    const dir = folder();
    try {
      await openWritableMounts(
        [{ source: dir, target: "output", readOnly: false }],
        { uid: self.uid + 1, gid: self.gid + 1 },
        false,
      );
      expect(statSync(dir).mode & 0o777).toBe(0o777);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves read-only mounts, and folders the run user owns, as they are", async () => {
    const dir = folder();
    try {
      const before = statSync(dir).mode;
      await openWritableMounts(
        [{ source: dir, target: "input/data", readOnly: true }],
        self,
        false,
      );
      await openWritableMounts([{ source: dir, target: "output", readOnly: false }], self, false);
      expect(statSync(dir).mode).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a writable mount that does not exist as CONTAINER_CREATE_FAILED", async () => {
    await expect(
      openWritableMounts(
        [
          {
            source: path.join(os.tmpdir(), "autoscorer-no-such-folder"),
            target: "o",
            readOnly: false,
          },
        ],
        self,
      ),
    ).rejects.toMatchObject({ code: "CONTAINER_CREATE_FAILED" });
  });
});
