// Feeds of a value recomputed when something it depends on changes: a tenant's quota usage,
// the executors' load, a competition's leaderboard. Trigger events (NOTIFY) mark a group
// stale; the value is read at most once per `intervalMs` per group and process, and every
// subscriber of the group gets it. A subscriber gets the value at once when it joins, and
// keeps at most the latest one: a slow client skips values it no longer needs.
import type { Subscriber } from "../db/pubsub.ts";
import { withTenantScope } from "../db/tenant-scope.ts";
import type { Logger } from "../log.ts";
import { createLiveQueue, type LiveQueue } from "./live-queue.ts";

export interface SnapshotFeedOptions<V> {
  events: Subscriber;
  log: Logger;
  name: string;
  /** The events that make a group's value stale: [topic, key or undefined for any key]. */
  triggers(key: string): Array<[topic: string, key: string | undefined]>;
  read(key: string): Promise<V>;
  /** Least time between two reads of one group. */
  intervalMs: number;
  /** Re-read this often even without a trigger (values that change with the clock). */
  periodicMs?: number;
}

export interface SnapshotFeed<V> {
  follow(key: string): Promise<LiveQueue<V>>;
}

interface SnapshotGroup<V> {
  members: Set<LiveQueue<V>>;
  offs: Array<() => void>;
  periodic: NodeJS.Timeout | null;
  lastReadAt: number;
  timer: NodeJS.Timeout | null;
  reading: boolean;
  stale: boolean;
}

export function createSnapshotFeed<V>(options: SnapshotFeedOptions<V>): SnapshotFeed<V> {
  const groups = new Map<string, SnapshotGroup<V>>();

  const refresh = async (key: string, group: SnapshotGroup<V>) => {
    group.timer = null;
    if (group.reading) {
      group.stale = true;
      return;
    }
    group.reading = true;
    group.stale = false;
    group.lastReadAt = Date.now();
    try {
      // Shared by subscribers of any tenant: read as platform work, whoever started it.
      const value = await withTenantScope(null, () => options.read(key));
      for (const member of group.members) member.push(value);
    } catch (error) {
      options.log.warn({ err: error, key }, `could not read ${options.name}`);
    } finally {
      group.reading = false;
      if (group.stale && group.members.size > 0) schedule(key, group);
    }
  };

  const schedule = (key: string, group: SnapshotGroup<V>) => {
    if (group.timer || group.members.size === 0) return;
    if (group.reading) {
      group.stale = true;
      return;
    }
    const wait = Math.max(0, group.lastReadAt + options.intervalMs - Date.now());
    group.timer = setTimeout(() => void refresh(key, group), wait);
    group.timer.unref();
  };

  return {
    async follow(key) {
      let group = groups.get(key);
      if (!group) {
        const created: SnapshotGroup<V> = {
          members: new Set(),
          offs: [],
          periodic: null,
          lastReadAt: 0,
          timer: null,
          reading: false,
          stale: false,
        };
        created.offs = options
          .triggers(key)
          .map(([topic, triggerKey]) =>
            options.events.on(topic, triggerKey, () => schedule(key, created)),
          );
        if (options.periodicMs) {
          created.periodic = setInterval(() => schedule(key, created), options.periodicMs);
          created.periodic.unref();
        }
        groups.set(key, created);
        group = created;
      }
      const joined = group;
      const queue = createLiveQueue<V>({
        capacity: 1,
        overflow: "drop-oldest",
        onClose: () => {
          joined.members.delete(queue);
          if (joined.members.size > 0 || groups.get(key) !== joined) return;
          for (const off of joined.offs) off();
          if (joined.timer) clearTimeout(joined.timer);
          if (joined.periodic) clearInterval(joined.periodic);
          groups.delete(key);
        },
      });
      joined.members.add(queue);
      try {
        queue.push(await options.read(key));
      } catch (error) {
        queue.return();
        throw error;
      }
      return queue;
    },
  };
}
