import { Column, Table } from '../../contract/clinic';
import { CsvChunk } from './csv-chunks';
import { KeyCodes, KeyCodesBuilder, NULL_KEY, idCodeOf, keyEncoder } from './keys';

/**
 * The loader's hot path: one pass over a chunk's bytes that splits records, checks every field and writes the LOAD
 * DATA text, with no string per field. It decides nothing on its own: it accepts a field only when the field is
 * plainly valid by the rules of `converterFor` (csv-validation.ts) and writes exactly what those rules convert it to;
 * a field it cannot decide that simply (escaped quotes, non-ASCII in a pattern, a value that looks blank) goes through
 * those rules as a string. Anything else, a refused value, a quote out of place, a wrong field count or header, gives
 * the chunk up: the caller validates it again the general way, which finds and words every error. A valid export thus
 * costs one scan, and an invalid one is reported exactly as before.
 */

/** What `converterFor` makes of a field: the value for MySQL (null for NULL), or undefined when it refuses it. */
export type FieldRule = (raw: string) => string | null | undefined;

/** Returned by a field writer that cannot accept the field on its own. */
const UNDECIDED = -1;

/** Writes a field's bytes `[start, end)` converted into `out` at `at`; returns where it ended, or UNDECIDED. */
type FieldWriter = (src: Buffer, start: number, end: number, out: Buffer, at: number) => number;

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const DIGIT_0 = 0x30;
const isDigit = (byte: number): boolean => byte >= 0x30 && byte <= 0x39;

/** `\N`, LOAD DATA's NULL. */
function writeNull(out: Uint8Array, at: number): number {
  out[at] = BACKSLASH;
  out[at + 1] = 0x4e;
  return at + 2;
}

/**
 * Copies bytes already known to hold no control character but tab, escaping as LOAD DATA reads them: a backslash
 * doubled, a tab as `\t` (the only control character a valid value holds).
 */
function copyEscaped(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number): number {
  for (let i = start; i < end; i += 1) {
    const byte = src[i];
    if (byte === BACKSLASH || byte === TAB) {
      out[at++] = BACKSLASH;
      out[at++] = byte === TAB ? 0x74 : BACKSLASH;
    } else out[at++] = byte;
  }
  return at;
}

/** Writes `n` (below 10,000) as `width` digits, zero-padded. */
function writeDigits(n: number, width: number, out: Uint8Array, at: number): number {
  for (let i = width - 1; i >= 0; i -= 1, n = Math.floor(n / 10)) out[at + i] = DIGIT_0 + (n % 10);
  return at + width;
}

/**
 * Reads 1 to 2 digits at `at` (a month, a day, an hour) followed by `separator`; returns the value times 4 plus the
 * number of bytes read with the separator (2 or 3), or -1: one number, so that nothing is allocated.
 */
function smallNumberAt(src: Uint8Array, at: number, separator: number): number {
  const first = src[at] - DIGIT_0;
  if (first < 0 || first > 9) return -1;
  if (src[at + 1] === separator) return first * 4 + 2;
  const second = src[at + 1] - DIGIT_0;
  if (second < 0 || second > 9 || src[at + 2] !== separator) return -1;
  return (first * 10 + second) * 4 + 3;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** M/D/YYYY (1 or 2 digits, 4 for the year), a real date of 1900-2100, as YYYY-MM-DD. */
const dateWriter: FieldWriter = (src, start, end, out, at) => {
  const month = smallNumberAt(src, start, 0x2f);
  if (month < 0) return UNDECIDED;
  const dayAt = start + (month & 3);
  const day = smallNumberAt(src, dayAt, 0x2f);
  if (day < 0) return UNDECIDED;
  const yearAt = dayAt + (day & 3);
  if (end - yearAt !== 4) return UNDECIDED;
  let y = 0;
  for (let i = yearAt; i < end; i += 1) {
    const digit = src[i] - DIGIT_0;
    if (digit < 0 || digit > 9) return UNDECIDED;
    y = y * 10 + digit;
  }
  const [m, d] = [month >> 2, day >> 2];
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (m < 1 || m > 12 || d < 1 || d > (m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1]) || y < 1900 || y > 2100) return UNDECIDED;
  at = writeDigits(y, 4, out, at);
  out[at++] = 0x2d;
  at = writeDigits(m, 2, out, at);
  out[at++] = 0x2d;
  return writeDigits(d, 2, out, at);
};

