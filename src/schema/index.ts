// Assembles the schema: each import registers one domain's types and fields.
import type { GraphQLSchema } from "graphql";
import { assertRootFieldsAuthorized } from "./authorization.ts";
import { builder } from "./builder.ts";
import "./scalars.ts";
import "./errors.ts";
import "./tenants.ts";
import "./competitions.ts";
import "./audit.ts";
import "./jobs.ts";
import "./job-live.ts";
import "./leaderboards.ts";
import "./scorers.ts";
import "./executors.ts";
import "./webhooks.ts";

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

let built: GraphQLSchema | undefined;

/** Builds once per process; the builder is a module singleton. */
export function buildSchema(): GraphQLSchema {
  if (!built) {
    built = builder.toSchema({ sortSchema: true });
    assertRootFieldsAuthorized(built);
  }
  return built;
}
