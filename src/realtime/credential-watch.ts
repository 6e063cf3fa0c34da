// Live subscriptions outlive the request that opened them, so their credentials are checked
// again while they run: when a key is revoked, its owner leaves the tenant or the tenant is
// suspended (an `auth` event over NOTIFY, from any process), every subscription and
// WebSocket of the affected keys is re-checked and ended within moments; a periodic
// re-check catches keys that expire and events missed while LISTEN reconnected.
import type { Database } from "../db/database.ts";
import type { Subscriber } from "../db/pubsub.ts";
import { stillValidKeys } from "../domain/api-keys.ts";
import { type AppError, UnauthenticatedError } from "../domain/errors.ts";
import type { Principal } from "../domain/principal.ts";
import type { Logger } from "../log.ts";

export interface CredentialWatch {
  /** Whether the principal's credentials hold now (not revoked, expired or suspended). */
  holds(principal: Principal): Promise<boolean>;
  /** Calls `end` once the principal's credentials no longer hold; returns how to stop watching. */
  watch(principal: Principal, end: (reason: AppError) => void): () => void;
  close(): void;
}

/** What an `auth` event names (any of them): the keys it may concern. */
interface AuthChange {
  apiKeyId?: string;
  userId?: string;
  tenantId?: string;
}

interface Watched {
  principal: Principal;
  end: (reason: AppError) => void;
}

export function createCredentialWatch(deps: {
  db: Database;
  events: Subscriber;
  log: Logger;
  /** Period of the full re-check (key expiry, missed events). */
  recheckMs: number;
}): CredentialWatch {
  const byKey = new Map<string, Set<Watched>>();

  const recheck = async (keyIds: string[]) => {
    if (keyIds.length === 0) return;
    let valid: Set<string>;
    try {
      valid = await stillValidKeys(deps.db, keyIds, new Date());
    } catch (error) {
      // Unknown is not invalid: the next event or period checks again.
      deps.log.warn({ err: error }, "could not re-check live credentials");
      return;
    }
    for (const keyId of keyIds) {
      if (valid.has(keyId)) continue;
      const reason = new UnauthenticatedError("the API key was revoked, expired or suspended");
      for (const watched of byKey.get(keyId) ?? []) watched.end(reason);
      byKey.delete(keyId);
    }
  };

  const affected = (change: AuthChange): string[] =>
    [...byKey].flatMap(([keyId, watched]) => {
      const { principal } = watched.values().next().value as Watched;
      const hit =
        change.apiKeyId === keyId ||
        (change.userId !== undefined && change.userId === principal.userId) ||
        (change.tenantId !== undefined && change.tenantId === principal.tenantId);
      return hit ? [keyId] : [];
    });

  const off = deps.events.on("auth", undefined, (event) => {
    void recheck(affected((event.data ?? {}) as AuthChange));
  });
  const timer = setInterval(() => void recheck([...byKey.keys()]), deps.recheckMs);
  timer.unref();

  return {
    holds: async (principal) =>
      (await stillValidKeys(deps.db, [principal.apiKeyId], new Date())).has(principal.apiKeyId),
    watch(principal, end) {
      const watched: Watched = { principal, end };
      const set = byKey.get(principal.apiKeyId) ?? new Set();
      set.add(watched);
      byKey.set(principal.apiKeyId, set);
      return () => {
        set.delete(watched);
        if (set.size === 0 && byKey.get(principal.apiKeyId) === set)
          byKey.delete(principal.apiKeyId);
      };
    },
    close() {
      off();
      clearInterval(timer);
    },
  };
}