/** H:MM AM|PM (hour 1-12) as HH:MM:00 on the 24-hour clock. */
const timeWriter: FieldWriter = (src, start, end, out, at) => {
  const hour = smallNumberAt(src, start, 0x3a);
  if (hour < 0) return UNDECIDED;
  const i = start + (hour & 3);
  if (i + 5 !== end || src[i + 2] !== SPACE || src[i + 4] !== 0x4d || (src[i + 3] !== 0x41 && src[i + 3] !== 0x50)) return UNDECIDED;
  const [tens, ones] = [src[i] - DIGIT_0, src[i + 1] - DIGIT_0];
  if (tens < 0 || tens > 9 || ones < 0 || ones > 9) return UNDECIDED;
  const [h, minute] = [hour >> 2, tens * 10 + ones];
  if (h < 1 || h > 12 || minute > 59) return UNDECIDED;
  at = writeDigits((h % 12) + (src[i + 3] === 0x50 ? 12 : 0), 2, out, at);
  out[at++] = 0x3a;
  at = writeDigits(minute, 2, out, at);
  out[at++] = 0x3a;
  out[at++] = DIGIT_0;
  out[at++] = DIGIT_0;
  return at;
};

/** [-]$ then digits (or thousands groups of 3 after 1-3 digits), then .D or .DD: as [-]digits.cents. */
function moneyWriter(precision: number, scale: number): FieldWriter {
  return (src, start, end, out, at) => {
    let i = start;
    const negative = src[i] === 0x2d;
    if (negative) i += 1;
    if (src[i] !== 0x24) return UNDECIDED;
    i += 1;
    const first = i;
    while (i < end && isDigit(src[i])) i += 1;
    if (i === first) return UNDECIDED;
    if (src[i] === COMMA) {
      if (i - first > 3) return UNDECIDED;
      for (; i < end && src[i] === COMMA; i += 4) {
        if (i + 3 >= end || !isDigit(src[i + 1]) || !isDigit(src[i + 2]) || !isDigit(src[i + 3])) return UNDECIDED;
      }
    }
    const whole = i;
    let fractionStart = whole;
    let fractionEnd = whole;
    if (i < end) {
      const digits = end - i - 1;
      if (src[i] !== 0x2e || digits < 1 || digits > 2 || !isDigit(src[i + 1]) || (digits === 2 && !isDigit(src[i + 2]))) return UNDECIDED;
      fractionStart = i + 1;
      fractionEnd = end;
    }
    // The whole part without commas and leading zeros (one zero stays): at most precision - scale digits.
    let significant = 0;
    let leading = true;
    for (let k = first; k < whole; k += 1) {
      if (src[k] === COMMA) continue;
      if (leading && src[k] === DIGIT_0) continue;
      leading = false;
      significant += 1;
    }
    if (Math.max(significant, 1) > precision - scale) return UNDECIDED;
    if (negative) out[at++] = 0x2d;
    if (significant === 0) out[at++] = DIGIT_0;
    else {
      leading = true;
      for (let k = first; k < whole; k += 1) {
        if (src[k] === COMMA || (leading && src[k] === DIGIT_0)) continue;
        leading = false;
        out[at++] = src[k];
      }
    }
    out[at++] = 0x2e;
    for (let k = fractionStart; k < fractionEnd; k += 1) out[at++] = src[k];
    for (let k = fractionEnd - fractionStart; k < scale; k += 1) out[at++] = DIGIT_0;
    return at;
  };
}

