// GraphQL over WebSocket (graphql-transport-ws). The API key arrives once, in
// connectionParams.authorization; a bad key closes the connection before any operation.
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { Logger } from "../log.ts";
import type { GraphQLContext } from "../schema/context.ts";
import type { ContextFactory, GraphQLServer } from "./graphql.ts";
import type { WebSocketGuards } from "./websocket-guards.ts"; // api-hardening

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

export function attachWebSocket(
  httpServer: Server,
  yoga: GraphQLServer,
  contextFor: ContextFactory,
  log: Logger,
  guards: WebSocketGuards, // api-hardening
): { close(): Promise<void> } {
  // api-hardening: Origin check on the upgrade and the message size limit.
  const wss = new WebSocketServer({
    server: httpServer,
    path: "/graphql",
    ...guards.serverOptions,
  });
  const cleanup = useServer<{ authorization?: string }, { context?: GraphQLContext }>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onConnect: async (ctx) => {
        try {
          const authorization = ctx.connectionParams?.authorization;
          ctx.extra.context = await contextFor(
            typeof authorization === "string" ? authorization : null,
          );
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        // api-hardening: operations per socket and the rate limit, before any parsing.
        const refused = guards.admitOperation(
          ctx,
          ctx.extra.context?.actor ?? null,
          ctx.extra.request,
        );
        if (refused) return [...refused];
        const { schema, execute, subscribe, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        // A fresh request id per operation; the caller is the connection's.
        const base = ctx.extra.context;
        const requestId = randomUUID();
        const contextValue: GraphQLContext | undefined = base && {
          ...base,
          requestId,
          domain: { ...base.domain, requestId },
          log: log.child({ requestId }),
        };
        const args: ExecutionArgs = {
          schema,
          operationName: payload.operationName,
          document: parse(payload.query),
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
        const errors = validate(args.schema, args.document);
        if (errors.length > 0) return errors;
        return args;
      },
    },
    wss,
  );
  return {
    close: async () => {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
