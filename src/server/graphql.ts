// The GraphQL endpoint: one Yoga instance serves every HTTP request (POST, GET, SSE,
// GraphiQL), so its plugins and hooks run for all of them, and WebSocket operations run
// through the same envelop (`getEnveloped`, see websocket.ts) with the same plugins,
// context and error policy.
import { randomUUID } from "node:crypto";
import { useGraphQlJit } from "@envelop/graphql-jit";
import { getOperationAST } from "graphql";
import { createGraphQLError, createYoga, type Plugin, type YogaServerInstance } from "graphql-yoga";
import type { Database } from "../db/database.ts";
import { AppError, RateLimitedError } from "../domain/errors.ts";
import type { Logger } from "../log.ts";
import {
  type OperationMetricsOptions,
  useOperationMetrics,
} from "../metrics/graphql-operations.ts";
import type { ApiServices, GraphQLContext } from "../schema/context.ts";
import { buildSchema } from "../schema/index.ts";
import type { Authenticator } from "./auth.ts";
import { depthLimitRule } from "./depth-limit.ts";
import { useErrorPolicy } from "./error-policy.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { useSharedSubscriptionExecution } from "./shared-subscription-execution.ts";

export interface GraphQLDeps {
  db: Database;
  auth: Authenticator;
  rateLimiter: RateLimiter;
  services: ApiServices;
  log: Logger;
  graphiql: boolean;
  maxQueryDepth: number;
  /** Counts and times every operation (autoscorer_graphql_*). */
  operationMetrics: OperationMetricsOptions;
}

const HTTP_STATUS: Partial<Record<AppError["code"], number>> = {
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
};

/** Thrown while building a context: the whole request fails with the right HTTP status. */
function requestError(error: AppError) {
  return createGraphQLError(error.message, {
    extensions: {
      code: error.code,
      ...(error.details ? { details: error.details } : {}),
      http: { status: HTTP_STATUS[error.code] ?? 400 },
    },
  });
}

/** Builds the context of one request (HTTP) or connection (WebSocket) from its credentials. */
export type ContextFactory = (
  authorization: string | null | undefined,
  requestId?: string,
) => Promise<GraphQLContext>;

export function createContextFactory(deps: GraphQLDeps): ContextFactory {
  return async (authorization, requestId) => {
    const id = requestId && /^[\w.-]{1,100}$/.test(requestId) ? requestId : randomUUID();
    try {
      const actor = await deps.auth.fromAuthorization(authorization);
      const retryAfter = deps.rateLimiter.take(actor ? actor.apiKeyId : "anonymous");
      if (retryAfter > 0) throw new RateLimitedError(retryAfter);
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

export type GraphQLServer = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

export function createGraphQLServer(deps: GraphQLDeps): GraphQLServer {
  const contextFor = createContextFactory(deps);
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema: buildSchema(),
    graphqlEndpoint: "/graphql",
    graphiql: deps.graphiql ? { subscriptionsProtocol: "WS" } : false,
    landingPage: false,
    // Masking is done by useErrorPolicy, which knows the request id.
    maskedErrors: false,
    logging: false,
    context: ({ request }) =>
      contextFor(
        request.headers.get("authorization"),
        request.headers.get("x-request-id") ?? undefined,
      ),
    plugins: [
      useOperationMetrics(deps.operationMetrics),
      useErrorPolicy(deps.log),
      useDepthLimit(deps.maxQueryDepth),
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
      useSharedSubscriptionExecution(),
    ],
  });
}

function useDepthLimit(maxDepth: number): Plugin<GraphQLContext> {
  const rule = depthLimitRule(maxDepth);
  return { onValidate: ({ addValidationRule }) => addValidationRule(rule) };
}
