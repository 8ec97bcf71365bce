import { isUtf8 } from 'node:buffer';
import { CsvError, parse } from 'csv-parse/sync';
import { Column, Table } from '../../contract/clinic';
import { FieldRule, scanChunk } from './chunk-scanner';
import { CsvChunk, InputFile, MAX_RECORD_BYTES, UnreadableInputError, csvChunks, openInput } from './csv-chunks';
import { KeyCodes, KeyCodesBuilder, NULL_KEY, keyEncoder } from './keys';

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

/** Why a field is not a valid value of its column. */
class Refusal {
  constructor(readonly message: string) {}
}

/** A field converted for MySQL, or why it cannot be. */
type Conversion = SqlValue | Refusal;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const show = (raw: string): string => JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (month: number, year: number): number =>
  month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : DAYS_IN_MONTH[month - 1];

function convertDate(raw: string): Conversion {
  const match = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})$/.exec(raw);
  if (!match) return new Refusal(`${show(raw)} is not a date M/D/YYYY`);
  const [month, day, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return new Refusal(`${show(raw)} is not a real calendar date`);
  if (year < 1900 || year > 2100) return new Refusal(`${show(raw)} is outside the years 1900-2100`);
  return `${year}-${pad(month)}-${pad(day)}`;
}

/**
 * A DATETIME value written `YYYY-MM-DD HH:MM:SS` must also be a real instant: MySQL would otherwise store a zero
 * date or refuse the row only at load time, without the file's line.
 */
function realDateTime(column: Column, value: string): Conversion {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})$/.exec(value);
  if (!match) return new Refusal(`${show(value)} is not a date and time YYYY-MM-DD HH:MM:SS`);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || second > 59)
    return new Refusal(`${column.name} ${show(value)} is not a real date and time`);
  return value;
}

function convertTime(raw: string): Conversion {
  const match = /^([0-9]{1,2}):([0-9]{2}) (AM|PM)$/.exec(raw);
  if (!match) return new Refusal(`${show(raw)} is not a time H:MM AM|PM`);
  const [hour, minute] = [Number(match[1]), Number(match[2])];
  if (hour < 1 || hour > 12 || minute > 59) return new Refusal(`${show(raw)} is not a valid time of day`);
  const hour24 = (hour % 12) + (match[3] === 'PM' ? 12 : 0);
  return `${pad(hour24)}:${pad(minute)}:00`;
}