/** An id: the prefix, then 1 to 12 digits, no longer than the column. */
function idWriter(prefix: string, maxLength: number): FieldWriter {
  const bytes = Buffer.from(prefix, 'latin1');
  const prefixLength = bytes.length;
  return (src, start, end, out, at) => {
    const digits = end - start - prefixLength;
    if (digits < 1 || digits > 12 || end - start > maxLength) return UNDECIDED;
    for (let i = 0; i < prefixLength; i += 1) {
      if (src[start + i] !== bytes[i]) return UNDECIDED;
      out[at + i] = bytes[i];
    }
    for (let i = start + prefixLength, to = at + prefixLength; i < end; i += 1, to += 1) {
      const byte = src[i];
      if (byte < 0x30 || byte > 0x39) return UNDECIDED;
      out[to] = byte;
    }
    return at + (end - start);
  };
}

/**
 * Text: no control character but tab (C0, DEL, and C1, which UTF-8 writes as C2 80-9F), at most `maxLength` characters
 * (bytes that do not continue a character), and, for `kind: 'text'`, not blank. A value without a visible ASCII
 * character may be blank in `trim`'s sense (no-break spaces and the like), which the general rules decide. Checks and
 * writes in one pass; what it wrote before giving up is simply not counted.
 */
function textWriter(maxLength: number, mustBeVisible: boolean): FieldWriter {
  return (src, start, end, out, at) => {
    let characters = 0;
    let visible = false;
    for (let i = start; i < end; i += 1) {
      const byte = src[i];
      if (byte > SPACE && byte < 0x7f) {
        visible = true;
        characters += 1;
        if (byte === BACKSLASH) out[at++] = BACKSLASH;
        out[at++] = byte;
        continue;
      }
      if (byte < SPACE) {
        if (byte !== TAB) return UNDECIDED;
        out[at++] = BACKSLASH;
        out[at++] = 0x74;
      } else {
        if (byte === 0x7f || (byte === 0xc2 && src[i + 1] <= 0x9f)) return UNDECIDED;
        out[at++] = byte;
      }
      if ((byte & 0xc0) !== 0x80) characters += 1;
    }
    if (characters > maxLength || (mustBeVisible && !visible)) return UNDECIDED;
    return at;
  };
}

/**
 * Printable ASCII matching `pattern` (tested on the field as a string, so the contract's pattern is the rule), no
 * longer than the column.
 */
function patternWriter(pattern: RegExp, maxLength: number): FieldWriter {
  return (src, start, end, out, at) => {
    if (end - start > maxLength) return UNDECIDED;
    for (let i = start; i < end; i += 1) if (src[i] < SPACE || src[i] > 0x7e) return UNDECIDED;
    if (!pattern.test(src.toString('latin1', start, end))) return UNDECIDED;
    return copyEscaped(src, start, end, out, at);
  };
}

