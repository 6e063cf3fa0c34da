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

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

export function attachWebSocket(
  httpServer: Server,
  yoga: GraphQLServer,
  contextFor: ContextFactory,
  log: Logger,
): { close(): Promise<void> } {
  const wss = new WebSocketServer({ server: httpServer, path: "/graphql" });
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
