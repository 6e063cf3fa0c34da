// The job lifecycle table and the rule that only lifecycle.ts changes a job's state, without
// a database: every move the platform makes is allowed by the table, every state set is
// derived from it, and no other module writes a state or a job event.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  canMove,
  DEFAULT_COUNTED_STATES,
  isTerminal,
  JOB_STATES,
  LIFECYCLE,
  PLACED_STATES,
  planMoves,
  TERMINAL_STATES,
  WAITING_STATES,
} from "../../src/domain/jobs/lifecycle.ts";
import { JobState } from "../../src/generated/prisma/enums.ts";

describe("the lifecycle table", () => {
  it("has a row for every state of the data model, and nothing else", () => {
    expect([...JOB_STATES].sort()).toEqual(Object.values(JobState).sort());
  });

  it("allows the moves of contract's state machine and refuses the rest", () => {
    const allowed = [
      ["PENDING", "QUEUED"],
      ["QUEUED", "RUNNING"],
      ["RUNNING", "SUCCEEDED"],
      ["RUNNING", "FAILED"],
      ["RUNNING", "TIMED_OUT"],
      ["RUNNING", "CANCELLED"],
      ["PENDING", "CANCELLED"],
      ["QUEUED", "CANCELLED"],
      // a refusal at admission, a dispatch lost before it started
      ["PENDING", "FAILED"],
      ["QUEUED", "FAILED"],
      // platform failures back to the waiting line; retries by request
      ["QUEUED", "PENDING"],
      ["RUNNING", "PENDING"],
      ["FAILED", "PENDING"],
      ["TIMED_OUT", "PENDING"],
      ["CANCELLED", "PENDING"],
    ];
    for (const from of JOB_STATES) {
      for (const to of JOB_STATES) {
        const expected = allowed.some(([f, t]) => f === from && t === to);
        expect(canMove(from, to), `${from} → ${to}`).toBe(expected);
      }
    }
  });

  it("never moves a job out of SUCCEEDED, and enters terminal states only from live ones", () => {
    for (const to of JOB_STATES) expect(canMove("SUCCEEDED", to)).toBe(false);
    for (const to of TERMINAL_STATES) {
      for (const from of LIFECYCLE[to].from) expect(isTerminal(from)).toBe(false);
    }
  });

  it("derives the state sets the scheduler, quotas and limits use", () => {
    expect(WAITING_STATES).toEqual(["PENDING"]);
    expect(PLACED_STATES).toEqual(["QUEUED", "RUNNING"]);
    expect(TERMINAL_STATES).toEqual(["SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED"]);
    expect(DEFAULT_COUNTED_STATES).not.toContain("CANCELLED");
    expect(DEFAULT_COUNTED_STATES).toHaveLength(JOB_STATES.length - 1);
  });

  it("has every entering state set its finish time or clear it", () => {
    for (const state of TERMINAL_STATES)
      expect(LIFECYCLE[state].onEnter).toContain(`"finishedAt" = now()`);
    expect(LIFECYCLE.PENDING.onEnter).toContain(`"finishedAt" = NULL`);
  });
});

describe("planMoves", () => {
  it("groups moves by target state in the table's order", () => {
    const groups = planMoves([
      { jobId: "a", to: "SUCCEEDED" },
      { jobId: "b", to: "QUEUED" },
      { jobId: "c", to: "SUCCEEDED" },
    ]);
    expect([...groups.keys()]).toEqual(["QUEUED", "SUCCEEDED"]);
    expect(groups.get("SUCCEEDED")?.map((m) => m.jobId)).toEqual(["a", "c"]);
  });

  it("refuses a move the table does not allow, and a move with nothing to leave", () => {
    expect(() => planMoves([{ jobId: "a", from: ["SUCCEEDED"], to: "PENDING" }])).toThrow(
      /cannot move from SUCCEEDED to PENDING/,
    );
    expect(() => planMoves([{ jobId: "a", from: ["PENDING"], to: "RUNNING" }])).toThrow(
      /cannot move from PENDING to RUNNING/,
    );
    expect(() => planMoves([{ jobId: "a", from: [], to: "CANCELLED" }])).toThrow(/names no state/);
  });
});

/** Every .ts file under src/, but generated code. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return entry === "generated" ? [] : sources(full);
    return full.endsWith(".ts") ? [full] : [];
  });
}

describe("one module changes job states", () => {
  const root = path.resolve(import.meta.dirname, "../../src");
  const lifecycle = path.join(root, "domain", "jobs", "lifecycle.ts");
  // Creating a job, appending to its history, or writing through Prisma's Job model.
  const WRITES = [
    /INSERT\s+INTO\s+"Job"\s*\(/i,
    /INSERT\s+INTO\s+"JobEvent"/i,
    /\.job\.(update|updateMany|create|createMany|upsert)\(/,
    /\.jobEvent\.(create|createMany)\(/,
  ];
  /** Whether an `UPDATE "Job"` statement's SET list (up to FROM or WHERE) assigns state. */
  const setsState = (text: string): boolean =>
    [...text.matchAll(/UPDATE\s+"Job"(?:\s+AS\s+\w+)?\s+SET\b/gi)].some((match) => {
      const rest = text.slice((match.index ?? 0) + match[0].length);
      const setList = rest.split(/\b(?:FROM|WHERE)\b|`/i)[0] ?? "";
      return /(?:^|[\s,])"?state"?\s*=/.test(setList);
    });
  const offences = (text: string): string[] => [
    ...(setsState(text) ? ['UPDATE "Job" SET state'] : []),
    ...WRITES.filter((pattern) => pattern.test(text)).map(String),
  ];

  it("finds no state write outside domain/jobs/lifecycle.ts", () => {
    const offenders = sources(root)
      .filter((file) => file !== lifecycle)
      .flatMap((file) =>
        offences(readFileSync(file, "utf8")).map((o) => `${path.relative(root, file)}: ${o}`),
      );
    expect(offenders).toEqual([]);
  });

  it("would catch one: lifecycle.ts's own statements are found", () => {
    expect(offences(readFileSync(lifecycle, "utf8"))).toHaveLength(3);
  });
});
