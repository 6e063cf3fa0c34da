// bench:scorers — generates (once, into bench/out/scorers/) a 5-million-row classification
// set, a 5-million-row regression set and a 5,000-image COCO detection set, then scores the
// tabular sets with AutoScorer (library in a child process, and the CLI) and with pandas +
// scikit-learn side by side, and the detection set with AutoScorer. Reports wall time, peak
// RSS, ratios, and the largest metric difference between the two implementations.
//
//   npm run bench:scorers            (BENCH_ROWS=500000 for a quick run)
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createScorerRegistry, scoreWorkspace } from "../src/scorers/index.ts";
import { fmt } from "./lib.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const OUT = path.join(HERE, "out/scorers");
const ROWS = Number(process.env.BENCH_ROWS ?? 5_000_000);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 5000);
const PYTHON = "/usr/bin/python3";

/** Deterministic xorshift so every run scores the same files. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Writes lines in large blocks; one string per block, not per line. */
function writeLines(
  file: string,
  header: string,
  count: number,
  line: (i: number) => string,
): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, "w");
  let block = `${header}\n`;
  for (let i = 0; i < count; i++) {
    block += `${line(i)}\n`;
    if (block.length > 1 << 20) {
      writeSync(fd, block);
      block = "";
    }
  }
  writeSync(fd, block);
  closeSync(fd);
}

/** A 9-character id per row: a bijection of the row number, so ids are unique and unordered. */
const idOf = (i: number) => `u${(Math.imul(i, 0x9e3779b1) >>> 0).toString(16).padStart(8, "0")}`;

function permutation(n: number, rand: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

function generateTabular(dir: string, kind: "classification" | "regression"): void {
  const marker = path.join(dir, `.rows-${ROWS}`);
  if (existsSync(marker)) return;
  const rand = random(kind === "classification" ? 7 : 11);
  const truth = new Float64Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    truth[i] =
      kind === "classification"
        ? Math.floor(rand() ** 1.5 * 10)
        : (rand() - 0.5) * 2000 + rand() * rand() * 500;
  }
  const header = kind === "classification" ? "id,label" : "id,value";
  const value = (i: number, predicted: boolean): string => {
    const t = truth[i] as number;
    if (kind === "classification")
      return `class_${predicted && rand() > 0.7 ? Math.floor(rand() * 10) : t}`;
    return String(predicted ? t + (rand() - 0.5) * 200 : t);
  };
  writeLines(path.join(dir, "input/gt.csv"), header, ROWS, (i) => `${idOf(i)},${value(i, false)}`);
  const order = permutation(ROWS, rand);
  writeLines(path.join(dir, "output/pred.csv"), header, ROWS, (k) => {
    const i = order[k] as number;
    return `${idOf(i)},${value(i, true)}`;
  });
  writeLines(marker, "done", 0, () => "");
}

function generateDetection(dir: string): { boxes: number; detections: number } {
  const rand = random(13);
  const images: unknown[] = [];
  const annotations: unknown[] = [];
  const results: unknown[] = [];
  const categories = Array.from({ length: 10 }, (_, k) => ({ id: k + 1, name: `class_${k + 1}` }));
  for (let img = 1; img <= IMAGES; img++) {
    const width = 300 + Math.floor(rand() * 500);
    const height = 200 + Math.floor(rand() * 500);
    images.push({ id: img, width, height, file_name: `${img}.jpg` });
    const count = 1 + Math.floor(rand() * 5);
    for (let b = 0; b < count; b++) {
      const size =
        rand() < 0.3 ? 8 + rand() * 24 : rand() < 0.6 ? 32 + rand() * 64 : 96 + rand() * 200;
      const w = size * (0.6 + rand() * 0.8);
      const h = size * (0.6 + rand() * 0.8);
      const x = rand() * Math.max(1, width - w);
      const y = rand() * Math.max(1, height - h);
      const category = 1 + Math.floor(rand() * 10);
      annotations.push({
        id: annotations.length + 1,
        image_id: img,
        category_id: category,
        bbox: [x, y, w, h],
        area: w * h,
        iscrowd: rand() < 0.01 ? 1 : 0,
      });
      if (rand() < 0.85) {
        const jitter = () => (rand() - 0.5) * 0.3 * size;
        results.push({
          image_id: img,
          category_id: rand() < 0.9 ? category : 1 + Math.floor(rand() * 10),
          bbox: [x + jitter(), y + jitter(), w + jitter(), h + jitter()],
          score: Math.round((0.3 + rand() * 0.7) * 1e4) / 1e4,
        });
      }
    }
  }
  while (results.length < Math.round(IMAGES * 4)) {
    const img = 1 + Math.floor(rand() * IMAGES);
    const size = 10 + rand() * 150;
    results.push({
      image_id: img,
      category_id: 1 + Math.floor(rand() * 10),
      bbox: [rand() * 400, rand() * 300, size, size * (0.5 + rand())],
      score: Math.round(rand() * 0.6 * 1e4) / 1e4,
    });
  }
  mkdirSync(path.join(dir, "input"), { recursive: true });
  mkdirSync(path.join(dir, "output"), { recursive: true });
  const write = (file: string, value: unknown) => {
    const fd = openSync(path.join(dir, file), "w");
    writeSync(fd, JSON.stringify(value));
    closeSync(fd);
  };
  write("input/gt.json", { images, annotations, categories });
  write("output/pred.json", results);
  return { boxes: annotations.length, detections: results.length };
}

interface Run {
  wallSeconds: number;
  /** Time inside the process after start-up and imports. */
  seconds: number;
  peakBytes: number;
  metrics: Record<string, number>;
}

