import { FileHandle, open } from 'node:fs/promises';

/**
 * The longest record the loader reads, in bytes. The contract's longest column is VARCHAR(254), at most 1,016 bytes
 * of UTF-8, and its widest table has eight columns, so a valid record is at most about 8 KiB even with every quote
 * doubled; 1 MiB leaves more than a hundredfold margin while keeping a broken export (a quote never closed, a binary
 * file) from growing one field without bound.
 */
export const MAX_RECORD_BYTES = 1024 * 1024;

/**
 * How much of a file one validation task takes: large enough that handing it to a thread costs little, small enough
 * that its records die young (with 1 MiB chunks, V8 spent a third of the time promoting and collecting records).
 */
export const CHUNK_BYTES = 64 * 1024;

/**
 * A chunk that ends here without a record boundary holds part of a record longer than any valid one: a field of
 * MAX_RECORD_BYTES, every quote doubled, and the fields around it.
 */
const CUT_BYTES = CHUNK_BYTES + 2 * MAX_RECORD_BYTES + 64 * 1024;

/** Why a file cannot be read, in the words of the input rules. */
export function unreadableReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'is not readable';
  if (code === 'EISDIR') return 'is a folder, not a file';
  return `cannot be read (${(error as Error).message})`;
}

/** A file could not be opened or read: which, on what line reading stopped, and why. */
export class UnreadableInputError extends Error {
  override name = 'UnreadableInputError';
  constructor(
    readonly path: string,
    readonly line: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An input file, open for reading from the start of the run, so that renaming or deleting it later changes nothing. */
export interface InputFile {
  readonly path: string;
  readonly handle: FileHandle;
}

/** Opens an input file, refusing anything but a readable regular file. */
export async function openInput(path: string): Promise<InputFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new UnreadableInputError(path, 1, `cannot open the file: it ${unreadableReason(error)}`, { cause: error });
  }
  const stat = await handle.stat();
  if (stat.isFile()) return { path, handle };
  await handle.close();
  const what = stat.isDirectory() ? 'is a folder, not a file' : 'is not a regular file';
  throw new UnreadableInputError(path, 1, `cannot open the file: it ${what}`);
}

/** A run of whole records of a CSV file (unless `cut`), as bytes. */
export interface CsvChunk {
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** The line the chunk starts on; the header is line 1. */
  readonly firstLine: number;
  /** The first chunk, which starts with the header. */
  readonly header: boolean;
  /** How the file's records end, from its first line: CRLF or LF. */
  readonly recordDelimiter: '\n' | '\r\n';
  /** Ends inside a record longer than any valid one, so nothing after this chunk can be read reliably. */
  readonly cut: boolean;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf];

/**
 * Where the last whole record of `data` ends, and how many line feeds come before that: a record ends at a line feed
 * (after a carriage return in a CRLF file) outside quotes. Counting quotes is enough to know whether a line feed is
 * inside a quoted field, because data starts at a record boundary and a doubled quote counts twice. In a file whose
 * quotes are broken the count goes wrong only after the first broken quote, where csv-parse stops with an error.
 */
function lastRecordEnd(data: Uint8Array, crlf: boolean): { end: number; lines: number } {
  let quoted = false;
  let lines = 0;
  let end = 0;
  let linesAtEnd = 0;
  for (let i = 0; i < data.length; i += 1) {
    const byte = data[i];
    if (byte === QUOTE) quoted = !quoted;
    else if (byte === LF) {
      lines += 1;
      if (!quoted && (!crlf || data[i - 1] === CR)) [end, linesAtEnd] = [i + 1, lines];
    }
  }
  return { end, lines: linesAtEnd };
}

/** Line feeds in `data`. */
function lineFeeds(data: Uint8Array): number {
  let count = 0;
  for (let at = data.indexOf(LF); at !== -1; at = data.indexOf(LF, at + 1)) count += 1;
  return count;
}

/** Where a cut may fall: not inside a multi-byte UTF-8 sequence, so that each chunk decodes on its own. */
function characterBoundary(data: Uint8Array, at: number): number {
  let boundary = at;
  while (boundary > 0 && (data[boundary] & 0xc0) === 0x80) boundary -= 1;
  return boundary;
}

/**
 * Reads a CSV file as chunks of whole records of about CHUNK_BYTES, in order, with the line each starts on; a
 * byte-order mark is dropped. Memory stays at a few chunks whatever the file's size or the length of its lines. A
 * read error becomes an UnreadableInputError at the line where reading stopped.
 */
export async function* csvChunks(input: InputFile): AsyncGenerator<CsvChunk> {
  let carry: Uint8Array = new Uint8Array(0);
  let position = 0;
  let line = 1;
  let header = true;
  let recordDelimiter: '\n' | '\r\n' | undefined;
  // Each chunk is a copy with memory of its own, which can be handed to a validation thread as it is.
  const chunk = (bytes: Uint8Array, cut: boolean): CsvChunk => {
    const taken = { bytes: new Uint8Array(bytes), firstLine: line, header, recordDelimiter: recordDelimiter ?? '\n', cut };
    header = false;
    return taken;
  };
  for (;;) {
    const block = Buffer.allocUnsafe(CHUNK_BYTES);
    let bytesRead: number;
    try {
      ({ bytesRead } = await input.handle.read(block, 0, CHUNK_BYTES, position));
    } catch (error) {
      throw new UnreadableInputError(input.path, line, `reading stopped here: ${(error as Error).message}`, { cause: error });
    }
    let data: Uint8Array = carry.length > 0 ? Buffer.concat([carry, block.subarray(0, bytesRead)]) : block.subarray(0, bytesRead);
    if (position === 0 && BOM.every((byte, i) => data[i] === byte)) data = data.subarray(BOM.length);
    position += bytesRead;
    if (bytesRead === 0) {
      if (data.length > 0) yield chunk(data, false);
      return;
    }
    if (recordDelimiter === undefined) {
      const firstLineFeed = data.indexOf(LF);
      if (firstLineFeed !== -1) recordDelimiter = data[firstLineFeed - 1] === CR ? '\r\n' : '\n';
    }
    const { end, lines } = lastRecordEnd(data, recordDelimiter === '\r\n');
    if (end > 0) {
      yield chunk(data.subarray(0, end), false);
      line += lines;
      carry = data.subarray(end);
    } else if (data.length >= CUT_BYTES) {
      const cutAt = characterBoundary(data, data.length - 1);
      yield chunk(data.subarray(0, cutAt), true);
      line += lineFeeds(data.subarray(0, cutAt));
      carry = data.subarray(cutAt);
    } else {
      carry = data;
    }
  }
}
