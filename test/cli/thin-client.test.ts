// The thin clients against a running pipeline, as a user runs them: `submit --watch` follows
// a job's states and output live to its end, `status` reports it, `watch` exits non-zero
// for a job that failed, and bad keys or unknown jobs print the contract's error JSON.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { submit } from "../jobs/helpers.ts";
import { startTestPipeline, type TestPipeline } from "../pipeline/helpers.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
let p: TestPipeline;
let key: string;

beforeAll(async () => {
  p = await startTestPipeline();
  await createTenant(p.api, "cli");
  key = (await createKey(p.api, "cli", "MEMBER")).token;
  p.input("cli", "ok");
  await p.addWorker("cli-node");
}, 60_000);
afterAll(async () => p?.close());

function cli(
  args: string[],
  apiKey = key,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      AUTOSCORER_URL: p.api.url,
      AUTOSCORER_API_KEY: apiKey,
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

describe("autoscorer submit, watch and status", () => {
  it("submits, follows the job's states and output live, and ends with its score", async () => {
    const run = await cli([
      "submit",
      "--input",
      "ok",
      "--scorer",
      "classification_f1",
      "--image",
      "local",
      "--cmd",
      JSON.stringify([
        "sh",
        "-c",
        "for i in 1 2 3; do echo step-$i; sleep 0.2; done; cp input/data/pred.csv output/",
      ]),
      "--watch",
    ]);
    expect(run.code, run.stderr).toBe(0);
    const [id] = run.stdout.split("\n");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.stdout).toContain("step-1\nstep-2\nstep-3");
    for (const state of ["RUNNING", "SUCCEEDED"]) expect(run.stderr).toContain(state);
    expect(run.stderr).toMatch(/score 0\.\d+/);

    const status = await cli(["status", id as string, "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      id,
      state: "SUCCEEDED",
      tenant: { slug: "cli" },
    });
  });

  it("exits non-zero when the watched job fails, naming its code", async () => {
    const job = await submit(
      p.api,
      {
        taskType: "classification",
        scorer: "classification_f1",
        inputUri: "ok",
        container: { image: "local", cmd: ["sh", "-c", "echo failing >&2; exit 3"] },
      },
      key,
    );
    const run = await cli(["watch", (job as { id: string }).id]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("failing");
    expect(run.stderr).toContain("EXECUTION_FAILED");
  });

  it("prints the contract's error JSON for a bad key, an unknown job and a refused submission", async () => {
    const badKey = await cli(
      ["watch", "00000000-0000-7000-8000-000000000000"],
      "ask_000000000000_nope",
    );
    expect(badKey.code).toBe(1);
    expect(JSON.parse(badKey.stdout).error.code).toBe("UNAUTHENTICATED");
    const unknown = await cli(["status", "00000000-0000-7000-8000-000000000000"]);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error.code).toBe("NOT_FOUND");
    const refused = await cli(["submit", "--input", "ok", "--scorer", "no_such_scorer"]);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: "VALIDATION_FAILED" });
    const usage = await cli(["submit", "--cpu", "1"]);
    expect(usage.code).toBe(2);
  });
});
