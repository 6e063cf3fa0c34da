// The built web client (web/dist) that the platform serves: rebuilt when a source of it is
// newer than the build, so browser tests and bench:web never run an old bundle. `npm
// install` builds it too (postinstall); a fresh build takes about a second.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const WEB_DIST = path.join(ROOT, "web", "dist");
const SOURCES = ["web/src", "web/index.html", "web/vite.config.ts", "package-lock.json"];

function newestMtime(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(entry))
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

export function webBuildIsFresh(): boolean {
  const built = path.join(WEB_DIST, "index.html");
  if (!existsSync(built)) return false;
  const sources = Math.max(...SOURCES.map((source) => newestMtime(path.join(ROOT, source))));
  return statSync(built).mtimeMs >= sources;
}

/** Builds web/dist unless it is fresh; throws with the build's output when it fails. */
export function ensureWebBuild(): void {
  if (webBuildIsFresh()) return;
  const vite = path.join(ROOT, "node_modules", "vite", "bin", "vite.js");
  const result = spawnSync(process.execPath, [vite, "build", "web", "--logLevel", "warn"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new Error(`vite build web failed (${result.status}): ${result.stderr || result.stdout}`, {
      cause: result.error,
    });
  }
}