function spawnJson(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const wallSeconds = (performance.now() - started) / 1000;
      if (code !== 0)
        return reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr}${stdout}`));
      const parsed = JSON.parse(stdout.trim().split("\n").at(-1) as string) as Omit<
        Run,
        "wallSeconds"
      >;
      resolve({ ...parsed, wallSeconds });
    });
  });
}

/** The CLI under /usr/bin/time, which reports the peak RSS of the whole process. */
function cliRun(workspace: string, scorer: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      "/usr/bin/time",
      [
        "-f",
        "PEAK_KIB=%M",
        process.execPath,
        "--import",
        "tsx",
        "src/cli/main.ts",
        "score",
        "--workspace",
        workspace,
        "--scorer",
        scorer,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const wallSeconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`CLI exited ${code}: ${stderr}${stdout}`));
      const result = JSON.parse(stdout) as {
        metrics: Record<string, number>;
        timing: { total_time: number };
      };
      const peak = Number(/PEAK_KIB=(\d+)/.exec(stderr)?.[1] ?? Number.NaN) * 1024;
      resolve({
        wallSeconds,
        seconds: result.timing.total_time,
        peakBytes: peak,
        metrics: result.metrics,
      });
    });
  });
}

const autoscorer = (scorer: string, workspace: string) =>
  spawnJson(process.execPath, [
    "--import",
    "tsx",
    fileURLToPath(import.meta.url),
    "child",
    scorer,
    workspace,
  ]);
const sklearn = (kind: string, workspace: string) =>
  spawnJson(PYTHON, [path.join(HERE, "peers/sklearn_score.py"), kind, workspace]);

const mb = (bytes: number) => `${fmt(bytes / 1024 ** 2)} MiB`;
const maxDiff = (a: Record<string, number>, b: Record<string, number>) =>
  Math.max(...Object.keys(b).map((k) => Math.abs((a[k] ?? Number.NaN) - (b[k] as number))));

async function child(scorer: string, workspace: string): Promise<void> {
  const registry = await createScorerRegistry();
  const started = performance.now();
  const result = await scoreWorkspace(registry, { workspace, scorer, params: {} });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `${JSON.stringify({ seconds, peakBytes: process.resourceUsage().maxRSS * 1024, metrics: result.metrics })}\n`,
  );
}

async function main(): Promise<void> {
  const sets = [
    { name: "classification", scorer: "classification_f1", dir: path.join(OUT, "classification") },
    { name: "regression", scorer: "regression_rmse", dir: path.join(OUT, "regression") },
  ] as const;
  for (const set of sets) {
    const started = performance.now();
    generateTabular(set.dir, set.name);
    process.stderr.write(
      `${set.name}: data ready in ${fmt((performance.now() - started) / 1000, 1)} s\n`,
    );
  }
  const detectionDir = path.join(OUT, "detection");
  const counts = generateDetection(detectionDir);

  const lines: string[] = [];
  lines.push(
    "| set | input | implementation | wall (s) | scoring (s) | peak RSS | peak / input | max metric diff |",
    "|---|---|---|---|---|---|---|---|",
  );
  const ratios: string[] = [];
  for (const set of sets) {
    const input =
      statSync(path.join(set.dir, "input/gt.csv")).size +
      statSync(path.join(set.dir, "output/pred.csv")).size;
    const ours = await autoscorer(set.scorer, set.dir);
    const cli = await cliRun(set.dir, set.scorer);
    const peer = await sklearn(set.name, set.dir);
    const diff = maxDiff(ours.metrics, peer.metrics);
    const row = (label: string, r: Run, d: string) =>
      `| ${set.name} (${fmt(ROWS)} rows) | ${mb(input)} | ${label} | ${fmt(r.wallSeconds, 2)} | ${fmt(r.seconds, 2)} | ${mb(r.peakBytes)} | ${fmt(r.peakBytes / input, 2)}x | ${d} |`;
    lines.push(
      row("AutoScorer library", ours, diff.toExponential(1)),
      row("AutoScorer CLI", cli, maxDiff(cli.metrics, peer.metrics).toExponential(1)),
      row("pandas + scikit-learn", peer, "—"),
    );
    ratios.push(
      `${set.name}: AutoScorer is ${fmt(peer.seconds / ours.seconds, 1)}x faster in scoring time (${fmt(peer.wallSeconds / ours.wallSeconds, 1)}x wall, CLI ${fmt(peer.wallSeconds / cli.wallSeconds, 1)}x wall) and uses ${fmt(peer.peakBytes / ours.peakBytes, 2)}x less peak memory than pandas + scikit-learn`,
    );
    process.stderr.write(`${lines.at(-3)}\n${lines.at(-2)}\n${lines.at(-1)}\n`);
  }
  const detInput =
    statSync(path.join(detectionDir, "input/gt.json")).size +
    statSync(path.join(detectionDir, "output/pred.json")).size;
  const det = await autoscorer("detection_map", detectionDir);
  lines.push(
    `| detection (${fmt(IMAGES)} images, ${fmt(counts.boxes)} boxes, ${fmt(counts.detections)} detections) | ${mb(detInput)} | AutoScorer library | ${fmt(det.wallSeconds, 2)} | ${fmt(det.seconds, 2)} | ${mb(det.peakBytes)} | ${fmt(det.peakBytes / detInput, 1)}x | no peer (pycocotools is not packaged for Debian) |`,
  );
  process.stdout.write(
    `${lines.join("\n")}\n\n${ratios.map((r) => `- ${r}`).join("\n")}\n- detection map = ${det.metrics.map}\n`,
  );
}

if (process.argv[2] === "child") {
  await child(process.argv[3] as string, process.argv[4] as string);
} else {
  await main();
}
