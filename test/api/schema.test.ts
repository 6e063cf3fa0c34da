import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printCurrentSchema, SCHEMA_FILE } from "../../src/schema/print.ts";

describe("schema.graphql", () => {
  it("is the committed print of the current schema (run `npm run schema:print`)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(printCurrentSchema());
  });
});
