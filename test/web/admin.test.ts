// The admin console and the walls between tenants, in a real browser against the whole
// platform: an admin's quota change reaches the team's open dashboard live; one team's
// browser never shows another's jobs; a bad or revoked key says so plainly.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ADMIN_KEY } from "../helpers/api.ts";
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
import { startTestPipeline, type TestPipeline } from "../pipeline/helpers.ts";

let p: TestPipeline;
let browser: Browser;
const keys: Record<string, string> = {};
const users: SignedIn[] = [];

describeWithBrowser("the admin console and tenant isolation in a browser", () => {
  beforeAll(async () => {
    p = await startTestPipeline();
    for (const slug of ["gamma", "delta"]) {
      await createTenant(p.api, slug, { maxConcurrentJobs: 2, submissionsPerDay: 20 });
      keys[slug] = (await createKey(p.api, slug, "MEMBER")).token;
      p.input(slug, "ok");
    }
    await p.addWorker("admin-node", { maxJobs: 4 });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const user of users) expect(user.errors).toEqual([]);
    await browser?.close();
    await p?.close();
  });

  it("shows an admin's quota change on the team's open dashboard without a reload", async () => {
    const team = await signIn(browser, p.api.url, keys.gamma as string);
    users.push(team);
    await team.page.getByTestId("usage-running-jobs").getByText("0 of 2").waitFor();
    await markDocument(team.page);

    const admin = await signIn(browser, p.api.url, ADMIN_KEY);
    users.push(admin);
    const { page } = admin;
    await page.getByRole("heading", { name: "Admin", level: 1 }).waitFor();
    await page.locator('tr[data-tenant="gamma"] a').click();
    await page.getByRole("heading", { name: "Edit quota" }).waitFor();
    await page.getByLabel("Concurrent jobs").fill("5");
    await page.getByLabel("Submissions per day").fill("7");
    await page.getByRole("button", { name: "Save quota" }).click();
    await page.getByText(/^Saved at/).waitFor();

    await team.page.getByTestId("usage-running-jobs").getByText("0 of 5").waitFor();
    await team.page.getByTestId("usage-submissions-today").getByText("0 of 7").waitFor();
    expect(await isSameDocument(team.page)).toBe(true);
    // The admin's own view of the tenant follows the same feed.
    await page.getByTestId("usage-running-jobs").getByText("0 of 5").waitFor();
    await screenshot(page, "admin-tenant");

    await page.getByRole("link", { name: "Executors" }).click();
    await page.locator('tr[data-executor="admin-node"]').getByText("Healthy").waitFor();
    await screenshot(page, "admin-executors");
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByLabel("Action").fill("quota.set");
    await page.getByRole("button", { name: "Apply filter" }).click();
    // The filtered page replaces the unfiltered one: one quota change, nothing else.
    await page.waitForFunction(
      () => document.querySelectorAll("table.audit tbody tr").length === 1,
    );
    expect(await page.locator("table.audit tbody tr").textContent()).toContain("quota.set");
    await screenshot(page, "admin-audit");
  });

  it("never shows one team's jobs in another team's browser", async () => {
    const gamma = users[0] as SignedIn;
    const delta = await signIn(browser, p.api.url, keys.delta as string);
    users.push(delta);
    await delta.page.getByText("No jobs yet").waitFor();

    const job = await submit(
      p.api,
      { taskType: "classification", scorer: "classification_f1", inputUri: "ok" },
      keys.gamma,
    );
    const id = (job as { id: string }).id;
    await gamma.page
      .locator(`tr[data-job-id="${id}"] [data-state="SUCCEEDED"]`)
      .waitFor({ timeout: 20_000 });
    // Delta's page was live the whole time, and still shows nothing of gamma's.
    expect(await delta.page.locator("tbody tr").count()).toBe(0);
    expect(await delta.page.content()).not.toContain(id);

    // Nor by its address: another team's job reads exactly like a missing one.
    await delta.page.goto(`/jobs/${id}`);
    await delta.page.getByRole("alert").getByText("NOT_FOUND").waitFor();
    expect(await delta.page.content()).not.toContain("gamma");
  });

  it("says plainly when a key is refused, at sign-in and when revoked while signed in", async () => {
    const context = await browser.newContext({ baseURL: p.api.url });
    const page = await context.newPage();
    await page.goto("/");
    await page.getByLabel("API key").fill("ask_000000000000_notakey");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("This API key was not accepted");
    await screenshot(page, "sign-in-refused");
    await context.close();

    const key = await createKey(p.api, "gamma", "MEMBER");
    const user = await signIn(browser, p.api.url, key.token);
    await user.page.getByRole("status").filter({ hasText: "Live" }).first().waitFor();
    const revoked = await p.api.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`, {
      id: key.id,
    });
    expect(revoked.errors).toBeUndefined();
    // The server closes the open socket (4403); the page signs out and says why.
    await user.page.getByText("Your API key is no longer accepted").waitFor({ timeout: 10_000 });
    await user.page.getByLabel("API key").waitFor();
    expect(await user.page.evaluate(() => sessionStorage.length)).toBe(0);
    await user.context.close();
  });
});
