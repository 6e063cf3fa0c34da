// The GraphQL endpoint: one Yoga instance serves every HTTP request (POST, GET, SSE,
// GraphiQL), so its plugins and hooks run for all of them, and WebSocket operations run
// through the same envelop (`getEnveloped`, see websocket.ts) with the same plugins,
// context and error policy.
import { randomUUID } from "node:crypto";
import { useGraphQlJit } from "@envelop/graphql-jit";
import { getOperationAST } from "graphql";
import { createGraphQLError, createYoga, type YogaServerInstance } from "graphql-yoga";
import type { Database } from "../db/database.ts";
import { AppError } from "../domain/errors.ts";
import type { Logger } from "../log.ts";
import {
  type OperationMetricsOptions,
  useOperationMetrics,
} from "../metrics/graphql-operations.ts";
import type { ApiServices, GraphQLContext } from "../schema/context.ts";
import { buildSchema } from "../schema/index.ts";
import type { Authenticator } from "./auth.ts";
import { clientResult, useErrorPolicy } from "./error-policy.ts";
import { boundedParseCaches } from "./parse-cache.ts";
import { type QueryLimits, useQueryLimits } from "./query-limits.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { requestError } from "./refusals.ts";
import { useBuiltInRefusalCodes, useCsrfPrevention, useNoIntrospection } from "./request-guards.ts";
import { useSharedSubscriptionExecution } from "./shared-subscription-execution.ts";
import { useTenantScope } from "./tenant-scope-plugin.ts";
import { type NodeServerContext, useRateLimit } from "./use-rate-limit.ts";

export interface GraphQLDeps {
  db: Database;
  auth: Authenticator;
  /** null: rate limiting is off (`server.rateLimit.enabled: false`). */
  rateLimiter: RateLimiter | null;
  services: ApiServices;
  log: Logger;
  /** Production hides the schema: no introspection, no field suggestions. */
  production: boolean;
  /** GraphiQL (development only). */
  graphiql: boolean;
  limits: QueryLimits;
  maxBodyBytes: number;
  maxBatchOperations: number;
  trustedProxyHops: number;
  /** Counts and times every operation (autoscorer_graphql_*). */
  operationMetrics: OperationMetricsOptions;
}

/** Builds the context of one request (HTTP) or connection (WebSocket) from its credentials. */
export type ContextFactory = (
  authorization: string | null | undefined,
  requestId?: string,
) => Promise<GraphQLContext>;

/**
 * Rate limits are taken before this runs (use-rate-limit.ts for HTTP, websocket-guards.ts
 * per WebSocket operation), so a context costs one cached key lookup.
 */
export function createContextFactory(deps: GraphQLDeps): ContextFactory {
  return async (authorization, requestId) => {
    const id = requestId && /^[\w.-]{1,100}$/.test(requestId) ? requestId : randomUUID();
    try {
      const actor = await deps.auth.fromAuthorization(authorization);
      return {
        actor,
        requestId: id,
        services: deps.services,
        domain: { db: deps.db, actor, requestId: id },
        log: deps.log.child({ requestId: id }),
      };
    } catch (error) {
      if (error instanceof AppError) throw requestError(error);
      // E.g. the database is down during the key lookup: the client learns only the id.
      deps.log.error({ err: error, requestId: id }, "unexpected error");
      throw createGraphQLError(`Unexpected error (request id ${id})`, {
        extensions: { code: "INTERNAL_SERVER_ERROR", requestId: id, http: { status: 500 } },
      });
    }
  };
}

export type GraphQLServer = YogaServerInstance<NodeServerContext, GraphQLContext>;

export function createGraphQLServer(deps: GraphQLDeps): GraphQLServer {
  const contextFor = createContextFactory(deps);
  return createYoga<NodeServerContext, GraphQLContext>({
    schema: buildSchema(),
    graphqlEndpoint: "/graphql",
    graphiql: deps.graphiql ? { subscriptionsProtocol: "WS" } : false,
    landingPage: false,
    // Masking is done by useErrorPolicy, which knows the request id.
    maskedErrors: false,
    logging: false,
    // Counted as the body streams in, so a chunked body without a length is cut off too.
    maxRequestBodySize: deps.maxBodyBytes,
    batching: deps.maxBatchOperations > 0 ? { limit: deps.maxBatchOperations } : false,
    parserAndValidationCache: boundedParseCaches(),
    context: ({ request }) =>
      contextFor(
        request.headers.get("authorization"),
        request.headers.get("x-request-id") ?? undefined,
      ),
    plugins: [
      // Refusals that need no key lookup come first: a forged cross-site request costs nothing.
      useCsrfPrevention(),
      ...(deps.rateLimiter
        ? [
            useRateLimit({
              auth: deps.auth,
              limiter: deps.rateLimiter,
              trustedProxyHops: deps.trustedProxyHops,
              maxBatchOperations: deps.maxBatchOperations,
            }),
          ]
        : []),
      useBuiltInRefusalCodes(deps),
      ...(deps.production ? [useNoIntrospection()] : []),
      useQueryLimits(deps.limits, { hideSuggestions: deps.production }),
      useOperationMetrics(deps.operationMetrics),
      useErrorPolicy(deps.log),
      // Queries and mutations only: graphql-jit 0.8's compiled subscribe hands a subscription
      // field's `subscribe` the operation's variables instead of the field's arguments.
      // Subscription events are executed once per audience instead.
      useGraphQlJit(
        {},
        {
          enableIf: (args) =>
            getOperationAST(args.document, args.operationName)?.operation !== "subscription",
        },
      ),
      useSharedSubscriptionExecution((result, args) =>
        clientResult(result, args.contextValue as GraphQLContext, deps.log),
      ),
      useTenantScope(),
    ],
  });
}
