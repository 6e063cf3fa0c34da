// Test images, made on this machine with `docker import` from a root filesystem assembled
// here: no test, benchmark or CI step pulls from a registry (none is reachable, and a test
// must not depend on one). Each image is built once and reused while its tag exists.
//
// - busybox: Debian's busybox-static and a link per applet: a POSIX sh, coreutils, nc,
//   nslookup — enough for every shell command the executor tests run and for probes.
// - node: the Node binary npm installed (the `node` devDependency) with the shared
//   libraries `ldd` lists, plus busybox for a shell: what a team's JavaScript job needs.
// Both carry /etc/passwd and /etc/group with an unprivileged user 1000 and a /tmp.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

export const BUSYBOX_IMAGE = "autoscorer-test/busybox:1";
export const NODE_IMAGE = "autoscorer-test/node:24";

const BUSYBOX = "/bin/busybox";

const imageExists = (tag: string): boolean => {
  try {
    execFileSync("docker", ["image", "inspect", tag], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

function baseRootfs(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "autoscorer-rootfs-"));
  for (const dir of ["bin", "etc", "tmp", "workspace", "proc", "dev", "sys"])
    mkdirSync(path.join(root, dir), { recursive: true });
  execFileSync("chmod", ["1777", path.join(root, "tmp")]);
  writeFileSync(
    path.join(root, "etc", "passwd"),
    "root:x:0:0:root:/root:/bin/sh\nrunner:x:1000:1000:runner:/tmp:/bin/sh\n",
  );
  writeFileSync(path.join(root, "etc", "group"), "root:x:0:\nrunner:x:1000:\n");
  copyFileSync(BUSYBOX, path.join(root, "bin", "busybox"));
  execFileSync("chmod", ["755", path.join(root, "bin", "busybox")]);
  const applets = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" }).split("\n");
  for (const applet of applets.filter((a) => a && a !== "busybox"))
    symlinkSync("busybox", path.join(root, "bin", applet));
  return root;
}

function importRootfs(root: string, tag: string, changes: string[]): void {
  const args = ["import", ...changes.flatMap((c) => ["--change", c]), "-", tag];
  const tar = execFileSync("tar", ["-C", root, "-c", "."], { maxBuffer: 1 << 30 });
  execFileSync("docker", args, { input: tar, stdio: ["pipe", "ignore", "inherit"] });
}

function buildBusybox(): void {
  const root = baseRootfs();
  try {
    importRootfs(root, BUSYBOX_IMAGE, ["ENV PATH=/bin", "WORKDIR /workspace", 'CMD ["sh"]']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The Node binary the `node` devDependency installed, and the libraries it links. */
function buildNode(): void {
  const require = createRequire(import.meta.url);
  const binary = path.join(path.dirname(require.resolve("node/package.json")), "bin", "node");
  const root = baseRootfs();
  try {
    copyFileSync(binary, path.join(root, "bin", "node"));
    execFileSync("chmod", ["755", path.join(root, "bin", "node")]);
    const libraries = execFileSync("ldd", [binary], { encoding: "utf8" })
      .split("\n")
      .flatMap((line) => {
        const match = /(\/\S+)\s+\(0x/.exec(line);
        return match?.[1] ? [match[1]] : [];
      });
    for (const library of libraries) {
      const target = path.join(root, library);
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(library, target);
    }
    importRootfs(root, NODE_IMAGE, ["ENV PATH=/bin", "WORKDIR /workspace", 'CMD ["node"]']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Builds whichever test image is missing. Throws when Docker or busybox-static is absent. */
export function ensureTestImages(): void {
  if (!imageExists(BUSYBOX_IMAGE)) buildBusybox();
  if (!imageExists(NODE_IMAGE)) buildNode();
}

if (import.meta.filename === process.argv[1]) {
  ensureTestImages();
  process.stdout.write(`test images ready: ${BUSYBOX_IMAGE}, ${NODE_IMAGE}\n`);
}
