// Subscribers grouped by what they follow (a job, a tenant, a competition), one LISTEN
// registration per group: an event is handled once per group and process, and what it
// costs (re-reading a row, a page of log output) is shared by every member, however many
// clients watch the same job.
import type { EventEnvelope, Subscriber } from "../db/pubsub.ts";

export interface Group<M> {
  key: string;
  members: Set<M>;
}

export interface Groups<M> {
  /** Adds a member to the group of `key`; returns how to take it out again. */
  join(key: string, member: M): () => void;
  get(key: string): Group<M> | undefined;
  /** Groups with members now. */
  count(): number;
}

export function createGroups<M>(
  events: Subscriber,
  topic: string,
  onEvent: (group: Group<M>, event: EventEnvelope) => void,
): Groups<M> {
  const groups = new Map<string, Group<M> & { off: () => void }>();
  return {
    join(key, member) {
      let group = groups.get(key);
      if (!group) {
        const created: Group<M> & { off: () => void } = {
          key,
          members: new Set(),
          off: () => {},
        };
        created.off = events.on(topic, key, (event) => onEvent(created, event));
        groups.set(key, created);
        group = created;
      }
      group.members.add(member);
      const joined = group;
      return () => {
        joined.members.delete(member);
        if (joined.members.size === 0 && groups.get(key) === joined) {
          joined.off();
          groups.delete(key);
        }
      };
    },
    get: (key) => groups.get(key),
    count: () => groups.size,
  };
}
