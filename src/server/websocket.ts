// GraphQL over WebSocket (graphql-transport-ws), through Yoga's envelop so every operation
// gets the same plugins, context and error policy as HTTP. The API key arrives once, in
// connectionParams.authorization: no key closes the socket with 4401, a bad one with 4403,
// before any operation runs. While the socket is open its credentials stay watched: a
// revoked key or a suspended tenant closes it (4403) within moments. A client that stops
// reading is cut off once its unsent messages pass a bound, so it cannot grow the server.
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { Socket } from "node:net";
import { type ExecutionArgs, GraphQLError, getOperationAST } from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { type WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../log.ts";
import type { CredentialWatch } from "../realtime/credential-watch.ts";
import type { GraphQLContext } from "../schema/context.ts";
import type { ContextFactory, GraphQLServer } from "./graphql.ts";
import type { WebSocketGuards } from "./websocket-guards.ts";

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

export interface WebSocketDeps {
  yoga: GraphQLServer;
  contextFor: ContextFactory;
  credentials: CredentialWatch;
  guards: WebSocketGuards;
  log: Logger;
  /** Unsent bytes a socket may hold before its client counts as gone. */
  maxBufferedBytes?: number;
}

type Extra = {
  context?: GraphQLContext;
  stopWatching?: () => void;
};

const DEFAULT_MAX_BUFFERED = 4 * 1024 * 1024;

export function attachWebSocket(
  httpServer: Server,
  deps: WebSocketDeps,
): { close(): Promise<void> } {
  const { yoga, log, guards } = deps;
  const maxBuffered = deps.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED;
  // The Origin check on the upgrade and the message size limit.
  const wss = new WebSocketServer({
    server: httpServer,
    path: "/graphql",
    ...guards.serverOptions,
  });
  const batches = createSendBatches();
  const cleanup = useServer<{ authorization?: string }, Extra>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        const socket = ctx.extra.socket as WebSocket;
        if (typeof authorization !== "string" || authorization === "") {
          socket.close(CloseCode.Unauthorized, "Unauthorized: send connectionParams.authorization");
          return false;
        }
        try {
          const context = await deps.contextFor(authorization);
          // A key that authenticates but no longer holds for live work (its tenant is
          // suspended) is refused like a bad one.
          if (!context.actor || !(await deps.credentials.holds(context.actor))) return false;
          ctx.extra.context = context;
          ctx.extra.stopWatching = deps.credentials.watch(context.actor, () =>
            socket.close(CloseCode.Forbidden, "Forbidden: the API key no longer holds"),
          );
          return true;
        } catch {
          // graphql-ws closes with 4403 Forbidden when this returns false.
          return false;
        }
      },
      onClose: (ctx) => ctx.extra.stopWatching?.(),
      onSubscribe: async (ctx, _id, payload) => {
        // Operations per socket and the rate limit, before any parsing.
        const refused = guards.admitOperation(
          ctx,
          ctx.extra.context?.actor ?? null,
          ctx.extra.request,
        );
        if (refused) return [...refused];
        // What Yoga's plugins may read of the operation; the connection's whole state is not
        // copied into every subscription (it lives as long as the subscription does).
        const { schema, execute, subscribe, parse, validate } = yoga.getEnveloped({
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        let document: ExecutionArgs["document"];
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        // Queries and mutations get a request id of their own (for the audit log and logs);
        // subscriptions, which may live for hours by the thousand, share the connection's
        // context, and so what plugins cache per context.
        const base = ctx.extra.context;
        const subscription =
          getOperationAST(document, payload.operationName)?.operation === "subscription";
        const requestId = randomUUID();
        const contextValue: GraphQLContext | undefined =
          base && !subscription
            ? { ...base, requestId, domain: { ...base.domain, requestId } }
            : base;
        const args: ExecutionArgs = {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
        const errors = validate(args.schema, args.document);
        if (errors.length > 0) return errors;
        return args;
      },
      onNext: (ctx) => {
        batches.hold(ctx.extra.request.socket);
        const socket = ctx.extra.socket as WebSocket;
        if (socket.bufferedAmount > maxBuffered) {
          log.warn(
            { buffered: socket.bufferedAmount },
            "cut off a WebSocket client that stopped reading",
          );
          socket.terminate();
        }
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

/**
 * Messages a socket sends within one turn of the event loop leave in one write: an event
 * reaches every subscription of a socket in the same turn (a dashboard follows several
 * things at once), and a system call per message would cost more than the messages. The
 * socket is corked at its first message of the turn and uncorked right after the turn,
 * so nothing waits longer than that.
 */
function createSendBatches() {
  let held: Set<Socket> | null = null;
  const release = () => {
    const sockets = held ?? new Set<Socket>();
    held = null;
    for (const socket of sockets) socket.uncork();
  };
  return {
    hold(socket: Socket) {
      if (!held) {
        held = new Set();
        setImmediate(release);
      }
      if (held.has(socket)) return;
      held.add(socket);
      socket.cork();
    },
  };
}