function convertMoney(raw: string, precision: number, scale: number): Conversion {
  const match = /^(-)?\$([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?$/.exec(raw);
  if (!match) return new Refusal(`${show(raw)} is not an amount such as $2419.20`);
  const whole = match[2].replace(/,/g, '').replace(/^0+(?=[0-9])/, '');
  if (whole.length > precision - scale) return new Refusal(`${show(raw)} is larger than DECIMAL(${precision},${scale}) holds`);
  const cents = (match[3] ?? '').padEnd(scale, '0');
  return `${match[1] ?? ''}${whole}.${cents}`;
}

const codePoints = (value: string): number => {
  let count = 0;
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count += 1;
  }
  return count;
};

/**
 * Control characters other than tab: C0 (NUL and line breaks included), DEL and C1. No column of the contract holds
 * them; in an export they are damage (a NUL ends a C string in many a reader downstream), so they are refused.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL_CHARACTER = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;

function controlCharacterRefusal(column: Column, raw: string): Refusal {
  const found = CONTROL_CHARACTER.exec(raw)!;
  if (found[0] === '\n' || found[0] === '\r') return new Refusal(`${column.name} contains a line break`);
  const code = found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return new Refusal(`${column.name} contains the control character U+${code} at character ${found.index + 1}`);
}

/** The format rule of a column: its CSV format, calendar, range and enum. */
function formatRule(column: Column): (raw: string) => Conversion {
  const { type, csv } = column;
  switch (csv.kind) {
    case 'id': {
      const pattern = new RegExp(`^${csv.prefix}[0-9]{1,12}$`);
      return (raw) => (pattern.test(raw) ? raw : new Refusal(`${show(raw)} is not an id ${csv.prefix}<number>`));
    }
    case 'text':
      return (raw) => (raw.trim() === '' ? new Refusal(`${column.name} is blank`) : raw);
    case 'email':
      return (raw) =>
        /^[^@\s][^@]*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(raw) ? raw : new Refusal(`${show(raw)} is not an e-mail address`);
    case 'pattern':
      return (raw) => (csv.pattern.test(raw) ? raw : new Refusal(`${show(raw)} is not ${csv.description}`));
    case 'date-mdy':
      return convertDate;
    case 'time-12h':
      return convertTime;
    case 'money':
      if (type.kind !== 'decimal') return () => new Refusal('money needs a DECIMAL column');
      return (raw) => convertMoney(raw, type.precision, type.scale);
    case 'enum': {
      const values = type.kind === 'enum' ? type.values : [];
      const listed = values.length > 0 ? values.map((v) => `"${v}"`).join(', ') : '(no values)';
      return (raw) => (values.includes(raw) ? raw : new Refusal(`${show(raw)} is not one of ${listed}`));
    }
  }
}

/**
 * The rules of one column, compiled once and applied to each of its fields: required or NULL, control characters,
 * format, calendar, range, enum, and length in characters.
 */
function converterFor(column: Column): (raw: string) => Conversion {
  const format = formatRule(column);
  const { type } = column;
  const maxLength = type.kind === 'varchar' || type.kind === 'char' ? type.length : Infinity;
  return (raw) => {
    if (raw === '') return column.nullable ? null : new Refusal(`${column.name} is required`);
    if (CONTROL_CHARACTER.test(raw)) return controlCharacterRefusal(column, raw);
    const formatted = format(raw);
    const value = type.kind === 'datetime' && typeof formatted === 'string' ? realDateTime(column, formatted) : formatted;
    if (typeof value === 'string' && value.length > maxLength) {
      const length = codePoints(value);
      if (length > maxLength) return new Refusal(`${column.name} is ${length} characters, longer than the ${maxLength} allowed`);
    }
    return value;
  };
}

/** Converts and checks one field against its column; the validator applies the same rules through `converterFor`. */
export function convertField(column: Column, raw: string): { ok: true; value: SqlValue } | { ok: false; message: string } {
  const converted = converterFor(column)(raw);
  return converted instanceof Refusal ? { ok: false, message: converted.message } : { ok: true, value: converted };
}

/** Offsets of the start of every line of `text`. */
function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  return starts;
}

/**
 * The text of one chunk of a file, for error messages: turns an offset, or a record's line and a field's index, into
 * line and column (columns count UTF-16 code units from 1, as editors do). Built only for a chunk with an error.
 */
export class ChunkText {
  readonly text: string;
  private readonly lineStarts: number[];

  constructor(
    bytes: Uint8Array,
    private readonly firstLine: number,
  ) {
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    this.lineStarts = lineStartsOf(this.text);
  }

  /** Where `line` starts in the text. */
  offsetOf(line: number): number {
    return this.lineStarts[Math.min(Math.max(line - this.firstLine, 0), this.lineStarts.length - 1)];
  }

  position(offset: number): { line: number; column: number } {
    let [low, high] = [0, this.lineStarts.length - 1];
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (this.lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: this.firstLine + low, column: offset - this.lineStarts[low] + 1 };
  }

  /**
   * Where field `index` of the record starting on `line` starts (its last field when it has fewer), and the field's
   * value. A quoted field may span lines, so a later field may start on a later line.
   */
  field(line: number, index: number): { line: number; column: number; value: string } {
    const { text } = this;
    let start = this.offsetOf(line);
    let field = 0;
    let quoted = false;
    for (let i = start; i < text.length && field < index; i += 1) {
      const ch = text[i];
      if (ch === '"') {
        if (quoted && text[i + 1] === '"') i += 1;
        else quoted = !quoted;
      } else if (ch === ',' && !quoted) {
        field += 1;
        start = i + 1;
      } else if (ch === '\n' && !quoted) break;
    }
    return { ...this.position(start), value: fieldValue(text, start) };
  }
}

/** The value of the field starting at `start`, unquoted, at most 200 characters (for messages). */
function fieldValue(text: string, start: number): string {
  if (text[start] !== '"') return /^[^,\r\n]{0,200}/.exec(text.slice(start, start + 201))![0];
  const quoted = /^"((?:[^"]|""){0,200})/.exec(text.slice(start, start + 402))!;
  return quoted[1].replace(/""/g, '"');
}

