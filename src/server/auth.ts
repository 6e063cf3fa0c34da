// Resolves the caller from a bearer token. Successful lookups are cached briefly so a busy
// dashboard does not cost a key lookup per request; any key or membership change anywhere
// (an "auth" event over NOTIFY) clears the cache, and entries expire on their own anyway.
import type { Database } from "../db/database.ts";
import type { Subscriber } from "../db/pubsub.ts";
import { authenticate, touchApiKey } from "../domain/api-keys.ts";
import { UnauthenticatedError } from "../domain/errors.ts";
import type { Principal } from "../domain/principal.ts";

export interface Authenticator {
  /** null when no credentials were presented; throws UNAUTHENTICATED for bad ones. */
  fromAuthorization(header: string | null | undefined): Promise<Principal | null>;
  forget(): void;
  close(): void;
}

const CACHE_TTL_MS = 5_000;
const CACHE_MAX_ENTRIES = 10_000;

export function createAuthenticator(
  db: Database,
  events: Subscriber,
  log: (message: string, error?: unknown) => void,
): Authenticator {
  // Entries hold the lookup itself, so a burst of requests with a key whose entry just
  // expired shares one lookup instead of sending one each.
  const cache = new Map<string, { principal: Promise<Principal>; expiresAt: number }>();
  const off = events.on("auth", undefined, () => cache.clear());

  return {
    async fromAuthorization(header) {
      if (!header) return null;
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match?.[1]) throw new UnauthenticatedError("use Authorization: Bearer <api key>");
      const token = match[1];
      const now = Date.now();
      const hit = cache.get(token);
      if (hit && hit.expiresAt > now) return hit.principal;
      const principal = authenticate(db, token, new Date(now));
      if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
      const entry = { principal, expiresAt: now + CACHE_TTL_MS };
      cache.set(token, entry);
      try {
        const { apiKeyId } = await principal;
        touchApiKey(db, apiKeyId, new Date(now)).catch((error: unknown) =>
          log("could not record API key use", error),
        );
        return principal;
      } catch (error) {
        // Failures are not cached: a key created a moment later must work at once.
        if (cache.get(token) === entry) cache.delete(token);
        throw error;
      }
    },
    forget: () => cache.clear(),
    close: off,
  };
}
