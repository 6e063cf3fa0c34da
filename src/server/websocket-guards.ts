// Limits of the GraphQL WebSocket, kept apart from websocket.ts (which wires graphql-ws to
// Yoga) so each can change on its own. Three checks:
// - on the HTTP upgrade, the browser Origin (ws `verifyClient`): a page on another site must
//   not open a socket that a user's browser would authenticate. The API's own origin and
//   `server.webSocket.allowedOrigins` pass; clients that send no Origin (scripts, the CLI,
//   servers) are not browsers and pass too: the API key they send is their credential;
// - every message, its size (ws `maxPayload`; a larger one closes the socket with 1009);
// - every `subscribe` message (graphql-ws `onSubscribe`), before it is parsed: the number of
//   operations running on the socket, counted from graphql-ws' own record of them
//   (`ctx.subscriptions`, which holds this one too and drops each when it ends), and the
//   caller's rate limit, one token per operation as over HTTP.
import type { IncomingMessage } from "node:http";
import type { GraphQLError } from "graphql";
import type { ServerOptions } from "ws";
import type { Principal } from "../domain/principal.ts";
import { addressOf } from "./client-address.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { rateLimited, refusal, withoutHttp } from "./refusals.ts";

export interface WebSocketLimits {
  maxPayloadBytes: number;
  maxOperations: number;
  /** Origins as `scheme://host[:port]`, or "*" for any. */
  allowedOrigins: string[];
}

export interface WebSocketGuardDeps {
  /** null: rate limiting is off. */
  limiter: RateLimiter | null;
  trustedProxyHops: number;
}

export interface WebSocketGuards {
  /** Spread into `new WebSocketServer({...})`. */
  serverOptions: Pick<ServerOptions, "maxPayload" | "verifyClient">;
  /**
   * Call first in graphql-ws' `onSubscribe`: errors to answer the operation with (return
   * them), or null to go on.
   */
  admitOperation(
    ctx: { readonly subscriptions: object },
    actor: Principal | null,
    request: IncomingMessage,
  ): readonly GraphQLError[] | null;
}

/** Whether a browser page at `origin` may open a socket to the API at `host`. */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: ReadonlySet<string>,
): boolean {
  if (origin === undefined) return true;
  if (allowed.has("*")) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    // "null" (sandboxed frames, file: pages) and garbage are no origin we could allow.
    return false;
  }
  // Scheme is not compared: behind a TLS-terminating proxy the API itself sees plain HTTP.
  if (host !== undefined && parsed.host === host.toLowerCase()) return true;
  return allowed.has(parsed.origin);
}

export function createWebSocketGuards(
  limits: WebSocketLimits,
  deps: WebSocketGuardDeps,
): WebSocketGuards {
  const allowed = new Set(
    limits.allowedOrigins.map((origin) => (origin === "*" ? origin : new URL(origin).origin)),
  );
  const forbidden = (origin: string) =>
    JSON.stringify({
      errors: [
        {
          message: `WebSocket connections from origin ${JSON.stringify(origin)} are not allowed (server.webSocket.allowedOrigins)`,
          extensions: { code: "FORBIDDEN", details: { reason: "ORIGIN_NOT_ALLOWED" } },
        },
      ],
    });
  return {
    serverOptions: {
      maxPayload: limits.maxPayloadBytes,
      verifyClient: (info, done) => {
        if (originAllowed(info.req.headers.origin, info.req.headers.host, allowed)) {
          done(true);
          return;
        }
        done(false, 403, forbidden(String(info.origin)), { "Content-Type": "application/json" });
      },
    },
    admitOperation(ctx, actor, request) {
      const running = Object.keys(ctx.subscriptions).length;
      if (running > limits.maxOperations) {
        return [
          withoutHttp(
            refusal(
              "TOO_MANY_OPERATIONS",
              `at most ${limits.maxOperations} operations may run at once on one WebSocket (server.webSocket.maxOperations); complete one first`,
              { code: "RATE_LIMITED", limit: limits.maxOperations },
            ),
          ),
        ];
      }
      if (!deps.limiter) return null;
      const decision = deps.limiter.take(
        actor ? { actor } : { actor: null, address: addressOf(request, deps.trustedProxyHops) },
      );
      return decision.allowed ? null : [withoutHttp(rateLimited(decision))];
    },
  };
}
