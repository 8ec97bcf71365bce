import { Column } from '../../contract/clinic';

/**
 * A key as the loader compares it. Contract ids (`PER123`, `E0001`) become one exact number: the value of the digits
 * times 16 plus how many digits there are (at most 12, so it stays below 2^53), which keeps `E1` and `E0001` apart and
 * stores in 8 bytes instead of a string. Other text is kept as text without trailing spaces, since the tables' PAD
 * SPACE collation treats `a` and `a ` as the same key.
 */
export type KeyCode = number | string;

/** The code of a value that cannot be a key of the column: negative, unlike every id's code. */
export const NOT_A_KEY = -1;

/** The code of NULL in a foreign key column: no id's code is 0 (an id has at least one digit), and text codes are strings. */
export const NULL_KEY = 0;

/**
 * The key codes of a chunk's valid rows, one per row: for a column of ids, numbers in a Float64Array (which moves to
 * another thread without copying); otherwise an array of codes. NULL is NULL_KEY.
 */
export type KeyCodes = Float64Array | KeyCode[];

/** Collects the codes of one key column, row by row, into KeyCodes of the right kind. */
export class KeyCodesBuilder {
  private numbers: Float64Array;
  private readonly others: KeyCode[] | undefined;
  private count = 0;

  constructor(column: Column, expectedRows = 1024) {
    this.numbers = new Float64Array(column.csv.kind === 'id' ? Math.max(expectedRows, 16) : 0);
    this.others = column.csv.kind === 'id' ? undefined : [];
  }

