// Live feeds number what they send with cursors (database ids, as decimal strings). A
// feed resumed after a dropped connection may repeat some; these keep what is new, once.

/** Whether cursor `a` comes after `b` (decimal strings of any length). */
export function isAfter(a: string, b: string | null): boolean {
  if (b === null) return true;
  return a.length === b.length ? a > b : a.length > b.length;
}

/** Appends `item` unless an item with its cursor (or a later one) is already there. */
export function appendNew<T extends { cursor: string }>(items: T[], item: T, keep = Infinity): T[] {
  const last = items.at(-1);
  if (last && !isAfter(item.cursor, last.cursor)) return items;
  const next = [...items, item];
  return next.length > keep ? next.slice(next.length - keep) : next;
}