/**
 * The quote that breaks the record starting at `from`, following csv-parse's rules: a quote inside a field that did not
 * start with one (a bare quote, `Bob "Bobby"`), or a quoted field that is never closed (its opening quote; a later
 * quote followed by more text is taken as one that was meant to be doubled, not as its end).
 */
export function quoteProblem(text: string, from: number): { offset: number; kind: 'bare' | 'unclosed'; fieldStart: number } | undefined {
  let fieldStart = from;
  let quotedFrom = -1;
  for (let i = from; i < text.length; i += 1) {
    const ch = text[i];
    if (quotedFrom !== -1) {
      if (ch !== '"') continue;
      if (text[i + 1] === '"') {
        i += 1;
        continue;
      }
      const next = text[i + 1];
      if (next !== undefined && next !== ',' && next !== '\n' && !(next === '\r' && text[i + 2] === '\n'))
        return { offset: quotedFrom, kind: 'unclosed', fieldStart };
      quotedFrom = -1;
    } else if (ch === '"') {
      if (i !== fieldStart) return { offset: i, kind: 'bare', fieldStart };
      quotedFrom = i;
    } else if (ch === ',') fieldStart = i + 1;
    else if (ch === '\n') return undefined;
  }
  return quotedFrom === -1 ? undefined : { offset: quotedFrom, kind: 'unclosed', fieldStart };
}

/** Offset of the first byte of `bytes` that is not part of valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i];
    const size = lead < 0x80 ? 1 : lead >= 0xc2 && lead < 0xe0 ? 2 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xf0 && lead < 0xf5 ? 4 : 0;
    if (size === 0 || !isUtf8(bytes.subarray(i, i + size))) return i;
    i += size;
  }
  return -1;
}

/** Where invalid UTF-8 starts in a chunk that is not all UTF-8 (csv-parse would silently replace those bytes). */
function utf8Problem(path: string, bytes: Uint8Array, firstLine: number): LocatedError {
  let lineStart = 0;
  let line = firstLine;
  for (
    let lineFeed = bytes.indexOf(0x0a);
    lineFeed !== -1 && isUtf8(bytes.subarray(lineStart, lineFeed));
    lineFeed = bytes.indexOf(0x0a, lineStart)
  ) {
    lineStart = lineFeed + 1;
    line += 1;
  }
  const bad = lineStart + firstInvalidUtf8(bytes.subarray(lineStart));
  const before = Buffer.from(bytes.buffer, bytes.byteOffset + lineStart, bad - lineStart).toString('utf8');
  return {
    path,
    line,
    column: before.length + 1,
    message: `invalid UTF-8 byte 0x${bytes[bad].toString(16).padStart(2, '0')} (export the file as UTF-8)`,
  };
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

/**
 * Valid rows travel to the server as LOAD DATA's default text format: tab between fields, a line feed after each row,
 * `\N` for NULL and a backslash before a backslash, tab, line break or NUL in a value.
 */
const TSV_SPECIAL = /[\\\t\n\r\0]/;
const TSV_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };
const TSV_UNESCAPES: Readonly<Record<string, string>> = { '\\': '\\', t: '\t', n: '\n', r: '\r', '0': '\0' };

function tsvField(value: SqlValue): string {
  if (value === null) return '\\N';
  return TSV_SPECIAL.test(value) ? value.replace(/[\\\t\n\r\0]/g, (ch) => TSV_ESCAPES[ch]) : value;
}

/** The rows of text written by `validateChunk`, as values again. */
export function tsvRows(tsv: Uint8Array): SqlValue[][] {
  const text = Buffer.from(tsv.buffer, tsv.byteOffset, tsv.byteLength).toString('utf8');
  if (text === '') return [];
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) =>
      line.split('\t').map((field) => (field === '\\N' ? null : field.replace(/\\(.)/g, (_, ch: string) => TSV_UNESCAPES[ch]))),
    );
}

