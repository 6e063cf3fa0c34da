// Rate limiting of HTTP requests, before their body is read: the caller is authenticated from
// the Authorization header (the authenticator caches keys, and the context built later for a
// request finds the key there) and charged a token, as every request is, however it ends;
// a batch is charged its other operations once its body is parsed, all of them or none. A
// failed authentication is charged to the client address, so guessing keys is limited like
// an anonymous caller.
import type { IncomingMessage } from "node:http";
import type { Plugin } from "graphql-yoga";
import { UnauthenticatedError } from "../domain/errors.ts";
import type { Principal } from "../domain/principal.ts";
import type { Authenticator } from "./auth.ts";
import { addressOf } from "./client-address.ts";
import type { RateCaller, RateLimiter } from "./rate-limit.ts";
import { rateLimited, requestError } from "./refusals.ts";

export interface RateLimitDeps {
  auth: Authenticator;
  limiter: RateLimiter;
  trustedProxyHops: number;
  /** Larger batches are refused by Yoga's batching limit right after; they cost nothing. */
  maxBatchOperations: number;
}

/** What node:http hands Yoga's `handle(req, res)`: the server context of every request. */
export interface NodeServerContext {
  req: IncomingMessage;
}

export function useRateLimit(deps: RateLimitDeps): Plugin<object, NodeServerContext> {
  return {
    async onRequestParse({ request, serverContext }) {
      // Only callers without a valid key are counted by address.
      const address = () => addressOf(serverContext.req, deps.trustedProxyHops);
      let actor: Principal | null;
      try {
        actor = await deps.auth.fromAuthorization(request.headers.get("authorization"));
      } catch (error) {
        if (!(error instanceof UnauthenticatedError)) {
          // The context factory meets the same failure and masks it with a request id.
          return;
        }
        const decision = deps.limiter.take({ actor: null, address: address() });
        throw decision.allowed ? requestError(error) : rateLimited(decision);
      }
      const caller: RateCaller = actor ? { actor } : { actor: null, address: address() };
      const decision = deps.limiter.take(caller);
      if (!decision.allowed) throw rateLimited(decision);
      return {
        onRequestParseDone({ requestParserResult }) {
          if (!Array.isArray(requestParserResult)) return;
          const operations = requestParserResult.length;
          if (operations < 2 || operations > deps.maxBatchOperations) return;
          const extra = deps.limiter.take(caller, operations - 1);
          if (!extra.allowed) throw rateLimited(extra, operations);
        },
      };
    },
  };
}
