// The layers a `docker build` made (read from the classic builder's output), which of them
// to keep for the next run's cache, and removing the rest. Kept: the installed
// dependencies, in the build stage and in the runtime stage — the slow steps (npm ci, and
// copying node_modules), which only a new lockfile changes. They are tagged, keyed by what
// they depend on, and older keys are dropped, like the other test images.
import { execFileSync } from "node:child_process";

export interface BuildStep {
  instruction: string;
  /** The image this step produced (or found in the cache). */
  image: string;
}

/** "Step 8/24 : RUN npm ci …" followed, some lines later, by " ---> 1a2b3c4d5e6f". */
export function buildSteps(output: string): BuildStep[] {
  const steps: BuildStep[] = [];
  let instruction: string | undefined;
  for (const line of output.split("\n")) {
    const step = /^Step \d+\/\d+ : (.*)$/.exec(line);
    if (step) instruction = step[1];
    const made = /^ ---> ([0-9a-f]{12})$/.exec(line);
    if (made?.[1] && instruction !== undefined) {
      steps.push({ instruction, image: made[1] });
      instruction = undefined;
    }
  }
  return steps;
}

const docker = (args: string[]) =>
  execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

const tagsOf = (image: string): number | undefined => {
  try {
    return Number(docker(["image", "inspect", "--format", "{{len .RepoTags}}", image]));
  } catch {
    return undefined; // already removed, with a child we removed before
  }
};

function ancestors(image: string): Set<string> {
  const found = new Set<string>();
  let current = docker(["image", "inspect", "--format", "{{.Id}}", image]);
  while (current) {
    found.add(current);
    current = docker(["image", "inspect", "--format", "{{.Parent}}", current]);
  }
  return found;
}

/** Tags the steps whose instruction matches as `<repository>:<key>-<n>`; drops older keys. */
export function keepLayers(steps: BuildStep[], keep: RegExp[], repository: string, key: string) {
  const tags = keep.map((pattern, n) => {
    const step = steps.find((s) => pattern.test(s.instruction));
    if (!step) throw new Error(`no build step matches ${pattern}`);
    const tag = `${repository}:${key}-${n}`;
    docker(["tag", step.image, tag]);
    return tag;
  });
  for (const tag of tagsIn(repository).filter((t) => !tags.includes(t))) {
    try {
      docker(["image", "rm", tag]);
    } catch (error) {
      process.stderr.write(`could not remove old build layer ${tag}: ${String(error)}\n`);
    }
  }
}

const tagsIn = (repository: string) =>
  docker(["image", "ls", repository, "--format", "{{.Repository}}:{{.Tag}}"])
    .split("\n")
    .filter(Boolean);

/**
 * Removes the build's untagged layers, newest first, except those the repository's kept
 * layers stand on.
 */
export function removeLayers(steps: BuildStep[], repository: string): void {
  const kept = new Set(tagsIn(repository).flatMap((tag) => [...ancestors(tag)]));
  for (const { image } of [...steps].reverse()) {
    if (tagsOf(image) !== 0) continue;
    const id = docker(["image", "inspect", "--format", "{{.Id}}", image]);
    if (kept.has(id)) continue;
    try {
      docker(["image", "rm", image]);
    } catch (error) {
      process.stderr.write(`could not remove build layer ${image}: ${String(error)}\n`);
    }
  }
}
