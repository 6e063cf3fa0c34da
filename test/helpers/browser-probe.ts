// Run once by the global setup: is there a Chromium to drive, and is the web client built
// (rebuilt when its sources changed)? The answer reaches test files through
// `inject("browser")`. Playwright never downloads a browser here: it drives the system's.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { ensureWebBuild } from "./web-build.ts";

/** Debian's chromium package; AUTOSCORER_CHROMIUM names another build. */
export const CHROMIUM_PATH = process.env.AUTOSCORER_CHROMIUM ?? "/usr/bin/chromium";

export interface BrowserStatus {
  available: boolean;
  /** Why not, when it is not. */
  reason: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    browser: BrowserStatus;
  }
}

export function probeBrowser(): BrowserStatus {
  if (!existsSync(CHROMIUM_PATH)) {
    return {
      available: false,
      reason: `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`,
    };
  }
  try {
    execFileSync(CHROMIUM_PATH, ["--version"], { stdio: "ignore", timeout: 20_000 });
  } catch (error) {
    return { available: false, reason: `${CHROMIUM_PATH} does not run (${String(error)})` };
  }
  try {
    ensureWebBuild();
  } catch (error) {
    return { available: false, reason: `the web client did not build (${String(error)})` };
  }
  return { available: true, reason: "" };
}
