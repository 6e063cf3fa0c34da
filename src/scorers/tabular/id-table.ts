// An open-addressing hash set of byte strings that hands out dense indexes 0, 1, 2, …
// Ids and labels are looked up straight from the CSV buffer, so joining five million rows
// creates no JavaScript strings; the keys live once, packed in one byte arena.
//
// Joining a shuffled prediction file is bound by cache misses, not arithmetic: each slot
// holds the key's hash next to its index, so a probe touches one slot line and, only on a
// hash match, the key bytes.

/** FNV-1a over the bytes, then murmur3's finaliser so low bits are well mixed. */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

const decoder = new TextDecoder("utf-8");
/** Highest load before the slot array doubles. */
const MAX_LOAD = 0.7;
/** Each arena entry: index (4 bytes), length (2 bytes), then the key's bytes. */
const HEADER = 6;
/** Longest key; readers report longer ids as defects before they get here. */
export const MAX_KEY_BYTES = 0xffff;

function slotCountFor(keys: number): number {
  let p = 16;
  while (p * MAX_LOAD < keys + 1) p *= 2;
  return p;
}

export class IdTable {
  size = 0;
  private arena: Uint8Array;
  private arenaUsed = 0;
  /** Pairs (hash, arena offset + 1); an offset + 1 of 0 marks an empty slot. */
  private slots: Int32Array;
  private mask: number;
  /** Arena offset per index, built on first use by `key()` (error paths only). */
  private offsets: Uint32Array | null = null;

  constructor(expectedKeys = 1024, expectedBytes = expectedKeys * 16) {
    const keys = Math.max(16, expectedKeys);
    this.arena = new Uint8Array(Math.max(256, expectedBytes + keys * HEADER));
    const slots = slotCountFor(keys);
    this.slots = new Int32Array(slots * 2);
    this.mask = slots - 1;
  }

  /** Bytes of all keys so far. */
  get bytes(): number {
    return this.arenaUsed - this.size * HEADER;
  }

  /** Makes room for `keys` keys of `bytes` bytes in total without regrowing on the way. */
  reserve(keys: number, bytes: number): void {
    if (slotCountFor(keys) > this.mask + 1) this.rehash(slotCountFor(keys));
    const needed = bytes + keys * HEADER;
    if (needed > this.arena.length) this.growArena(needed);
  }

  /**
   * Looks up `count` keys at once: out[k] = index of key k, or -1. A shuffled join is bound by
   * memory latency, and one lookup's misses (slot, then key bytes) depend on each other; by
   * touching every key's slot first, then every candidate's bytes, the misses of a whole
   * batch overlap instead of queueing.
   */
  findBatch(
    buf: Uint8Array,
    starts: Int32Array,
    ends: Int32Array,
    hashes: Int32Array,
    count: number,
    out: Int32Array,
  ): void {
    const slots = this.slots;
    const arena = this.arena;
    const mask = this.mask;
    for (let k = 0; k < count; k++)
      out[k] = slots[((hashes[k] as number) & mask) * 2 + 1] as number;
    let touched = 0;
    for (let k = 0; k < count; k++) {
      const entry = out[k] as number;
      if (entry !== 0) touched += arena[entry + 3] as number;
    }
    for (let k = 0; k < count; k++) {
      out[k] = this.findHashed(buf, starts[k] as number, ends[k] as number, hashes[k] as number);
    }
    this.touched = touched;
  }

  /** Sink for findBatch's warming reads, so the compiler cannot drop them. */
  touched = 0;

  /** Index of the key, or -1. */
  find(buf: Uint8Array, start: number, end: number): number {
    return this.findHashed(buf, start, end, hashBytes(buf, start, end));
  }

