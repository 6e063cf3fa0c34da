// List-then-watch for the objects of one run (its Job, its pods), resumed the way the API
// asks clients to: every watch continues from the last resourceVersion seen (BOOKMARK
// events move it on while nothing of ours changes), a watch the server ends or the client
// times out is simply reopened from there, and a 410 Gone (the version was compacted away)
// means listing again. Objects that vanished while we were not watching are reported as
// DELETED after that list. Only an API server that stays unreachable for `retryMs` ends it,
// through `onLost`.

import { apiError, type KubeApiError } from "./failures.ts";
import type { KubeClient } from "./kube-client.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

/** What the executor reads of any object: JSON as the API server sent it. */
export interface KubeObject {
  metadata?: {
    name?: string;
    uid?: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid?: string; kind?: string; controller?: boolean }[];
  };
}

export interface ObjectWatchOptions<T extends KubeObject> {
  client: KubeClient;
  /** The collection's path: /apis/batch/v1/namespaces/NS/jobs. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** The current objects and the list's resourceVersion. */
  list(): Promise<{ items: T[]; resourceVersion: string }>;
  onEvent(type: WatchEventType, object: T): void;
  onLost(error: KubeApiError): void;
  retryMs: number;
}

export interface ObjectWatch {
  stop(): void;
}

/**
 * Typed list results carry Dates and class instances; watch events carry plain JSON. One
 * shape for both: JSON, as the API server sent it.
 */
export const asJson = <T>(value: unknown): T => JSON.parse(JSON.stringify(value)) as T;

export function watchObjects<T extends KubeObject>(options: ObjectWatchOptions<T>): ObjectWatch {
  const known = new Map<string, T>();
  let resourceVersion = "";
  let stopped = false;
  let controller: AbortController | null = null;
  let failingSince: number | null = null;
  let backoffMs = 200;
  let timer: NodeJS.Timeout | undefined;

  const keyOf = (object: T) => object.metadata?.name ?? "";

  const failed = (error: unknown, doing: string) => {
    const normal = apiError(error, doing);
    failingSince ??= Date.now();
    if (Date.now() - failingSince > options.retryMs) {
      stopped = true;
      options.onLost(normal);
      return;
    }
    timer = setTimeout(() => void cycle(resourceVersion === ""), backoffMs);
    backoffMs = Math.min(backoffMs * 2, 5000);
  };
  const healthy = () => {
    failingSince = null;
    backoffMs = 200;
  };

  const relist = async () => {
    const listed = await options.list();
    healthy();
    const seen = new Set<string>();
    for (const object of listed.items) {
      seen.add(keyOf(object));
      const previous = known.get(keyOf(object));
      known.set(keyOf(object), object);
      if (previous?.metadata?.resourceVersion !== object.metadata?.resourceVersion)
        options.onEvent(previous ? "MODIFIED" : "ADDED", object);
    }
    for (const [key, object] of known)
      if (!seen.has(key)) {
        known.delete(key);
        options.onEvent("DELETED", object);
      }
    resourceVersion = listed.resourceVersion;
  };

  async function cycle(needList: boolean): Promise<void> {
    if (stopped) return;
    if (needList) {
      try {
        await relist();
      } catch (error: unknown) {
        failed(error, "listing");
        return;
      }
      if (stopped) return;
    }
    // What ended this watch, told by the event callback before it aborts the stream.
    let ending: "expired" | Error | null = null;
    const openedAt = Date.now();
    const done = (error: unknown) => {
      controller = null;
      if (stopped) return;
      const status = (error as { statusCode?: number } | null)?.statusCode;
      if (ending === "expired" || status === 410) {
        void cycle(true);
        return;
      }
      if (ending instanceof Error) {
        failed(ending, "watching");
        return;
      }
      // The server ending a watch (its timeout) or the client's inactivity timeout is
      // routine: open the next one from where this one stopped. Not in a tight loop,
      // though, when watches keep ending as soon as they open.
      if (!error || (error as Error).name === "TimeoutError") {
        if (Date.now() - openedAt > 1000) void cycle(false);
        else {
          timer = setTimeout(() => void cycle(false), backoffMs);
          backoffMs = Math.min(backoffMs * 2, 5000);
        }
      } else failed(error, "watching");
    };
    try {
      controller = await options.client.watch.watch(
        options.path,
        {
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: 300,
          ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
          ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
        },
        (type: string, object: T & { code?: number }) => {
          if (ending) return;
          if (type === "ERROR") {
            // A 410 Expired Status: our resourceVersion is gone from the server's history.
            ending =
              object?.code === 410
                ? "expired"
                : new Error(`watch error: ${JSON.stringify(object)}`);
            controller?.abort();
            return;
          }
          healthy();
          const version = object?.metadata?.resourceVersion;
          if (version) resourceVersion = version;
          if (type === "BOOKMARK") return;
          if (type === "DELETED") known.delete(keyOf(object));
          else known.set(keyOf(object), object);
          options.onEvent(type as WatchEventType, object);
        },
        done,
      );
      if (stopped) controller?.abort();
    } catch (error: unknown) {
      // The client calls `done` itself for failures it catches; this is for one it throws
      // before (no current cluster), which would otherwise end the watch unheard.
      done(error);
    }
  }

  void cycle(true);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
    },
  };
}
