// The team's side in a real browser against the whole platform (API, scheduler and a
// local worker on one database, serving the built web client): sign in, submit a job from
// the form and watch it run without reloading, follow its logs to its score, and see the
// leaderboard change when another team does better.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  describeWithBrowser,
  isSameDocument,
  launchChromium,
  markDocument,
  type SignedIn,
  screenshot,
  signIn,
} from "../helpers/browser.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { submit } from "../jobs/helpers.ts";
import { GT, startTestPipeline, type TestPipeline } from "../pipeline/helpers.ts";

let p: TestPipeline;
let browser: Browser;
const keys: Record<string, string> = {};
const users: SignedIn[] = [];

/** Every label in GT right: a perfect score, better than the pipeline's default PRED. */
const PERFECT = GT;

describeWithBrowser("the team dashboard in a browser", () => {
  beforeAll(async () => {
    p = await startTestPipeline();
    for (const slug of ["alpha", "beta"]) {
      await createTenant(p.api, slug, { maxConcurrentJobs: 4, submissionsPerDay: 50 });
      keys[slug] = (await createKey(p.api, slug, "MEMBER")).token;
      p.input(slug, "ok");
    }
    p.input("beta", "perfect", { "gt.csv": GT, "pred.csv": PERFECT });
    for (const [slug, phase] of [
      ["cup", { slug: "dev", name: "Development" }],
      ["secret", { slug: "final", name: "Final", private: true }],
    ] as const) {
      const created = await p.api.gql(
        `mutation($input: CreateCompetitionInput!) { createCompetition(input: $input) { __typename } }`,
        {
          input: {
            slug,
            title: `The ${slug}`,
            scorer: "classification_f1",
            metric: "accuracy",
            tiebreakMetrics: ["f1_macro"],
            phases: [phase],
          },
        },
      );
      expect(created.data).toEqual({ createCompetition: { __typename: "Competition" } });
    }
    await p.addWorker("web-node", { maxJobs: 4 });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const user of users) expect(user.errors).toEqual([]);
    await browser?.close();
    await p?.close();
  });

  it("signs in, submits a job from the form and shows it PENDING → RUNNING → SUCCEEDED live", async () => {
    const user = await signIn(browser, p.api.url, keys.alpha as string);
    users.push(user);
    const { page } = user;
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Tenant alpha · Jobs");
    await page.getByText("No jobs yet").waitFor();
    await page.getByRole("status").filter({ hasText: "Live" }).first().waitFor();
    await markDocument(page);
    // Every state a job row shows, in order, as the page shows it.
    await page.evaluate(() => {
      const seen: string[] = [];
      (globalThis as { __states?: string[] }).__states = seen;
      const record = () => {
        const state = document.querySelector("tbody tr [data-state]")?.getAttribute("data-state");
        if (state && seen.at(-1) !== state) seen.push(state);
      };
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ["data-state"],
      });
    });

    await page.getByText("Submit a job").click();
    const form = page.getByRole("form", { name: "Submit a job" });
    await form.getByLabel("Input folder").fill("ok");
    await form.getByLabel("Competition").selectOption("cup");
    await form.getByText("Resources, limits and an inference container").click();
    await form.getByLabel("Container image").fill("local");
    await form
      .getByLabel("Command")
      .fill("sh\n-c\necho preparing predictions; sleep 1; cp input/data/pred.csv output/");
    // A mistake comes back from the API beside its field, and nothing is submitted.
    await form.getByLabel("Input folder").fill("no-such-folder");
    await form.getByRole("button", { name: "Submit job" }).click();
    await form.getByRole("alert").getByText("VALIDATION_FAILED").waitFor();
    expect(await form.locator("#spec-inputUri-issues").textContent()).toContain(
      "no such directory",
    );
    expect(await form.getByLabel("Input folder").getAttribute("aria-invalid")).toBe("true");
    await form.getByLabel("Input folder").fill("ok");
    await form.getByRole("button", { name: "Submit job" }).click();
    await form.getByText("Submitted job").waitFor();

    const row = page.locator("tbody tr").first();
    await row.locator('[data-state="SUCCEEDED"]').waitFor({ timeout: 20_000 });
    const states = await page.evaluate(() => (globalThis as { __states?: string[] }).__states);
    expect(states?.[0]).toBe("PENDING");
    expect(states).toContain("RUNNING");
    expect(states?.at(-1)).toBe("SUCCEEDED");
    expect(states?.indexOf("RUNNING")).toBeGreaterThan(0);
    // The job's own score (the scorer's f1_macro); the competition ranks by accuracy.
    expect(await row.locator("td.num").textContent()).toBe("0.733333");
    expect(await isSameDocument(page)).toBe(true);
    await screenshot(page, "dashboard");
  });

  it("follows a running job's page: timeline, logs as they are written, and the score", async () => {
    const { page } = users[0] as SignedIn;
    const job = await submit(
      p.api,
      {
        taskType: "classification",
        scorer: "classification_f1",
        inputUri: "ok",
        container: {
          image: "local",
          cmd: [
            "sh",
            "-c",
            "echo line-one; sleep 1.5; echo line-two; sleep 1; cp input/data/pred.csv output/",
          ],
        },
      },
      keys.alpha,
    );
    const id = (job as { id: string }).id;
    // The new job arrives in the list live; open it from there.
    await page.locator(`tr[data-job-id="${id}"] a`).click();
    await page.getByRole("heading", { name: /^Job / }).waitFor();
    await markDocument(page);
    const logs = page.getByRole("log", { name: "Job output" });
    await logs.getByText("line-one").waitFor({ timeout: 15_000 });
    await logs.getByText("line-two").waitFor({ timeout: 15_000 });
    await page
      .getByTestId("job-state")
      .locator('[data-state="SUCCEEDED"]')
      .waitFor({ timeout: 20_000 });
    expect(await page.getByTestId("job-score").textContent()).toBe("0.733333");
    const timeline = await page
      .locator(".timeline li")
      .evaluateAll((items) => items.map((item) => item.getAttribute("data-to-state")));
    expect(timeline).toEqual(["PENDING", "QUEUED", "RUNNING", "SUCCEEDED"]);
    expect(await page.getByRole("table", { name: "Metrics" }).textContent()).toContain("f1_macro");
    expect(await isSameDocument(page)).toBe(true);
    await screenshot(page, "job");
  });

  it("shows the leaderboard with the team's row highlighted, changing live", async () => {
    const { page } = users[0] as SignedIn;
    await page.getByRole("link", { name: "Leaderboards" }).click();
    await page.getByRole("heading", { name: "The cup · Development" }).waitFor();
    await markDocument(page);
    const teams = () =>
      page
        .locator("table.board tbody tr")
        .evaluateAll((rows) =>
          rows.map(
            (row) => `${row.getAttribute("data-team")}${row.classList.contains("mine") ? "*" : ""}`,
          ),
        );
    expect(await teams()).toEqual(["alpha*"]);
    expect(await page.getByTestId("own-entry").textContent()).toContain("rank 1");

    const better = await submit(
      p.api,
      { taskType: "classification", inputUri: "perfect", competition: "cup" },
      keys.beta,
    );
    await p.waitFor((better as { id: string }).id, ["SUCCEEDED"]);
    await page.locator('table.board tbody tr[data-team="beta"]').waitFor();
    expect(await teams()).toEqual(["beta", "alpha*"]);
    await page.getByTestId("own-entry").getByText("rank 2").waitFor();
    expect(await isSameDocument(page)).toBe(true);
    await screenshot(page, "leaderboard");

    await page.getByLabel("Competition").selectOption("secret");
    await page.getByTestId("scores-hidden").waitFor();
    expect(await page.getByTestId("scores-hidden").textContent()).toContain(
      "scores hidden until revealed",
    );
  });

  it("serves the app under a strict CSP, hashed assets for a year, and client routes", async () => {
    const { page } = users[0] as SignedIn;
    const shell = await page.request.get("/");
    expect(shell.headers()["content-security-policy"]).toContain("script-src 'self'");
    expect(shell.headers()["cache-control"]).toBe("no-cache");
    const script = (await shell.text()).match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    const asset = await page.request.get(script as string);
    expect(asset.headers()["cache-control"]).toContain("immutable");
    // A production build: no development JSX naming source files (a test run's NODE_ENV
    // must not change what is built).
    expect(await asset.text()).not.toContain("web/src/");
    // A client route reloaded in place gets the app shell, which opens the same page.
    const deep = await page.request.get("/leaderboard/cup/dev");
    expect(deep.headers()["content-type"]).toContain("text/html");
  });

  it("fits a narrow screen", async () => {
    const user = await signIn(browser, p.api.url, keys.alpha as string, {
      width: 390,
      height: 844,
    });
    users.push(user);
    const { page } = user;
    await page.locator("tbody tr").first().waitFor();
    // Only the tables scroll sideways, inside their own box; the page itself does not.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    await screenshot(page, "dashboard-narrow");
    expect(overflow).toBeLessThanOrEqual(0);
    await user.context.close();
  });
});
