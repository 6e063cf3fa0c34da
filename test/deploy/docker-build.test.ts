// Builds deploy/Dockerfile the way an operator does (`docker build -f deploy/Dockerfile .`),
// from local base images (./images.ts) with the network switched off, then runs the image
// as an operator would: locked down, as its unprivileged user. What this file creates (the
// image, its intermediate layers, containers) is removed at the end, except the base images
// and the dependency layers, which are kept like the other test images for the next run.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithDocker } from "../helpers/docker.ts";
import { type BuildStep, buildSteps, keepLayers, removeLayers } from "./build-layers.ts";
import { ensureDeployBaseImage, ensureDeployBuilderImage } from "./images.ts";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const FIXTURE = path.join(ROOT, "test/fixtures/golden/cls_binary");
const name = `autoscorer-test-deploy-${process.pid}`;
const IMAGE = `autoscorer-test/deploy-app:${process.pid}`;
const LAYERS = "autoscorer-test/deploy-layers";

const docker = async (args: string[], timeout = 120_000) =>
  (await run("docker", args, { maxBuffer: 64 << 20, timeout })).stdout;

/** How a platform container runs in production: no network, no root, no writes but /tmp. */
const LOCKED_DOWN = [
  "--network=none",
  "--read-only",
  "--tmpfs=/tmp",
  "--cap-drop=ALL",
  "--security-opt=no-new-privileges",
];

