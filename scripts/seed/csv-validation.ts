import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, TransformCallback } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { Column, Table } from '../../contract/clinic';

/** A problem in an input file, located like a compiler error: `path:line:column: message`. */
export interface LocatedError {
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export const formatError = (e: LocatedError): string => `${e.path}:${e.line}:${e.column}: ${e.message}`;

/** A value ready for MySQL: text as is, dates `YYYY-MM-DD`, times `HH:MM:SS`, money `1234.50`; null for NULL. */
export type SqlValue = string | null;

/** Result of converting one CSV field. */
type Converted = { ok: true; value: SqlValue } | { ok: false; message: string };

const ok = (value: SqlValue): Converted => ({ ok: true, value });
const bad = (message: string): Converted => ({ ok: false, message });
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const show = (raw: string): string => JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);

function convertDate(raw: string): Converted {
  const match = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})$/.exec(raw);
  if (!match) return bad(`${show(raw)} is not a date M/D/YYYY`);
  const [month, day, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return bad(`${show(raw)} is not a real calendar date`);
  }
  if (year < 1900 || year > 2100) return bad(`${show(raw)} is outside the years 1900-2100`);
  return ok(`${year}-${pad(month)}-${pad(day)}`);
}

function convertTime(raw: string): Converted {
  const match = /^([0-9]{1,2}):([0-9]{2}) (AM|PM)$/.exec(raw);
  if (!match) return bad(`${show(raw)} is not a time H:MM AM|PM`);
  const [hour, minute] = [Number(match[1]), Number(match[2])];
  if (hour < 1 || hour > 12 || minute > 59) return bad(`${show(raw)} is not a valid time of day`);
  const hour24 = (hour % 12) + (match[3] === 'PM' ? 12 : 0);
  return ok(`${pad(hour24)}:${pad(minute)}:00`);
}

