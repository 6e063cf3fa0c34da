// Watches as the API server serves them: one JSON event per line on a response that stays
// open. Without a resourceVersion (or "0") the watch starts with a synthetic ADDED per
// existing object; with one it replays the changes after it, or answers with an ERROR event
// carrying a 410 Expired Status when those changes were compacted away (the client must
// list again). With allowWatchBookmarks=true it sends BOOKMARK events: the resourceVersion
// the watcher has seen everything up to, so it can resume from there even when none of
// its objects changed. The response ends at timeoutSeconds (or the server's own limit).
import type { ServerResponse } from "node:http";
import type { Matcher } from "./selectors.ts";
import { badRequest, failure } from "./status.ts";
import {
  RESOURCE_KIND,
  type Resource,
  type Store,
  type StoredObject,
  type StoreEvent,
} from "./store.ts";

export interface WatchRequest {
  resource: Resource;
  /** Undefined for a watch across all namespaces. */
  namespace?: string;
  match: Matcher;
  resourceVersion: string | null;
  allowBookmarks: boolean;
  timeoutSeconds: number | null;
}

export interface WatchOptions {
  bookmarkIntervalMs: number;
  /** The server ends every watch after this long; clients must resume. */
  maxWatchMs: number;
}

export interface ActiveWatch {
  end(): void;
}

/** Checks the request before any byte is written, so a bad one is a plain 400. */
export function parseWatchResourceVersion(text: string | null): number | null {
  if (text === null || text === "" || text === "0") return null;
  if (!/^\d+$/.test(text))
    throw badRequest(`resourceVersion: Invalid value: "${text}": must be an integer`);
  return Number(text);
}

export function serveWatch(
  store: Store,
  request: WatchRequest,
  response: ServerResponse,
  options: WatchOptions,
): ActiveWatch {
  const from = parseWatchResourceVersion(request.resourceVersion);
  const relevant = (resource: Resource, object: StoredObject) =>
    resource === request.resource &&
    (request.namespace === undefined || object.metadata.namespace === request.namespace) &&
    request.match(object);

  response.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache" });
  response.flushHeaders();
  const send = (type: string, object: unknown) => {
    if (!response.writableEnded) response.write(`${JSON.stringify({ type, object })}\n`);
  };

  let unsubscribe = () => {};
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let limitTimer: NodeJS.Timeout | undefined;
  const end = () => {
    unsubscribe();
    clearTimeout(bookmarkTimer);
    clearTimeout(limitTimer);
    if (!response.writableEnded) response.end();
  };
  response.on("close", end);

  if (from === null) {
    for (const object of store.list(request.resource, request.namespace))
      if (relevant(request.resource, object)) send("ADDED", object);
  } else {
    const missed = store.since(from);
    if (missed === null) {
      send(
        "ERROR",
        failure(
          410,
          "Expired",
          `too old resource version: ${from} (${store.oldestResourceVersion})`,
        ),
      );
      end();
      return { end };
    }
    for (const event of missed)
      if (relevant(event.resource, event.object)) send(event.type, event.object);
  }
  // Replaying and subscribing in one synchronous stretch: no change can fall between them.
  unsubscribe = store.subscribe((event: StoreEvent) => {
    if (relevant(event.resource, event.object)) send(event.type, event.object);
  });

  if (request.allowBookmarks) {
    const bookmark = () => {
      send("BOOKMARK", {
        ...RESOURCE_KIND[request.resource],
        metadata: { resourceVersion: String(store.resourceVersion) },
      });
      bookmarkTimer = setTimeout(bookmark, options.bookmarkIntervalMs).unref();
    };
    bookmarkTimer = setTimeout(bookmark, options.bookmarkIntervalMs).unref();
  }
  const limitMs = Math.min(
    options.maxWatchMs,
    request.timeoutSeconds === null ? Number.POSITIVE_INFINITY : request.timeoutSeconds * 1000,
  );
  if (Number.isFinite(limitMs)) limitTimer = setTimeout(end, limitMs).unref();
  return { end };
}