const isDomainByte = (byte: number): boolean =>
  (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || isDigit(byte) || byte === 0x2d;

/**
 * An e-mail address as `^[^@\s][^@]*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$` reads it: one @, a first character that is
 * neither @ nor white space (ASCII here), two or more labels of letters, digits and hyphens after it; no control
 * character, no longer than the column.
 */
function emailWriter(maxLength: number): FieldWriter {
  const text = textWriter(maxLength, false);
  return (src, start, end, out, at) => {
    const first = src[start];
    if (first === 0x40 || first === SPACE || (first >= TAB && first <= CR) || first >= 0x80) return UNDECIDED;
    // The domain, from the end back to the @: labels of [A-Za-z0-9-], at least two, none empty.
    let labels = 0;
    let labelLength = 0;
    let sign = end - 1;
    for (; sign > start; sign -= 1) {
      const byte = src[sign];
      if (byte === 0x40) break;
      if (byte === 0x2e) {
        if (labelLength === 0) return UNDECIDED;
        labels += 1;
        labelLength = 0;
      } else if (isDomainByte(byte)) labelLength += 1;
      else return UNDECIDED;
    }
    if (sign === start || labelLength === 0 || labels < 1) return UNDECIDED;
    // The local part holds no other @.
    for (let i = start + 1; i < sign; i += 1) if (src[i] === 0x40) return UNDECIDED;
    return text(src, start, end, out, at);
  };
}

/** One of the listed values (only those the general rules accept, escaped once here). */
function enumWriter(values: readonly string[], rule: FieldRule): FieldWriter {
  const accepted = values.filter((value) => rule(value) === value).map((value) => Buffer.from(value, 'utf8'));
  const escaped = accepted.map((value) => {
    const out = Buffer.alloc(value.length * 2);
    return out.subarray(0, copyEscaped(value, 0, value.length, out, 0));
  });
  return (src, start, end, out, at) => {
    const length = end - start;
    next: for (let v = 0; v < accepted.length; v += 1) {
      const value = accepted[v];
      if (value.length !== length) continue;
      for (let i = 0; i < length; i += 1) if (src[start + i] !== value[i]) continue next;
      out.set(escaped[v], at);
      return at + escaped[v].length;
    }
    return UNDECIDED;
  };
}

/** The writer of one column's non-empty fields. */
function writerFor(column: Column, rule: FieldRule): FieldWriter {
  const { type, csv } = column;
  const maxLength = type.kind === 'varchar' || type.kind === 'char' ? type.length : Infinity;
  // A date and time needs its calendar checked: the full validation decides (no seeded table has one).
  if (type.kind === 'datetime') return () => UNDECIDED;
  switch (csv.kind) {
    case 'id':
      return idWriter(csv.prefix, maxLength);
    case 'text':
      return textWriter(maxLength, true);
    case 'email':
      return emailWriter(maxLength);
    case 'pattern':
      return patternWriter(csv.pattern, maxLength);
    case 'date-mdy':
      return dateWriter;
    case 'time-12h':
      return timeWriter;
    case 'money':
      return type.kind === 'decimal' ? moneyWriter(type.precision, type.scale) : () => UNDECIDED;
    case 'enum':
      return enumWriter(type.kind === 'enum' ? type.values : [], rule);
  }
}

/** What a scan of a chunk of valid records gives: the same as `validateChunk` for a chunk without errors. */
export interface ScannedChunk {
  readonly rows: number;
  readonly tsv: Uint8Array<ArrayBuffer>;
  readonly lines: Uint32Array<ArrayBuffer>;
  readonly keys: KeyCodes;
  readonly references: KeyCodes[];
}

/** Output space, reused from chunk to chunk on this thread; each result gets a copy of its own size. */
let scratch = Buffer.allocUnsafe(1024 * 1024);

function ensureScratch(at: number, more: number): void {
  if (at + more <= scratch.length) return;
  const grown = Buffer.allocUnsafe(Math.max(scratch.length * 2, at + more));
  scratch.copy(grown, 0, 0, at);
  scratch = grown;
}

/**
 * Scans a chunk whose every record is valid, returning its rows as LOAD DATA text with their lines and keys; returns
 * undefined as soon as anything needs the general validation (see the top of this file). `rules` are the columns'
 * `converterFor` rules, in column order.
 */
export function scanChunk(table: Table, chunk: CsvChunk, rules: readonly FieldRule[]): ScannedChunk | undefined {
  if (chunk.cut) return undefined;
  const src = Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
  const end = src.length;
  const { columns } = table;
  const width = columns.length;
  const crlf = chunk.recordDelimiter === '\r\n';
  const writers = columns.map((column, index) => writerFor(column, rules[index]));
  const nullable = columns.map((column) => column.nullable);

  let at = 0;
  let p = 0;
  let firstDataLine = chunk.firstLine;
  if (chunk.header) {
    const header = Buffer.from(`${columns.map((c) => c.name).join(',')}${chunk.recordDelimiter}`, 'utf8');
    if (end < header.length || !header.equals(src.subarray(0, header.length))) return undefined;
    p = header.length;
    firstDataLine += 1;
  }
  // About how many rows the chunk holds, from the first one's length, so the key arrays rarely grow.
  const firstRow = src.indexOf(LF, p);
  const expectedRows = Math.ceil((end - p) / Math.max(firstRow - p + 1, 16)) + 16;
  const keyField = columns.findIndex((c) => c.name === table.primaryKey);
  const keyColumns = [keyField, ...columns.flatMap((c, i) => (c.references ? [i] : []))].map((index) => {
    const column = columns[index];
    const prefixLength = column.csv.kind === 'id' ? column.csv.prefix.length : -1;
    return { index, prefixLength, encode: keyEncoder(column), codes: new KeyCodesBuilder(column, expectedRows) };
  });
  const starts = new Int32Array(width);
  const ends = new Int32Array(width);
  const converted: (string | null | undefined)[] = new Array<string | null | undefined>(width);
  let rows = 0;

  // Each field of L bytes and its delimiter become at most 2L + 3 bytes (escapes double a byte; \N is 2 bytes; a date
  // of 8 or more bytes becomes 10, a time of 7 becomes 8, money grows by at most 3), which is at most 3 bytes for each
  // byte read with its comma or line feed.
  ensureScratch(0, 3 * end + 16);
  while (p < end) {
    // One record: find each field, write it, then its keys.
    for (let field = 0; ; field += 1) {
      if (field === width) return undefined;
      let start: number;
      let fieldEnd: number;
      let escapedQuotes = false;
      if (src[p] === QUOTE) {
        start = p + 1;
        let q = start;
        for (;;) {
          q = src.indexOf(QUOTE, q);
          if (q === -1) return undefined;
          if (src[q + 1] !== QUOTE) break;
          escapedQuotes = true;
          q += 2;
        }
        fieldEnd = q;
        p = q + 1;
      } else {
        start = p;
        while (p < end && src[p] !== COMMA && src[p] !== LF && src[p] !== QUOTE) p += 1;
        if (src[p] === QUOTE) return undefined;
        fieldEnd = crlf && src[p] === LF && src[p - 1] === CR ? p - 1 : p;
      }
      starts[field] = start;
      ends[field] = fieldEnd;
      converted[field] = undefined;
      if (start === fieldEnd) {
        if (!nullable[field]) return undefined;
        at = writeNull(scratch, at);
      } else {
        const written = escapedQuotes ? UNDECIDED : writers[field](src, start, fieldEnd, scratch, at);
        if (written !== UNDECIDED) at = written;
        else {
          // The general rule decides, on the field as a string.
          let raw = src.toString('utf8', start, fieldEnd);
          if (escapedQuotes) raw = raw.replace(/""/g, '"');
          const value = rules[field](raw);
          if (value === undefined) return undefined;
          converted[field] = value;
          if (value === null) at = writeNull(scratch, at);
          else {
            const bytes = Buffer.from(value, 'utf8');
            ensureScratch(at, 2 * bytes.length + 8);
            at = copyEscaped(bytes, 0, bytes.length, scratch, at);
          }
        }
      }
      // What ends the field: a comma, the record's end, or the chunk's end.
      if (p >= end) {
        if (field !== width - 1) return undefined;
        break;
      }
      const after = src[p];
      if (after === COMMA) {
        scratch[at++] = TAB;
        p += 1;
        continue;
      }
      if (crlf) {
        if (after === CR && src[p + 1] === LF) p += 2;
        else if (after === LF && fieldEnd === p - 1) p += 1;
        else return undefined;
      } else if (after === LF) p += 1;
      else return undefined;
      if (field !== width - 1) return undefined;
      break;
    }
    scratch[at++] = LF;
    for (let k = 0; k < keyColumns.length; k += 1) {
      const { index, prefixLength, codes, encode } = keyColumns[k];
      const [from, to, value] = [starts[index], ends[index], converted[index]];
      if (from === to || value === null) codes.push(NULL_KEY);
      else if (value === undefined && prefixLength >= 0) codes.push(idCodeOf(src, from, to, prefixLength));
      else codes.push(encode(value ?? src.toString('utf8', from, to)));
    }
    rows += 1;
  }
  const lines = new Uint32Array(rows);
  for (let row = 0; row < rows; row += 1) lines[row] = firstDataLine + row;
  const [keys, ...references] = keyColumns.map((key) => key.codes.done());
  // A copy of its own size (a memcpy), which moves to the main thread without copying again.
  const tsv = Buffer.allocUnsafeSlow(at);
  scratch.copy(tsv, 0, 0, at);
  return { rows, tsv, lines, keys, references };
}
