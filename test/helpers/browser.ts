// A real browser in the tests: the system's Chromium driven by playwright-core. A suite
// that needs it uses `describeWithBrowser`: without Chromium it is skipped on a developer's
// machine, but under CI=true it runs as one failing test that names what is missing.
// Each user of a test gets a context of their own (own cookies and sessionStorage), as
// separate browsers would; the browser itself runs on a fresh temporary profile.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { describe, inject, it } from "vitest";
import { type BrowserStatus, CHROMIUM_PATH } from "./browser-probe.ts";
import { ROOT } from "./web-build.ts";

export const browserStatus = (): BrowserStatus => inject("browser");

export function describeWithBrowser(name: string, suite: () => void): void {
  const status = browserStatus();
  if (status.available) {
    describe(name, suite);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it("has Chromium and a built web client (required under CI=true)", () => {
        throw new Error(status.reason);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${status.reason})`, suite);
  }
}

/** Flags for a headless Chromium that reaches nothing but the pages it is sent to. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function launchChromium(): Promise<Browser> {
  // launch() starts Chromium on a new temporary profile (user-data-dir) and removes it on close.
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

export const SCREENSHOTS = path.join(ROOT, "test", "out", "screenshots");

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface SignedIn {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions and console errors of the page: a test expects none. */
  errors: string[];
}

/** A signed-in user: their own context and page, on the app's address. */
export async function signIn(
  browser: Browser,
  url: string,
  key: string,
  viewport = { width: 1280, height: 900 },
): Promise<SignedIn> {
  const context = await browser.newContext({ viewport, baseURL: url });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.goto("/");
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  return { context, page, errors };
}

/**
 * Marks the document so a test can tell that the page was never reloaded since: a reload
 * starts a new document without the mark.
 */
export const markDocument = (page: Page) =>
  page.evaluate(() => {
    (globalThis as { __sameDocument?: boolean }).__sameDocument = true;
  });

export const isSameDocument = (page: Page) =>
  page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument === true);
