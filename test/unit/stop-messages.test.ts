// What a stopped run tells its team: the limit it hit, and for a run stopped at its deadline
// while it sat at its memory limit, that memory is the likelier cause.
import { describe, expect, it } from "vitest";
import { stopMessage } from "../../src/executors/run/outcomes.ts";

const limits = { timeLimitMs: 20_000, memoryMb: 96 };
const MiB = 2 ** 20;

describe("stop messages", () => {
  it("names the limit a run was stopped at", () => {
    expect(stopMessage("TIME_LIMIT_EXCEEDED", limits)).toBe(
      "stopped at the time limit of 20000 ms",
    );
    expect(stopMessage("MEMORY_LIMIT_EXCEEDED", limits)).toBe(
      "stopped above the memory limit of 96 MiB",
    );
    expect(stopMessage("CANCELLED", limits)).toBe("stopped by request");
    expect(stopMessage("EXECUTOR_UNAVAILABLE", limits)).toBe(
      "stopped because the worker shut down",
    );
  });

  it("points a run that hit its deadline at its memory limit to memory", () => {
    const atLimit = stopMessage("TIME_LIMIT_EXCEEDED", limits, 95 * MiB);
    expect(atLimit).toMatch(/^stopped at the time limit of 20000 ms, while at its memory limit/);
    expect(atLimit).toContain("96 MiB");
    expect(atLimit).toContain("more memory");
  });

  it("says nothing of memory when the run stayed below its limit or was never sampled", () => {
    const plain = "stopped at the time limit of 20000 ms";
    expect(stopMessage("TIME_LIMIT_EXCEEDED", limits, 80 * MiB)).toBe(plain);
    expect(stopMessage("TIME_LIMIT_EXCEEDED", limits, null)).toBe(plain);
    // Only the deadline gets the hint: a cancelled run at its limit was still cancelled.
    expect(stopMessage("CANCELLED", limits, 96 * MiB)).toBe("stopped by request");
  });
});
