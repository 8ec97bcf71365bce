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

/** Scrambles an integral number below 2^53 into a slot of a power-of-two table (MurmurHash3's finalizer). */
function slotOf(code: number, mask: number): number {
  let hash = (code >>> 0) ^ Math.imul(Math.floor(code / 0x1_0000_0000), 0x9e3779b1);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) & mask;
}

/**
 * The keys of one table seen so far, each with the line it was first seen on: exact, one pass, and compact enough for
 * millions of keys. Numeric codes live in an open-addressing table of typed arrays, 12 bytes a slot with at least half
 * the slots free (8 once the lines are no longer needed), where a Set of strings would take about 70 bytes a key.
 */
export class KeyIndex {
  /** Numeric codes by slot; 0 is an empty slot, as no code is 0 (an id has at least one digit). */
  private codes = new Float64Array(1024);
  private lines: Uint32Array | undefined = new Uint32Array(1024);
  private numericKeys = 0;
  private readonly textKeys = new Map<string, number>();

  /**
   * Records a key first seen on `line`; when it was already recorded, records nothing and returns the earlier line
   * (0 once the lines are forgotten).
   */
  add(code: KeyCode, line: number): number | undefined {
    if (typeof code === 'string') {
      const earlier = this.textKeys.get(code);
      if (earlier === undefined) this.textKeys.set(code, this.lines ? line : 0);
      return earlier;
    }
    const mask = this.codes.length - 1;
    let slot = slotOf(code, mask);
    for (; this.codes[slot] !== 0; slot = (slot + 1) & mask) if (this.codes[slot] === code) return this.lines?.[slot] ?? 0;
    this.codes[slot] = code;
    if (this.lines) this.lines[slot] = line;
    this.numericKeys += 1;
    // At most half full, so that probes stay short.
    if (this.numericKeys * 2 > this.codes.length) this.grow();
    return undefined;
  }

  has(code: KeyCode): boolean {
    if (typeof code === 'string') return this.textKeys.has(code);
    const mask = this.codes.length - 1;
    for (let slot = slotOf(code, mask); this.codes[slot] !== 0; slot = (slot + 1) & mask) if (this.codes[slot] === code) return true;
    return false;
  }

  /** Frees the lines: a table's keys kept for its children's references need only the keys. */
  forgetLines(): void {
    this.lines = undefined;
  }

  private grow(): void {
    const [codes, lines] = [this.codes, this.lines];
    this.codes = new Float64Array(codes.length * 2);
    this.lines = lines && new Uint32Array(codes.length * 2);
    const mask = this.codes.length - 1;
    for (let old = 0; old < codes.length; old += 1) {
      if (codes[old] === 0) continue;
      let slot = slotOf(codes[old], mask);
      while (this.codes[slot] !== 0) slot = (slot + 1) & mask;
      this.codes[slot] = codes[old];
      if (this.lines) this.lines[slot] = lines![old];
    }
  }
}
