// The pieces every executor backend streams a run's output through: lines cut from chunks
// that end anywhere (also inside a UTF-8 character), and a bounded event channel.
import { describe, expect, it } from "vitest";
import { createEventChannel } from "../../src/executors/run/event-channel.ts";
import { createLineSplitter } from "../../src/executors/run/line-splitter.ts";
import type { RunEvent } from "../../src/executors/types.ts";

describe("line splitter", () => {
  it("keeps multi-byte characters whole across every possible chunk boundary", () => {
    const text = "naïve ✓ 日本語 🎉\nsecond line\r\nlast";
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const lines: string[] = [];
      const splitter = createLineSplitter((line) => lines.push(line));
      splitter.write(bytes.subarray(0, cut));
      splitter.write(bytes.subarray(cut));
      splitter.end();
      expect(lines).toEqual(["naïve ✓ 日本語 🎉", "second line", "last"]);
    }
  });

  it("cuts an endless line into bounded pieces", () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line), 100);
    splitter.write(Buffer.from("x".repeat(1050)));
    splitter.end();
    expect(lines.map((l) => l.length)).toEqual([
      100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 50,
    ]);
  });
});

describe("event channel", () => {
  const log = (n: number): RunEvent => ({ type: "log", stream: "stdout", line: `${n}`, at: 0 });

  it("drops log lines past its capacity and says how many, keeping phases", async () => {
    const channel = createEventChannel(3);
    for (let i = 0; i < 10; i++) channel.push(log(i));
    channel.push({ type: "phase", phase: "EXITED", at: 0 });
    channel.end();
    const seen: RunEvent[] = [];
    for await (const event of channel.events) seen.push(event);
    expect(seen).toEqual([
      log(0),
      log(1),
      log(2),
      { type: "dropped", lines: 7, at: 0 },
      { type: "phase", phase: "EXITED", at: 0 },
    ]);
  });

  it("hands events to a waiting consumer as they come", async () => {
    const channel = createEventChannel();
    const iterator = channel.events[Symbol.asyncIterator]();
    const next = iterator.next();
    channel.push(log(1));
    expect(await next).toEqual({ value: log(1), done: false });
    channel.end();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });
});