/** One chunk of a file to validate against its table. */
export interface ChunkTask {
  readonly table: Table;
  readonly path: string;
  readonly chunk: CsvChunk;
  /** Stop collecting errors, and reading, at this many. */
  readonly maxErrors: number;
}

/** What validating a chunk found. */
export interface ValidatedChunk {
  /** The chunk's bytes, back to the caller, which locates key errors in them. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly firstLine: number;
  /** Data records read (the header is not one). */
  readonly rows: number;
  readonly rejected: number;
  /** In file order. */
  readonly errors: LocatedError[];
  /** Nothing after this chunk can be read reliably (a broken header or quote, invalid UTF-8), or maxErrors was reached. */
  readonly stopped: boolean;
  /** The valid rows, converted, as LOAD DATA text. */
  readonly tsv: Uint8Array<ArrayBuffer>;
  /** For each valid row: the line it starts on, its primary key, and each foreign key (NULL_KEY for NULL). */
  readonly lines: Uint32Array<ArrayBuffer>;
  readonly keys: KeyCodes;
  readonly references: readonly KeyCodes[];
}

const CSV_OPTIONS = { relax_column_count: true, skip_empty_lines: false, max_record_size: MAX_RECORD_BYTES } as const;
const MIB = `${MAX_RECORD_BYTES / 1024 / 1024} MiB`;

const lineFeedsIn = (fields: readonly string[]): number => fields.reduce((n, field) => n + field.split('\n').length - 1, 0);

/** Where and why a record could not be parsed at all; `line` is where it starts. */
function syntaxProblem(task: ChunkTask, text: ChunkText, line: number, error: CsvError): LocatedError {
  const { path, table } = task;
  const found = quoteProblem(text.text, text.offsetOf(line));
  if (error.code === 'CSV_MAX_RECORD_SIZE') {
    const index = Number((error as CsvError & { index?: number }).index ?? 0);
    const field = text.field(line, index);
    const name = table.columns[index]?.name ?? `field ${index + 1}`;
    return {
      path,
      line: field.line,
      column: field.column,
      message:
        found?.kind === 'unclosed'
          ? `${name}: quoted field is not closed within ${MIB}, the longest record the loader reads (a quote inside a value must be doubled)`
          : `${name} makes the record longer than ${MIB}, the longest the loader reads (no column holds more than a few hundred characters)`,
    };
  }
  if (!found) {
    const at = task.chunk.firstLine + Math.max(Number(error.lines ?? 1) - 1, 0);
    return { path, line: at, column: 1, message: error.message.replace(/^.*?: /, '') };
  }
  const where = text.position(found.offset);
  if (found.kind === 'unclosed') return { path, ...where, message: 'quoted field is not closed (a quote inside a value must be doubled)' };
  const value = fieldValue(text.text, found.fieldStart);
  const example = value.length <= 40 ? `, as in "${value.replace(/"/g, '""')}"` : '';
  return { path, ...where, message: `a quote inside an unquoted value: quote the whole value and double each quote in it${example}` };
}

const noRows = () => ({ tsv: new Uint8Array(0), lines: new Uint32Array(0), keys: [], references: [] });

/** The rules of a table's columns as the hot path asks for them: the converted value, or undefined when refused. */
function fieldRules(table: Table): FieldRule[] {
  return table.columns.map((column) => {
    const convert = converterFor(column);
    return (raw) => {
      const converted = convert(raw);
      return converted instanceof Refusal ? undefined : converted;
    };
  });
}

/**
 * Checks one chunk of a CSV export against its table: the header (in the first chunk), field counts, each field's
 * format, calendar, range, length and enum, and control characters; converts the valid rows for MySQL and notes
 * their keys. Runs on a validation thread or on this one, so it reads nothing but its task. A chunk first takes the
 * hot path (chunk-scanner.ts), which gives up on anything but valid records; `hotPath: false` skips it, so that tests
 * can hold the two to the same results.
 */