function convertMoney(raw: string, precision: number, scale: number): Converted {
  const match = /^(-)?\$([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?$/.exec(raw);
  if (!match) return bad(`${show(raw)} is not an amount such as $2419.20`);
  const whole = match[2].replace(/,/g, '').replace(/^0+(?=[0-9])/, '');
  if (whole.length > precision - scale) return bad(`${show(raw)} is larger than DECIMAL(${precision},${scale}) holds`);
  const cents = (match[3] ?? '').padEnd(scale, '0');
  return ok(`${match[1] ?? ''}${whole}.${cents}`);
}

/** Converts and checks one field against its column: format, calendar, range, length, enum. */
const idPatterns = new Map<string, RegExp>();
const idPattern = (prefix: string): RegExp => {
  let pattern = idPatterns.get(prefix);
  if (!pattern) idPatterns.set(prefix, (pattern = new RegExp(`^${prefix}[0-9]{1,12}$`)));
  return pattern;
};
const codePoints = (value: string): number => {
  let count = 0;
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count += 1;
  }
  return count;
};

export function convertField(column: Column, raw: string): Converted {
  if (raw === '') return column.nullable ? ok(null) : bad(`${column.name} is required`);
  if (raw.includes('\n') || raw.includes('\r')) return bad(`${column.name} contains a line break`);
  const { type, csv } = column;
  let converted: Converted;
  switch (csv.kind) {
    case 'id':
      converted = idPattern(csv.prefix).test(raw) ? ok(raw) : bad(`${show(raw)} is not an id ${csv.prefix}<number>`);
      break;
    case 'text':
      converted = raw.trim() === '' ? bad(`${column.name} is blank`) : ok(raw);
      break;
    case 'email':
      converted = /^[^@\s][^@]*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(raw) ? ok(raw) : bad(`${show(raw)} is not an e-mail address`);
      break;
    case 'pattern':
      converted = csv.pattern.test(raw) ? ok(raw) : bad(`${show(raw)} is not ${csv.description}`);
      break;
    case 'date-mdy':
      converted = convertDate(raw);
      break;
    case 'time-12h':
      converted = convertTime(raw);
      break;
    case 'money':
      converted = type.kind === 'decimal' ? convertMoney(raw, type.precision, type.scale) : bad('money needs a DECIMAL column');
      break;
    case 'enum':
      converted =
        type.kind === 'enum' && type.values.includes(raw)
          ? ok(raw)
          : bad(`${show(raw)} is not one of ${type.kind === 'enum' ? type.values.map((v) => `"${v}"`).join(', ') : '(no values)'}`);
      break;
  }
  if (
    converted.ok &&
    converted.value !== null &&
    (type.kind === 'varchar' || type.kind === 'char') &&
    converted.value.length > type.length
  ) {
    const length = codePoints(converted.value);
    if (length > type.length) return bad(`${column.name} is ${length} characters, longer than the ${type.length} allowed`);
  }
  return converted;
}

/**
 * Where each field of a raw CSV record starts, as 1-based line and column. A quoted field may span lines, so
 * the fields after it start on later lines.
 */
export function fieldStarts(raw: string, firstLine: number): { line: number; column: number }[] {
  const starts = [{ line: firstLine, column: 1 }];
  let line = firstLine;
  let column = 1;
  let quoted = false;
  for (let i = 0; i < raw.length; i += 1) {
    const ch = raw[i];
    if (ch === '"') {
      if (quoted && raw[i + 1] === '"') {
        i += 1;
        column += 1;
      } else {
        quoted = !quoted;
      }
    } else if (ch === ',' && !quoted) {
      starts.push({ line, column: column + 1 });
    } else if (ch === '\n') {
      line += 1;
      column = 0;
    }
    column += 1;
  }
  return starts;
}

/**
 * Passes bytes through unchanged while checking they are UTF-8 and counting lines; invalid bytes fail the stream
 * with their line and column (csv-parse would silently replace them).
 */
class Utf8Guard extends Transform {
  private carry = Buffer.alloc(0);
  private linesBefore = 0;
  private lastLineStart: Buffer = Buffer.alloc(0);

  constructor(private readonly path: string) {
    super();
  }

  /** Bytes at the end that may be the start of a multi-byte sequence continued in the next chunk. */
  private static incompleteTail(buffer: Buffer): number {
    for (let back = 1; back <= Math.min(3, buffer.length); back += 1) {
      const byte = buffer[buffer.length - back];
      if ((byte & 0xc0) !== 0x80) {
        const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
        return needed > back ? back : 0;
      }
    }
    return 0;
  }

  private fail(buffer: Buffer): Error {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let offset = 0;
    while (offset < buffer.length) {
      const byte = buffer[offset];
      const size = byte < 0x80 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 0;
      try {
        if (size === 0) throw new Error('continuation byte');
        decoder.decode(buffer.subarray(offset, offset + size));
        offset += size;
      } catch {
        break;
      }
    }
    const before = Buffer.concat([this.lastLineStart, buffer.subarray(0, offset)]);
    const lastNewline = before.lastIndexOf(0x0a);
    const linesInChunk = buffer.subarray(0, offset).reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);
    const lineText = before
      .subarray(lastNewline + 1)
      .toString('utf8')
      .replace(/^\ufeff/, '');
    const error = new Error('invalid UTF-8') as Error & { located: LocatedError };
    error.located = {
      path: this.path,
      line: this.linesBefore + linesInChunk + 1,
      column: [...lineText].length + 1,
      message: `invalid UTF-8 byte 0x${buffer[offset].toString(16).padStart(2, '0')} (export the file as UTF-8)`,
    };
    return error;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const buffer = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const tail = Utf8Guard.incompleteTail(buffer);
    const complete = buffer.subarray(0, buffer.length - tail);
    this.carry = Buffer.from(buffer.subarray(buffer.length - tail));
    if (!isUtf8(complete)) {
      done(this.fail(complete));
      return;
    }
    let newline = complete.indexOf(0x0a);
    let lastNewline = -1;
    while (newline !== -1) {
      this.linesBefore += 1;
      lastNewline = newline;
      newline = complete.indexOf(0x0a, newline + 1);
    }
    this.lastLineStart =
      lastNewline === -1
        ? Buffer.concat([this.lastLineStart, complete]).subarray(-4096)
        : Buffer.from(complete.subarray(lastNewline + 1)).subarray(-4096);
    done(null, complete);
  }

  override _flush(done: TransformCallback): void {
    if (this.carry.length > 0) {
      done(this.fail(this.carry));
      return;
    }
    done();
  }
}

