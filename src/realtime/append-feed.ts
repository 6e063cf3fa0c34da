// Feeds of rows a job appends to (its log chunks, its CPU and memory samples): a NOTIFY says
// a job has new rows; once per process the rows after the last one read are read and handed
// to every subscriber of that job. The row id is the cursor: `after` replays what was
// missed first, with no gap and no duplicate (the subscriber joins before it reads, and
// skips rows it already has). Slow subscribers lose their oldest rows, and the next row they
// get says how many (the workspace keeps the whole log).
import type { Subscriber } from "../db/pubsub.ts";
import type { Logger } from "../log.ts";
import { createGroups, type Group } from "./groups.ts";
import { createLiveQueue, type LiveQueue } from "./live-queue.ts";

export interface AppendedRow {
  /** bigint id as text: the cursor. */
  id: string;
}

export interface AppendFeedOptions<R extends AppendedRow> {
  events: Subscriber;
  log: Logger;
  /** The NOTIFY topic; its key is the job id. */
  topic: string;
  /** Rows of `key` with ids above `after`, in id order, at most `limit`. */
  readAfter(key: string, after: bigint, limit: number): Promise<R[]>;
  /** The last `limit` rows of `key` (what a subscriber without a cursor starts with). */
  readLast(key: string, limit: number): Promise<R[]>;
  /** Rows queued per subscriber before the oldest are dropped. */
  capacity: number;
  /** How a row tells its subscriber that rows before it were dropped. */
  annotate(row: R, dropped: number): R;
}

export interface AppendFeed<R> {
  follow(key: string, after: string | null, lastOnStart: number): Promise<LiveQueue<R>>;
}

interface Member<R> {
  queue: LiveQueue<R>;
  after: bigint;
  held: R[] | null;
}

interface GroupState {
  /** The highest id read for the group so far. */
  lastRead: bigint;
  reading: boolean;
  again: boolean;
}

const PAGE = 200;

export function createAppendFeed<R extends AppendedRow>(
  options: AppendFeedOptions<R>,
): AppendFeed<R> {
  const states = new WeakMap<Group<Member<R>>, GroupState>();

  const deliver = (member: Member<R>, row: R) => {
    if (member.held) {
      member.held.push(row);
      return;
    }
    const id = BigInt(row.id);
    if (id <= member.after) return;
    member.after = id;
    member.queue.push(row);
  };

  /** Reads what the group has not read yet, once at a time; a NOTIFY meanwhile reads again. */
  const readNew = async (group: Group<Member<R>>, state: GroupState) => {
    if (state.reading) {
      state.again = true;
      return;
    }
    state.reading = true;
    try {
      do {
        state.again = false;
        const rows = await options.readAfter(group.key, state.lastRead, PAGE);
        for (const row of rows) {
          state.lastRead = BigInt(row.id);
          for (const member of group.members) deliver(member, row);
        }
        if (rows.length === PAGE) state.again = true;
      } while (state.again && group.members.size > 0);
    } catch (error) {
      options.log.warn({ err: error, key: group.key }, `could not read ${options.topic}`);
    } finally {
      state.reading = false;
    }
  };

  const groups = createGroups<Member<R>>(options.events, options.topic, (group) => {
    const state = states.get(group);
    if (state) void readNew(group, state);
  });

  return {
    async follow(key, after, lastOnStart) {
      let leave = () => {};
      const queue = createLiveQueue<R>({
        capacity: options.capacity,
        overflow: "drop-oldest",
        annotate: options.annotate,
        onClose: () => leave(),
      });
      const member: Member<R> = { queue, after: after === null ? -1n : BigInt(after), held: [] };
      leave = groups.join(key, member);
      const group = groups.get(key) as Group<Member<R>>;
      try {
        const missed =
          after === null
            ? await options.readLast(key, lastOnStart)
            : await options.readAfter(key, member.after, options.capacity);
        for (const row of missed) {
          member.after = BigInt(row.id);
          queue.push(row);
        }
        // A group's reading starts where its first member's view of the table ends.
        if (!states.has(group)) {
          states.set(group, {
            lastRead: missed.length > 0 ? BigInt((missed.at(-1) as R).id) : member.after,
            reading: false,
            again: false,
          });
        }
      } catch (error) {
        queue.return();
        throw error;
      }
      const held = member.held ?? [];
      member.held = null;
      for (const row of held) deliver(member, row);
      // Rows may have arrived between the read above and the group's first NOTIFY.
      void readNew(group, states.get(group) as GroupState);
      return queue;
    },
  };
}