export function validateChunk(task: ChunkTask, hotPath = true): ValidatedChunk {
  const { table, path, chunk } = task;
  const { bytes, firstLine } = chunk;
  const errors: LocatedError[] = [];
  let chunkText: ChunkText | undefined;
  const text = (): ChunkText => (chunkText ??= new ChunkText(bytes, firstLine));
  const fieldError = (line: number, index: number, message: string): void => {
    if (errors.length >= task.maxErrors) return;
    const { line: at, column } = text().field(line, index);
    errors.push({ path, line: at, column, message });
  };
  if (!isUtf8(bytes)) {
    errors.push(utf8Problem(path, bytes, firstLine));
    return { bytes, firstLine, rows: 0, rejected: 0, errors, stopped: true, ...noRows() };
  }
  // A chunk of valid records, by far the common case, takes one pass over its bytes.
  const scanned = hotPath ? scanChunk(table, chunk, fieldRules(table)) : undefined;
  if (scanned) return { bytes, firstLine, rejected: 0, errors, stopped: false, ...scanned };

  const options = { ...CSV_OPTIONS, record_delimiter: chunk.recordDelimiter };
  let records: string[][];
  let syntaxError: CsvError | undefined;
  try {
    records = parse(bytes, options);
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    syntaxError = error;
    // Parsed again, slower, to keep the records before the error.
    const before: string[][] = [];
    try {
      parse(bytes, { ...options, on_record: (record: string[]) => void before.push(record) });
    } catch {
      // The same error, now after the records before it.
    }
    records = before;
  }

  const { columns } = table;
  const converters = columns.map(converterFor);
  const width = columns.length;
  const names = columns.map((c) => c.name);
  const keyColumn = names.indexOf(table.primaryKey);
  const encodeKey = keyEncoder(columns[keyColumn]);
  const foreignKeys = columns.flatMap((column, index) => (column.references ? [{ index, encode: keyEncoder(column) }] : []));
  let tsv = '';
  const lines: number[] = [];
  const keys = new KeyCodesBuilder(columns[keyColumn]);
  const references = foreignKeys.map(({ index }) => new KeyCodesBuilder(columns[index]));
  const values = new Array<SqlValue>(width);
  let [rows, rejected, line, recordLine, stopped] = [0, 0, firstLine, firstLine, false];
  for (let r = 0; r < records.length && !stopped; r += 1) {
    const fields = records[r];
    recordLine = line;
    if (chunk.header && r === 0) {
      line += 1 + lineFeedsIn(fields);
      const problems = checkHeader(fields, names);
      for (const { index, message } of problems) fieldError(recordLine, index, message);
      stopped = problems.length > 0;
      continue;
    }
    rows += 1;
    let valid = fields.length === width;
    if (!valid) fieldError(recordLine, Math.min(fields.length, width), `expected ${width} fields, found ${fields.length}`);
    else {
      for (let index = 0; index < width; index += 1) {
        const converted = converters[index](fields[index]);
        if (converted instanceof Refusal) {
          valid = false;
          fieldError(recordLine, index, converted.message);
        } else values[index] = converted;
      }
    }
    if (valid) {
      // No valid field holds a line break, so the record is one line.
      line += 1;
      let row = tsvField(values[0]);
      for (let index = 1; index < width; index += 1) row += `\t${tsvField(values[index])}`;
      tsv += `${row}\n`;
      lines.push(recordLine);
      keys.push(encodeKey(values[keyColumn]!));
      foreignKeys.forEach(({ index, encode }, k) => {
        const value = values[index];
        references[k].push(value === null ? NULL_KEY : encode(value));
      });
    } else {
      line += 1 + lineFeedsIn(fields);
      rejected += 1;
    }
    stopped = errors.length >= task.maxErrors;
  }
  if (!stopped && syntaxError) {
    errors.push(syntaxProblem(task, text(), line, syntaxError));
    stopped = true;
  } else if (!stopped && chunk.cut) {
    errors.push({
      path,
      line: recordLine,
      column: 1,
      message: `the record starting here is longer than ${MIB}, the longest the loader reads`,
    });
    stopped = true;
  }
  return {
    bytes,
    firstLine,
    rows,
    rejected,
    errors,
    stopped,
    tsv: new TextEncoder().encode(tsv),
    lines: Uint32Array.from(lines),
    keys: keys.done(),
    references: references.map((codes) => codes.done()),
  };
}

/** Validates one chunk somewhere (on this thread or a validation thread). */
export type ChunkValidator = (task: ChunkTask) => Promise<ValidatedChunk>;

