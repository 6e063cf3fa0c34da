// The Pothos builder: plugins, context and scalar types only. Types live in one file per
// domain next to their queries and mutations.
import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import {
  AppError,
  ForbiddenError,
  UnauthenticatedError,
  ValidationError,
} from "../domain/errors.ts";
import type PrismaTypes from "../generated/pothos-types.ts";
import { getDatamodel } from "../generated/pothos-types.ts";
import type { GraphQLContext } from "./context.ts";

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  AuthScopes: { public: boolean; authenticated: boolean; platformAdmin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  // Scope checks wrap every resolver, so they run before the errors plugin sees a result.
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => ({
      public: true,
      authenticated: ctx.actor !== null,
      platformAdmin: ctx.actor?.isPlatformAdmin === true,
    }),
    // A subscription is authorized when it starts, not at each event it yields.
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, ctx) =>
      ctx.actor ? new ForbiddenError("not allowed") : new UnauthenticatedError(),
  },
  // Every field with `errors: {}` returns its result or one of these (see ./errors.ts);
  // fields add more specific types (e.g. DailyLimitReachedError) where they can occur.
  errors: {
    directResult: true,
    defaultTypes: [AppError, ValidationError],
  },
  prisma: {
    client: (ctx) => ctx.domain.db.prisma,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: { clientMutationId: "omit", cursorType: "String" },
});