  push(code: KeyCode): void {
    if (this.others) {
      this.others.push(code);
      return;
    }
    if (this.count === this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    this.numbers[this.count++] = code as number;
  }

  /** The codes, in a typed array of their own size when they are numbers. */
  done(): KeyCodes {
    return this.others ?? this.numbers.slice(0, this.count);
  }
}

/**
 * The code of an id already checked to be `prefixLength` characters of prefix and 1 to 12 digits, read straight from
 * its UTF-8 bytes: what `keyEncoder` returns for it, without making a string.
 */
export function idCodeOf(bytes: Uint8Array, start: number, end: number, prefixLength: number): number {
  let number = 0;
  for (let i = start + prefixLength; i < end; i += 1) number = number * 10 + (bytes[i] - 48);
  return number * 16 + (end - start - prefixLength);
}

/** Turns values of `column` into key codes. Two columns' codes compare only when `sameKeyFormat` holds for them. */
export function keyEncoder(column: Column): (value: string) => KeyCode {
  if (column.csv.kind !== 'id') return (value) => value.replace(/ +$/, '');
  const { prefix } = column.csv;
  return (value) => {
    const digits = value.length - prefix.length;
    if (digits < 1 || digits > 12 || !value.startsWith(prefix)) return NOT_A_KEY;
    let number = 0;
    for (let i = prefix.length; i < value.length; i += 1) {
      const digit = value.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return NOT_A_KEY;
      number = number * 10 + digit;
    }
    return number * 16 + digits;
  };
}

/** Whether values of the two columns encode to comparable codes: both ids of one prefix, or both other text. */
export function sameKeyFormat(a: Column, b: Column): boolean {
  if (a.csv.kind === 'id' || b.csv.kind === 'id') return a.csv.kind === 'id' && b.csv.kind === 'id' && a.csv.prefix === b.csv.prefix;
  return true;
}

/** Scrambles an integral number below 2^53 into 32 bits (MurmurHash3's finalizer). */
function hashOf(code: number): number {
  let hash = (code >>> 0) ^ Math.imul(Math.floor(code / 0x1_0000_0000), 0x9e3779b1);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/**
 * Keys are spread over this many small tables by their hash's top bits, so that no table is ever large: growing one
 * copies a few hundred KiB instead of tens of MiB, and the memory a large table would leave behind when it is replaced
 * (which the C allocator keeps rather than returning) never builds up.
 */
const SHARD_BITS = 8;
const SHARDS = 1 << SHARD_BITS;

/** One open-addressing table of numeric codes (0 is an empty slot: no code is 0) and their first lines. */
class Shard {
  codes = new Float64Array(16);
  lines: Uint32Array | undefined = new Uint32Array(16);
  count = 0;

  grow(): void {
    const [codes, lines] = [this.codes, this.lines];
    this.codes = new Float64Array(codes.length * 2);
    this.lines = lines && new Uint32Array(codes.length * 2);
    const mask = this.codes.length - 1;
    for (let old = 0; old < codes.length; old += 1) {
      if (codes[old] === 0) continue;
      let slot = hashOf(codes[old]) & mask;
      while (this.codes[slot] !== 0) slot = (slot + 1) & mask;
      this.codes[slot] = codes[old];
      if (this.lines) this.lines[slot] = lines![old];
    }
  }
}

/**
 * The keys of one table seen so far, each with the line it was first seen on: exact, one pass, and compact enough for
 * millions of keys. Numeric codes live in open-addressing tables of typed arrays, 12 bytes a slot with at least half
 * the slots free (8 once the lines are no longer needed), where a Set of strings would take about 70 bytes a key.
 */
export class KeyIndex {
  private shards = Array.from({ length: SHARDS }, () => new Shard());
  private withLines = true;
  private readonly textKeys = new Map<string, number>();

  /**
   * Records a key first seen on `line`; when it was already recorded, records nothing and returns the earlier line
   * (0 once the lines are forgotten).
   */
  add(code: KeyCode, line: number): number | undefined {
    if (typeof code === 'string') {
      const earlier = this.textKeys.get(code);
      if (earlier === undefined) this.textKeys.set(code, this.withLines ? line : 0);
      return earlier;
    }
    const hash = hashOf(code);
    const shard = this.shards[hash >>> (32 - SHARD_BITS)];
    const { codes, lines } = shard;
    const mask = codes.length - 1;
    let slot = hash & mask;
    for (; codes[slot] !== 0; slot = (slot + 1) & mask) if (codes[slot] === code) return lines?.[slot] ?? 0;
    codes[slot] = code;
    if (lines) lines[slot] = line;
    shard.count += 1;
    // At most half full, so that probes stay short.
    if (shard.count * 2 > codes.length) shard.grow();
    return undefined;
  }

  has(code: KeyCode): boolean {
    if (typeof code === 'string') return this.textKeys.has(code);
    const hash = hashOf(code);
    const { codes } = this.shards[hash >>> (32 - SHARD_BITS)];
    const mask = codes.length - 1;
    for (let slot = hash & mask; codes[slot] !== 0; slot = (slot + 1) & mask) if (codes[slot] === code) return true;
    return false;
  }

  /** Frees the lines: keys kept only to be looked up need no lines. */
  forgetLines(): void {
    this.withLines = false;
    for (const shard of this.shards) shard.lines = undefined;
  }

  /**
   * The keys as a KeySet, half the size or less (a key's 8 bytes, no free slots), for keeping while later files are
   * checked against them; this index is emptied.
   */
  freeze(): KeySet {
    const sorted = this.shards.map(({ codes, count }) => {
      const keys = new Float64Array(count);
      let found = 0;
      for (let slot = 0; slot < codes.length; slot += 1) if (codes[slot] !== 0) keys[found++] = codes[slot];
      return keys.sort();
    });
    const set = new KeySet(sorted, new Set(this.textKeys.keys()));
    this.shards = Array.from({ length: SHARDS }, () => new Shard());
    this.textKeys.clear();
    return set;
  }
}

/** Keys that are only looked up: numeric codes sorted in their shards, found by binary search; text keys in a set. */
export class KeySet {
  constructor(
    private readonly sorted: readonly Float64Array[],
    private readonly text: ReadonlySet<string>,
  ) {}

  get size(): number {
    return this.sorted.reduce((total, keys) => total + keys.length, this.text.size);
  }

  has(code: KeyCode): boolean {
    if (typeof code === 'string') return this.text.has(code);
    const keys = this.sorted[hashOf(code) >>> (32 - SHARD_BITS)];
    let [low, high] = [0, keys.length - 1];
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = keys[middle];
      if (found === code) return true;
      if (found < code) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }
}