const emptyResult = (firstLine: number, error: LocatedError): ValidatedChunk => ({
  bytes: new Uint8Array(0),
  firstLine,
  rows: 0,
  rejected: 0,
  errors: [error],
  stopped: true,
  ...noRows(),
});

/**
 * Validates a whole file, chunk by chunk, yielding each chunk's result in file order while up to `ahead` later chunks
 * are being validated; stops after a chunk that stops the file. A file without a header or data rows ends with a
 * result holding that error. `remainingErrors` is read as each chunk is handed out, so a chunk stops at the budget.
 */
export async function* validatedChunks(
  input: InputFile,
  table: Table,
  validate: ChunkValidator,
  options: { readonly ahead: number; readonly remainingErrors: () => number },
): AsyncGenerator<ValidatedChunk> {
  const path = input.path;
  const inFlight: Promise<ValidatedChunk>[] = [];
  const chunks = csvChunks(input);
  let [chunkCount, rows, stopped] = [0, 0, false];
  try {
    const next = async (): Promise<ValidatedChunk> => {
      const done = await inFlight.shift()!;
      rows += done.rows;
      stopped = done.stopped;
      return done;
    };
    for await (const chunk of chunks) {
      chunkCount += 1;
      const pending = validate({ table, path, chunk, maxErrors: options.remainingErrors() });
      // Handled when its turn comes; until then a failure must not count as unhandled.
      pending.catch(() => undefined);
      inFlight.push(pending);
      if (inFlight.length >= options.ahead) yield await next();
      if (stopped) return;
    }
    while (inFlight.length > 0 && !stopped) yield await next();
    if (stopped) return;
    const expected = table.columns.map((c) => c.name).join(',');
    if (chunkCount === 0) {
      const empty = (await input.handle.stat()).size === 0;
      yield emptyResult(1, {
        path,
        line: 1,
        column: 1,
        message: empty ? `file is empty; expected the header ${expected}` : 'no header line',
      });
    } else if (rows === 0) {
      yield emptyResult(2, { path, line: 2, column: 1, message: 'the file has a header but no data rows' });
    }
  } finally {
    await chunks.return(undefined);
    await Promise.allSettled(inFlight);
  }
}

export interface ValidRow {
  /** Line of the record's first field (the header is line 1). */
  readonly line: number;
  readonly values: SqlValue[];
}

export interface ValidationResult {
  readonly rowsRead: number;
  readonly rowsRejected: number;
  readonly errors: LocatedError[];
  /** True when `maxErrors` was reached and reading stopped. */
  readonly truncated: boolean;
}

/**
 * Streams one CSV export through validation on this thread, handing each valid row, converted for MySQL, to `onRow`
 * (which may apply backpressure by returning a promise). Checks the format only; the loader adds key checks. Memory
 * stays flat whatever the size.
 */
export async function validateCsvFile(
  path: string,
  table: Table,
  options: { readonly maxErrors: number; readonly onRow: (row: ValidRow) => void | Promise<void> },
): Promise<ValidationResult> {
  const errors: LocatedError[] = [];
  let [rowsRead, rowsRejected] = [0, 0];
  const remainingErrors = (): number => options.maxErrors - errors.length;
  const input = await openInput(path).catch((error: Error) => {
    if (error instanceof UnreadableInputError) return error;
    throw error;
  });
  if (input instanceof UnreadableInputError) {
    return { rowsRead, rowsRejected, errors: [{ path, line: input.line, column: 1, message: input.message }], truncated: false };
  }
  try {
    const validate: ChunkValidator = (task) => Promise.resolve(validateChunk(task));
    for await (const chunk of validatedChunks(input, table, validate, { ahead: 1, remainingErrors })) {
      rowsRead += chunk.rows;
      rowsRejected += chunk.rejected;
      errors.push(...chunk.errors.slice(0, remainingErrors()));
      for (const [i, values] of tsvRows(chunk.tsv).entries()) {
        const waiting = options.onRow({ line: chunk.lines[i], values });
        if (waiting) await waiting;
      }
    }
  } finally {
    await input.handle.close();
  }
  return { rowsRead, rowsRejected, errors, truncated: errors.length >= options.maxErrors };
}
