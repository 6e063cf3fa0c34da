import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (`main`) and ESM (`module`). Node, and so Pothos and Yoga, load
    // the CJS build; Vite would give our own files the ESM one, and graphql refuses to mix
    // the two. Point every import at the build Node uses.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    setupFiles: ["test/helpers/leak-check.ts"],
    // Integration tests each get their own database cloned from a migrated template, so
    // files run in parallel safely; two workers match the two cores CI has.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
