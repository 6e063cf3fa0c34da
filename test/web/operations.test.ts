// Every GraphQL operation the web client sends is valid against the committed schema, so a
// renamed or removed field fails here rather than on a page. No browser or server needed.
import { readFileSync } from "node:fs";
import path from "node:path";
import { buildSchema, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { ME_QUERY } from "../../web/src/api/me.ts";
import * as admin from "../../web/src/api/operations/admin.ts";
import * as job from "../../web/src/api/operations/job.ts";
import * as jobs from "../../web/src/api/operations/jobs.ts";
import * as leaderboard from "../../web/src/api/operations/leaderboard.ts";
import * as quota from "../../web/src/api/operations/quota.ts";

const schema = buildSchema(
  readFileSync(path.resolve(import.meta.dirname, "../../schema.graphql"), "utf8"),
);

const operations = Object.entries({ ...admin, ...job, ...jobs, ...leaderboard, ...quota, ME_QUERY })
  // Fragments alone are parts of operations, checked with them.
  .filter(([, text]) => typeof text === "string" && !text.trimStart().startsWith("fragment"));

describe("web client operations", () => {
  it.each(operations)("%s is valid against schema.graphql", (_name, text) => {
    const errors = validate(schema, parse(text as string));
    expect(errors.map((e) => e.message)).toEqual([]);
  });
});