export interface ValidRow {
  /** Line of the record's first field (the header is line 1). */
  readonly line: number;
  readonly values: SqlValue[];
}

/** An error found before its column is known: the line of the record and the index of the field. */
export interface PendingError {
  readonly line: number;
  /** Index of the offending field in the record; columns are resolved from the file afterwards. */
  readonly field: number;
  readonly message: string;
}

export interface ValidationResult {
  readonly rowsRead: number;
  readonly rowsRejected: number;
  readonly errors: LocatedError[];
  /** True when `maxErrors` was reached and reading stopped. */
  readonly truncated: boolean;
}

export interface ValidateOptions {
  /** Stop reading once this many errors are collected. */
  readonly maxErrors: number;
  /** Receives every valid row in file order; may apply backpressure by returning a promise. */
  readonly onRow: (row: ValidRow) => void | Promise<void>;
}

/**
 * Finds the quote that broke parsing in the record starting at `fromLine`: the opening quote of a field that is
 * never closed, or whose closing quote is followed by something other than a delimiter.
 */
async function locateQuoteProblem(path: string, fromLine: number): Promise<{ line: number; column: number } | undefined> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  let quoted = false;
  let opening: { line: number; column: number } | undefined;
  try {
    for await (const rawLine of lines) {
      lineNumber += 1;
      if (lineNumber < fromLine) continue;
      const text = lineNumber === 1 ? rawLine.replace(/^\ufeff/, '') : rawLine.replace(/\r$/, '');
      for (let i = 0; i < text.length; i += 1) {
        if (text[i] !== '"') continue;
        if (!quoted) {
          if (i === 0 || text[i - 1] === ',') {
            quoted = true;
            opening = { line: lineNumber, column: i + 1 };
          }
        } else if (text[i + 1] === '"') {
          i += 1;
        } else if (i + 1 < text.length && text[i + 1] !== ',') {
          return opening;
        } else {
          quoted = false;
        }
      }
      if (!quoted && lineNumber > fromLine + 1000) break;
    }
  } finally {
    lines.close();
  }
  return quoted ? opening : undefined;
}

/**
 * Turns pending errors into located ones: one streaming pass over the file reads just the records that have
 * errors and finds where each offending field starts. Only runs when there are errors, so the happy path never
 * pays for column positions.
 */