  private findHashed(buf: Uint8Array, start: number, end: number, hash: number): number {
    const slots = this.slots;
    let slot = hash & this.mask;
    for (;;) {
      const entry = slots[slot * 2 + 1] as number;
      if (entry === 0) return -1;
      if (slots[slot * 2] === hash) {
        const index = this.match(entry - 1, buf, start, end);
        if (index >= 0) return index;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Warms the slots `count` inserts will probe (see findBatch). */
  prefetch(hashes: Int32Array, count: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let touched = 0;
    for (let k = 0; k < count; k++)
      touched += slots[((hashes[k] as number) & mask) * 2 + 1] as number;
    this.touched = touched;
  }

  /** Inserts with a precomputed hash (see insert). */
  insertHashed(buf: Uint8Array, start: number, end: number, hash: number): number {
    return this.insertWith(buf, start, end, hash);
  }

  /** Inserts the key: returns its new index, or `-(existing index) - 1` when present. */
  insert(buf: Uint8Array, start: number, end: number): number {
    return this.insertWith(buf, start, end, hashBytes(buf, start, end));
  }

  private insertWith(buf: Uint8Array, start: number, end: number, hash: number): number {
    const slots = this.slots;
    let slot = hash & this.mask;
    for (;;) {
      const entry = slots[slot * 2 + 1] as number;
      if (entry === 0) break;
      if (slots[slot * 2] === hash) {
        const existing = this.match(entry - 1, buf, start, end);
        if (existing >= 0) return -existing - 1;
      }
      slot = (slot + 1) & this.mask;
    }
    const length = end - start;
    if (length > MAX_KEY_BYTES) throw new RangeError(`key longer than ${MAX_KEY_BYTES} bytes`);
    const index = this.size;
    if (this.arenaUsed + HEADER + length > this.arena.length) {
      this.growArena(Math.max(this.arena.length * 2, this.arenaUsed + HEADER + length));
    }
    const arena = this.arena;
    const offset = this.arenaUsed;
    arena[offset] = index & 0xff;
    arena[offset + 1] = (index >>> 8) & 0xff;
    arena[offset + 2] = (index >>> 16) & 0xff;
    arena[offset + 3] = index >>> 24;
    arena[offset + 4] = length & 0xff;
    arena[offset + 5] = length >>> 8;
    let at = offset + HEADER;
    for (let i = start; i < end; i++) arena[at++] = buf[i] as number;
    this.arenaUsed = at;
    this.size++;
    this.offsets = null;
    slots[slot * 2] = hash;
    slots[slot * 2 + 1] = offset + 1;
    if (this.size > (this.mask + 1) * MAX_LOAD) this.rehash((this.mask + 1) * 2);
    return index;
  }

  key(index: number): string {
    if (!this.offsets) {
      const offsets = new Uint32Array(this.size);
      for (let at = 0, i = 0; at < this.arenaUsed; i++) {
        offsets[i] = at;
        at += HEADER + ((this.arena[at + 4] as number) | ((this.arena[at + 5] as number) << 8));
      }
      this.offsets = offsets;
    }
    const at = this.offsets[index] as number;
    const length = (this.arena[at + 4] as number) | ((this.arena[at + 5] as number) << 8);
    return decoder.decode(this.arena.subarray(at + HEADER, at + HEADER + length));
  }

  /** The index stored at `offset` when its key equals buf[start, end), else -1. */
  private match(offset: number, buf: Uint8Array, start: number, end: number): number {
    const arena = this.arena;
    const length = (arena[offset + 4] as number) | ((arena[offset + 5] as number) << 8);
    if (length !== end - start) return -1;
    const from = offset + HEADER;
    for (let k = 0; k < length; k++) if (arena[from + k] !== buf[start + k]) return -1;
    return (
      ((arena[offset] as number) |
        ((arena[offset + 1] as number) << 8) |
        ((arena[offset + 2] as number) << 16) |
        ((arena[offset + 3] as number) << 24)) >>>
      0
    );
  }

  private growArena(bytes: number): void {
    const arena = new Uint8Array(bytes);
    arena.set(this.arena.subarray(0, this.arenaUsed));
    this.arena = arena;
  }

  private rehash(slotCount: number): void {
    const old = this.slots;
    const slots = new Int32Array(slotCount * 2);
    const mask = slotCount - 1;
    for (let s = 0; s < old.length; s += 2) {
      const entry = old[s + 1] as number;
      if (entry === 0) continue;
      const hash = old[s] as number;
      let slot = hash & mask;
      while (slots[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
      slots[slot * 2] = hash;
      slots[slot * 2 + 1] = entry;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
