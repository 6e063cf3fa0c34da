// GraphQL subscriptions over one WebSocket per session (graphql-transport-ws, the protocol
// the server speaks). The key travels once, in connectionParams. A dropped connection is
// retried with backoff; a refused key (close code 4401 without one, 4403 for a bad, revoked
// or suspended one) is final and ends the session.
import { type Client, createClient } from "graphql-ws/client";
import { GRAPHQL_PATH } from "./http.ts";

/** `idle`: no page follows anything, so the socket is closed on purpose. */
export type LiveStatus = "connecting" | "live" | "idle" | "offline";

export interface LiveConnection {
  client: Client;
  status(): LiveStatus;
  /** Calls `listener` on every status change; returns the unsubscribe. */
  onStatus(listener: (status: LiveStatus) => void): () => void;
  dispose(): void;
}

/** Close codes with which the server refuses the key: retrying cannot help. */
export const REFUSED_CODES = new Set([4401, 4403]);

const closeCodeOf = (event: unknown): number | null =>
  typeof event === "object" && event !== null && "code" in event && typeof event.code === "number"
    ? event.code
    : null;

function socketUrl(): string {
  const url = new URL(GRAPHQL_PATH, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

export function connectLive(key: string, onRefused: (code: number) => void): LiveConnection {
  let status: LiveStatus = "connecting";
  const listeners = new Set<(status: LiveStatus) => void>();
  const set = (next: LiveStatus) => {
    if (next === status) return;
    status = next;
    for (const listener of listeners) listener(next);
  };
  const client = createClient({
    url: socketUrl(),
    connectionParams: { authorization: `Bearer ${key}` },
    // One socket for every page; it closes a few seconds after the last subscription ends,
    // so moving between pages does not reconnect.
    lazy: true,
    lazyCloseTimeout: 3000,
    retryAttempts: 20,
    shouldRetry: (event) => {
      const code = closeCodeOf(event);
      return code === null || !REFUSED_CODES.has(code);
    },
    on: {
      connecting: () => set("connecting"),
      connected: () => set("live"),
      closed: (event) => {
        const code = closeCodeOf(event);
        if (code !== null && REFUSED_CODES.has(code)) onRefused(code);
        set(code === 1000 ? "idle" : "offline");
      },
    },
  });
  return {
    client,
    status: () => status,
    onStatus(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      listeners.clear();
      void client.dispose();
    },
  };
}
