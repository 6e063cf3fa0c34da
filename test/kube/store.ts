// The fake's etcd: every object of every resource, one global resourceVersion that grows
// with each write (as etcd's revision does), and a window of recent changes that watches
// resume from. A watch asking for changes older than the window gets 410 Gone, as from a
// compacted etcd; `compact()` lets a test cause that on purpose.
import { randomUUID } from "node:crypto";
import { alreadyExists, notFound } from "./status.ts";

export type Resource = "jobs" | "pods";

export const RESOURCE_GROUP: Record<Resource, string> = { jobs: "batch", pods: "" };
export const RESOURCE_KIND: Record<Resource, { kind: string; apiVersion: string }> = {
  jobs: { kind: "Job", apiVersion: "batch/v1" },
  pods: { kind: "Pod", apiVersion: "v1" },
};

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

/** What the store keeps: any object with full metadata; spec and status stay JSON. */
export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: spec and status are the resource's own JSON; the job controller and kubelet read them with their own types.
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  status?: any;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  resourceVersion: number;
  resource: Resource;
  type: WatchEventType;
  object: StoredObject;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;
const clone = <T>(value: T): T => structuredClone(value);

export interface Store {
  readonly resourceVersion: number;
  /** Changes after this resourceVersion are still known; older ones are compacted away. */
  readonly oldestResourceVersion: number;
  create(
    resource: Resource,
    object: Omit<StoredObject, "metadata"> & { metadata: Partial<ObjectMeta> },
  ): StoredObject;
  get(resource: Resource, namespace: string, name: string): StoredObject | undefined;
  /** Like get, but a 404 Status when absent. */
  read(resource: Resource, namespace: string, name: string): StoredObject;
  list(resource: Resource, namespace?: string): StoredObject[];
  /** Applies `change` to a copy and stores it when it differs; returns what is stored. */
  update(
    resource: Resource,
    namespace: string,
    name: string,
    change: (object: StoredObject) => void,
  ): StoredObject | undefined;
  remove(resource: Resource, namespace: string, name: string): StoredObject | undefined;
  /** Events after `resourceVersion`, oldest first; null when some were compacted away. */
  since(resourceVersion: number): StoreEvent[] | null;
  subscribe(listener: (event: StoreEvent) => void): () => void;
  compact(): void;
}

export function createStore(
  options: { historyLimit?: number; firstResourceVersion?: number } = {},
): Store {
  const historyLimit = options.historyLimit ?? 10_000;
  let resourceVersion = options.firstResourceVersion ?? 1000;
  let oldest = resourceVersion;
  const objects: Record<Resource, Map<string, StoredObject>> = { jobs: new Map(), pods: new Map() };
  const history: StoreEvent[] = [];
  const listeners = new Set<(event: StoreEvent) => void>();

  // Listeners write too (the kubelet reacts to a binding by updating the pod). Events are
  // delivered from a queue, so every listener, and every watch, sees them in
  // resourceVersion order even when one is written while another is being delivered.
  const undelivered: StoreEvent[] = [];
  let delivering = false;
  const record = (resource: Resource, type: WatchEventType, object: StoredObject) => {
    const event: StoreEvent = { resourceVersion, resource, type, object: clone(object) };
    history.push(event);
    while (history.length > historyLimit) {
      const dropped = history.shift();
      if (dropped) oldest = dropped.resourceVersion;
    }
    undelivered.push(event);
    if (delivering) return;
    delivering = true;
    try {
      for (let next = undelivered.shift(); next; next = undelivered.shift())
        for (const listener of [...listeners]) listener(next);
    } finally {
      delivering = false;
    }
  };

  const store: Store = {
    get resourceVersion() {
      return resourceVersion;
    },
    get oldestResourceVersion() {
      return oldest;
    },
    create(resource, input) {
      const namespace = input.metadata.namespace ?? "default";
      const name = input.metadata.name ?? "";
      const map = objects[resource];
      if (map.has(key(namespace, name)))
        throw alreadyExists(resource, RESOURCE_GROUP[resource], name);
      resourceVersion += 1;
      const object: StoredObject = {
        ...clone(input),
        ...RESOURCE_KIND[resource],
        metadata: {
          ...clone(input.metadata),
          name,
          namespace,
          uid: input.metadata.uid ?? randomUUID(),
          resourceVersion: String(resourceVersion),
          creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          ...(resource === "jobs" ? { generation: 1 } : {}),
        },
      };
      map.set(key(namespace, name), object);
      record(resource, "ADDED", object);
      return clone(object);
    },
    get(resource, namespace, name) {
      const object = objects[resource].get(key(namespace, name));
      return object ? clone(object) : undefined;
    },
    read(resource, namespace, name) {
      const object = store.get(resource, namespace, name);
      if (!object) throw notFound(resource, RESOURCE_GROUP[resource], name);
      return object;
    },
    list(resource, namespace) {
      return [...objects[resource].values()]
        .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
        .map(clone);
    },
    update(resource, namespace, name, change) {
      const current = objects[resource].get(key(namespace, name));
      if (!current) return undefined;
      const next = clone(current);
      change(next);
      next.metadata.resourceVersion = current.metadata.resourceVersion;
      if (JSON.stringify(next) === JSON.stringify(current)) return clone(current);
      resourceVersion += 1;
      next.metadata.resourceVersion = String(resourceVersion);
      objects[resource].set(key(namespace, name), next);
      record(resource, "MODIFIED", next);
      return clone(next);
    },
    remove(resource, namespace, name) {
      const current = objects[resource].get(key(namespace, name));
      if (!current) return undefined;
      objects[resource].delete(key(namespace, name));
      resourceVersion += 1;
      // A DELETED event carries the object's last state at the deletion's resourceVersion.
      const last = {
        ...current,
        metadata: { ...current.metadata, resourceVersion: String(resourceVersion) },
      };
      record(resource, "DELETED", last);
      return clone(last);
    },
    since(from) {
      if (from < oldest) return null;
      return history.filter((e) => e.resourceVersion > from);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    compact() {
      history.length = 0;
      oldest = resourceVersion;
    },
  };
  return store;
}
