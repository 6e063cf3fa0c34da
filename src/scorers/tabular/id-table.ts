// An open-addressing hash set of byte strings that hands out dense indexes 0, 1, 2, …
// Ids and labels are looked up straight from the CSV buffer, so joining five million rows
// creates no JavaScript strings; the keys live once, packed in one byte arena.

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

export class IdTable {
  size = 0;
  private arena: Uint8Array;
  private arenaUsed = 0;
  /** Key i occupies arena[starts[i], starts[i + 1]). */
  private starts: Uint32Array;
  private hashes: Int32Array;
  /** index + 1 per slot; 0 is empty. */
  private slots: Int32Array;
  private mask: number;

  constructor(expectedKeys = 1024, expectedBytes = expectedKeys * 16) {
    const keys = Math.max(16, expectedKeys);
    this.arena = new Uint8Array(Math.max(256, expectedBytes));
    this.starts = new Uint32Array(keys + 1);
    this.hashes = new Int32Array(keys);
    const slots = nextPowerOfTwo(keys * 2);
    this.slots = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /** Bytes of all keys so far. */
  get bytes(): number {
    return this.arenaUsed;
  }

  /** Makes room for `keys` keys of `bytes` bytes in total without regrowing on the way. */
  reserve(keys: number, bytes: number): void {
    if (keys > this.hashes.length) this.growKeys(keys);
    if (keys * 2 > this.slots.length) this.rehash(nextPowerOfTwo(keys * 2));
    if (bytes > this.arena.length) this.growArena(bytes);
  }

  /** Index of the key, or -1. */
  find(buf: Uint8Array, start: number, end: number): number {
    return this.probe(buf, start, end, hashBytes(buf, start, end), false);
  }

  /** Inserts the key: returns its new index, or `-(existing index) - 1` when present. */
  insert(buf: Uint8Array, start: number, end: number): number {
    return this.probe(buf, start, end, hashBytes(buf, start, end), true);
  }

  key(index: number): string {
    return decoder.decode(
      this.arena.subarray(this.starts[index] as number, this.starts[index + 1] as number),
    );
  }

  private probe(buf: Uint8Array, start: number, end: number, hash: number, add: boolean): number {
    const length = end - start;
    let slot = hash & this.mask;
    for (;;) {
      const entry = this.slots[slot] as number;
      if (entry === 0) break;
      const index = entry - 1;
      if (this.hashes[index] === hash) {
        const at = this.starts[index] as number;
        if (
          (this.starts[index + 1] as number) - at === length &&
          this.equal(buf, start, at, length)
        ) {
          return add ? -index - 1 : index;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    if (!add) return -1;
    const index = this.size;
    if (index + 1 >= this.hashes.length) this.growKeys(this.hashes.length * 2);
    if (this.arenaUsed + length > this.arena.length) {
      this.growArena(Math.max(this.arena.length * 2, this.arenaUsed + length));
    }
    this.arena.set(buf.subarray(start, end), this.arenaUsed);
    this.arenaUsed += length;
    this.starts[index + 1] = this.arenaUsed;
    this.hashes[index] = hash;
    this.size++;
    // `slot` is still the free slot found above: nothing has rehashed since.
    if (this.size * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.slots[slot] = index + 1;
    return index;
  }

  private equal(buf: Uint8Array, start: number, at: number, length: number): boolean {
    const arena = this.arena;
    for (let k = 0; k < length; k++) if (arena[at + k] !== buf[start + k]) return false;
    return true;
  }

  private growKeys(keys: number): void {
    const starts = new Uint32Array(keys + 1);
    starts.set(this.starts.subarray(0, this.size + 1));
    this.starts = starts;
    const hashes = new Int32Array(keys);
    hashes.set(this.hashes.subarray(0, this.size));
    this.hashes = hashes;
  }

  private growArena(bytes: number): void {
    const arena = new Uint8Array(bytes);
    arena.set(this.arena.subarray(0, this.arenaUsed));
    this.arena = arena;
  }

  private rehash(slotCount: number): void {
    this.slots = new Int32Array(slotCount);
    this.mask = slotCount - 1;
    for (let index = 0; index < this.size; index++) {
      let slot = (this.hashes[index] as number) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = index + 1;
    }
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}