export async function resolveColumns(path: string, pending: readonly PendingError[]): Promise<LocatedError[]> {
  if (pending.length === 0) return [];
  const wanted = new Map<number, PendingError[]>();
  for (const error of pending) wanted.set(error.line, [...(wanted.get(error.line) ?? []), error]);
  const located = new Map<PendingError, LocatedError>();
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  const lastLine = Math.max(...wanted.keys());
  let lineNumber = 0;
  let record: { start: number; text: string } | undefined;
  const quotesOpen = (text: string): boolean => (text.match(/"/g)?.length ?? 0) % 2 === 1;
  const finish = (start: number, text: string): void => {
    const starts = fieldStarts(text, start);
    for (const error of wanted.get(start) ?? []) {
      const at = starts[Math.min(error.field, starts.length - 1)];
      located.set(error, { path, line: at.line, column: at.column, message: error.message });
    }
  };
  try {
    for await (const rawLine of lines) {
      lineNumber += 1;
      const text = (lineNumber === 1 ? rawLine.replace(/^\ufeff/, '') : rawLine).replace(/\r$/, '');
      if (record) {
        record.text += `\n${text}`;
        if (!quotesOpen(record.text)) {
          finish(record.start, record.text);
          record = undefined;
        }
      } else if (wanted.has(lineNumber)) {
        if (quotesOpen(text)) record = { start: lineNumber, text };
        else finish(lineNumber, text);
      }
      if (lineNumber >= lastLine && !record) break;
    }
  } finally {
    lines.close();
  }
  return pending.map((error) => located.get(error) ?? { path, line: error.line, column: 1, message: error.message });
}

/**
 * Streams one CSV export through csv-parse and checks it against a contract table: the header (names and order),
 * field counts, and each field's format, calendar, range, length and enum. Memory stays flat whatever the size.
 */
export async function validateCsvFile(path: string, table: Table, options: ValidateOptions): Promise<ValidationResult> {
  const pending: PendingError[] = [];
  const located: LocatedError[] = [];
  let rowsRead = 0;
  let rowsRejected = 0;
  const full = (): boolean => pending.length + located.length >= options.maxErrors;
  const finish = async (): Promise<ValidationResult> => {
    const errors = [...(await resolveColumns(path, pending)), ...located].slice(0, options.maxErrors);
    return { rowsRead, rowsRejected, errors, truncated: full() };
  };

  if ((await stat(path)).size === 0) {
    located.push({ path, line: 1, column: 1, message: `file is empty; expected the header ${table.columns.map((c) => c.name).join(',')}` });
    return finish();
  }

  const source = createReadStream(path, { highWaterMark: 256 * 1024 });
  const guard = new Utf8Guard(path);
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: false });
  source.pipe(guard).pipe(parser);
  guard.on('error', (error) => parser.destroy(error));
  source.on('error', (error) => parser.destroy(error));

  const expected = table.columns.map((c) => c.name);
  const width = expected.length;
  let line = 1;
  let sawHeader = false;
  try {
    for await (const fields of parser as AsyncIterable<string[]>) {
      const recordLine = line;
      line += 1;
      for (const field of fields) if (field.includes('\n')) line += field.split('\n').length - 1;
      if (!sawHeader) {
        sawHeader = true;
        const headerProblems = checkHeader(fields, expected);
        for (const { index, message } of headerProblems) pending.push({ line: recordLine, field: index, message });
        if (headerProblems.length > 0) break;
        continue;
      }
      rowsRead += 1;
      if (fields.length !== width) {
        rowsRejected += 1;
        pending.push({
          line: recordLine,
          field: Math.min(fields.length, width),
          message: `expected ${width} fields, found ${fields.length}`,
        });
      } else {
        const values = new Array<SqlValue>(width);
        let rejected = false;
        for (let index = 0; index < width; index += 1) {
          const converted = convertField(table.columns[index], fields[index]);
          if (converted.ok) {
            values[index] = converted.value;
          } else {
            rejected = true;
            if (!full()) pending.push({ line: recordLine, field: index, message: converted.message });
          }
        }
        if (rejected) rowsRejected += 1;
        else {
          const waiting = options.onRow({ line: recordLine, values });
          if (waiting) await waiting;
        }
      }
      if (full()) break;
    }
  } catch (error) {
    const failure = error as Error & { located?: LocatedError; code?: string; lines?: number };
    if (failure.located) located.push(failure.located);
    else if (failure.code?.startsWith('CSV_')) {
      const quote = failure.code.includes('QUOTE') ? await locateQuoteProblem(path, line) : undefined;
      located.push(
        quote
          ? { path, ...quote, message: 'quoted field is not closed (a quote inside a value must be doubled)' }
          : { path, line: failure.lines ?? line, column: 1, message: failure.message.replace(/^.*?: /, '') },
      );
    } else throw error;
  } finally {
    source.destroy();
  }
  if (!sawHeader && pending.length + located.length === 0) located.push({ path, line: 1, column: 1, message: 'no header line' });
  else if (sawHeader && rowsRead === 0 && pending.length + located.length === 0) {
    located.push({ path, line: 2, column: 1, message: 'the file has a header but no data rows' });
  }
  return finish();
}

function checkHeader(fields: string[], expected: string[]): { index: number; message: string }[] {
  if (fields.join(',') === expected.join(',')) return [];
  const missing = expected.filter((name) => !fields.includes(name));
  const extra = fields.map((name, index) => ({ name, index })).filter(({ name }) => !expected.includes(name));
  const problems: { index: number; message: string }[] = [];
  if (missing.length > 0) {
    problems.push({
      index: Math.min(fields.length, expected.indexOf(missing[0])),
      message: `header is missing column(s) ${missing.join(', ')}; expected ${expected.join(',')}`,
    });
  }
  for (const { name, index } of extra)
    problems.push({ index, message: `unexpected column "${name}" in the header; expected ${expected.join(',')}` });
  if (problems.length === 0) {
    const index = fields.findIndex((name, i) => name !== expected[i]);
    problems.push({ index, message: `header columns are out of order: found ${fields.join(',')}, expected ${expected.join(',')}` });
  }
  return problems;
}