describeWithDocker("deploy/Dockerfile", () => {
  /** What the build made, step by step, to keep (dependencies) or remove afterwards. */
  let steps: BuildStep[] = [];
  const containers: string[] = [];
  let buildSeconds = 0;

  beforeAll(async () => {
    const base = ensureDeployBaseImage();
    const builder = ensureDeployBuilderImage(base);
    const started = Date.now();
    let output: string;
    try {
      ({ stdout: output } = await run(
        "docker",
        [
          "build",
          "--network=none",
          "--force-rm",
          "--file=deploy/Dockerfile",
          `--build-arg=BASE_IMAGE=${base}`,
          `--build-arg=BUILD_IMAGE=${builder}`,
          "--build-arg=npm_config_offline=true",
          `--tag=${IMAGE}`,
          ".",
        ],
        { cwd: ROOT, maxBuffer: 64 << 20, timeout: 300_000 },
      ));
    } catch (error) {
      const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
      steps = buildSteps(stdout);
      throw new Error(`docker build failed:\n${stdout.slice(-3000)}\n${stderr.slice(-1000)}`, {
        cause: error,
      });
    }
    buildSeconds = (Date.now() - started) / 1000;
    steps = buildSteps(output);
    // The slow steps, which only a new lockfile changes: kept for the next run's cache.
    const key = builder.split(":")[1] ?? "none";
    keepLayers(steps, [/^RUN npm ci /, /^COPY --from=build \/app\/node_modules /], LAYERS, key);
  }, 300_000);

  afterAll(async () => {
    for (const container of containers) await docker(["rm", "-f", container]).catch(warn);
    await docker(["image", "rm", IMAGE]).catch(warn);
    // The rest of the build: the build stage's layers, or a failed build's.
    removeLayers(steps, LAYERS);
  });

  it("builds with nothing pulled or downloaded, runs as uid 1000 with the CLI as entrypoint", async () => {
    process.stdout.write(`deploy/Dockerfile built in ${buildSeconds.toFixed(1)} s\n`);
    const config = JSON.parse(
      await docker(["image", "inspect", "--format", "{{json .Config}}", IMAGE]),
    ) as { User: string; Entrypoint: string[]; Healthcheck?: { Test: string[] } };
    expect(config.User).toBe("1000:1000");
    expect(config.Entrypoint).toEqual(["node", "/app/bin/autoscorer.js"]);
    expect(config.Healthcheck?.Test).toEqual(["CMD", "node", "/app/deploy/healthcheck.mjs"]);
    const help = await docker(["run", "--rm", ...LOCKED_DOWN, IMAGE, "--help"]);
    for (const role of ["serve", "worker", "scheduler", "migrate", "start", "score"])
      expect(help).toMatch(new RegExp(`^  ${role} `, "m"));
    const ids = await docker([
      "run",
      "--rm",
      ...LOCKED_DOWN,
      "--entrypoint=node",
      IMAGE,
      "-e",
      "console.log(process.getuid(), process.getgid())",
    ]);
    expect(ids.trim()).toBe("1000 1000");
  });

  it("holds production dependencies only, and code its user cannot change", async () => {
    const script = `
      const fs = require("node:fs");
      const lock = JSON.parse(fs.readFileSync("/app/package-lock.json", "utf8"));
      const dev = Object.entries(lock.packages).filter(([p, e]) => p && e.dev).map(([p]) => p);
      console.log(JSON.stringify({
        devPresent: dev.filter((p) => fs.existsSync("/app/" + p)),
        devInLock: dev.length,
        client: fs.existsSync("/app/src/generated/prisma/client.ts"),
        writable: ["/app", "/app/src", "/app/node_modules"].filter((d) => {
          try { fs.accessSync(d, fs.constants.W_OK); return true; } catch { return false; }
        }),
      }));`;
    const report = JSON.parse(
      await docker(["run", "--rm", ...LOCKED_DOWN, "--entrypoint=node", IMAGE, "-e", script]),
    ) as { devPresent: string[]; devInLock: number; client: boolean; writable: string[] };
    expect(report.devInLock).toBeGreaterThan(50);
    expect(report.devPresent).toEqual([]);
    expect(report.client).toBe(true);
    expect(report.writable).toEqual([]);
  });

  it("scores a workspace as its unprivileged user (`autoscorer score`)", async () => {
    const workspace = mkdtempSync(path.join(os.tmpdir(), "autoscorer-deploy-score-"));
    try {
      cpSync(FIXTURE, workspace, { recursive: true });
      // The container's user is not ours: let it write output/result.json.
      await run("chmod", ["-R", "a+rwX", workspace]);
      const stdout = await docker([
        "run",
        "--rm",
        ...LOCKED_DOWN,
        `--volume=${workspace}:/workspace`,
        IMAGE,
        "score",
        "--workspace=/workspace",
        "--scorer=classification_f1",
      ]);
      const expected = JSON.parse(readFileSync(path.join(FIXTURE, "expected.json"), "utf8")) as {
        metrics: Record<string, number>;
      };
      const result = JSON.parse(stdout) as { metrics: Record<string, number> };
      for (const [metric, value] of Object.entries(expected.metrics))
        expect(result.metrics[metric]).toBeCloseTo(value, 9);
      const written = JSON.parse(
        readFileSync(path.join(workspace, "output/result.json"), "utf8"),
      ) as { metrics: Record<string, number> };
      expect(written.metrics).toEqual(result.metrics);
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });

  it("runs the whole platform read-only (`start`), reports healthy, and stops cleanly on SIGTERM", async () => {
    const container = `${name}-start`;
    containers.push(container);
    await docker([
      "run",
      "--detach",
      `--name=${container}`,
      ...LOCKED_DOWN,
      // Embedded Postgres, inputs and workspaces: a volume in production, tmpfs here.
      "--tmpfs=/var/lib/autoscorer:uid=1000,gid=1000",
      "--health-interval=1s",
      "--health-start-period=60s",
      IMAGE,
      "start",
    ]);
    const deadline = Date.now() + 60_000;
    let health = "";
    while (Date.now() < deadline) {
      health = (
        await docker([
          "inspect",
          "--format",
          "{{.State.Status}} {{.State.Health.Status}}",
          container,
        ])
      ).trim();
      if (health !== "running starting") break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const logs = async () => (await run("docker", ["logs", container])).stderr.slice(-3000);
    if (health !== "running healthy") throw new Error(`container is ${health}:\n${await logs()}`);
    const ready = await docker([
      "exec",
      container,
      "node",
      "-e",
      "fetch('http://127.0.0.1:4000/readyz').then(async (r) => console.log(r.status, await r.text()))",
    ]);
    expect(ready.trim()).toBe("200 ready");
    // Node is PID 1 here: SIGTERM reaches the app's own handler, which shuts down in order.
    await docker(["stop", "--time=30", container]);
    const exit = await docker(["inspect", "--format", "{{.State.ExitCode}}", container]);
    expect(exit.trim(), await logs()).toBe("0");
  }, 120_000);
});

function warn(error: unknown): void {
  process.stderr.write(`cleanup: ${String(error)}\n`);
}
