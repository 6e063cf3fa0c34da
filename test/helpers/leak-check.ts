// Loaded before every test file (vitest setupFiles): a test that starts a platform (and so
// a pool, a scheduler or a worker) must stop it before it ends, and a file must stop what
// its hooks started before the file ends. A leak would keep connections and timers alive
// into later tests and hide shutdown bugs.
import { afterAll, afterEach, beforeEach, expect } from "vitest";
import { livePlatforms, setCurrentTest } from "./platform.ts";

beforeEach((context) => {
  setCurrentTest(context.task.name);
});

afterEach(async (context) => {
  const name = context.task.name;
  setCurrentTest("(a hook)");
  const leaked = [...livePlatforms].filter(([, test]) => test === name);
  for (const [platform] of leaked) await platform.stop();
  expect(leaked.length, `"${name}" left ${leaked.length} platform(s) running`).toBe(0);
});

afterAll(async () => {
  const leaked = [...livePlatforms.keys()];
  for (const platform of leaked) await platform.stop();
  expect(leaked.length, `the file's hooks left ${leaked.length} platform(s) running`).toBe(0);
});
