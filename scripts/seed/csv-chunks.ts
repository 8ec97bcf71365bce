import { FileHandle, open } from 'node:fs/promises';

/**
 * The longest record the loader reads, in bytes. The contract's longest column is VARCHAR(254), at most 1,016 bytes
 * of UTF-8, and its widest table has eight columns, so a valid record is at most about 8 KiB even with every quote
 * doubled; 1 MiB leaves more than a hundredfold margin while keeping a broken export (a quote never closed, a binary
 * file) from growing one field without bound.
 */
export const MAX_RECORD_BYTES = 1024 * 1024;

/**
 * How much of a file one validation task takes, and one read: large enough that reading and handing a chunk to a
 * thread and back cost little per row (at 64 KiB that took a third of the main thread), small enough that the chunks
 * in flight stay a few MiB (at 1 MiB they, and the memory the allocator kept after them, added some 30 MB of peak RSS
 * on the 2-million-patient benchmark).
 */
export const CHUNK_BYTES = 256 * 1024;

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
 * Where the last whole record of data starting at a record boundary ends, and how many line feeds come before that: a
 * record ends at a line feed (after a carriage return in a CRLF file) outside quotes. Counting quotes is enough to know
 * whether a line feed is inside a quoted field, because data starts at a record boundary and a doubled quote counts
 * twice. In a file whose quotes are broken the count goes wrong only after the first broken quote, where csv-parse
 * stops with an error. The scan resumes where it stopped when more data is appended, so that a long record is read
 * once, not once per read.
 */
class RecordEnds {
  private quoted = false;
  private lines = 0;
  private scanned = 0;
  /** The end of the last whole record found so far (0 for none), and the line feeds before it. */
  end = 0;
  linesBeforeEnd = 0;

  constructor(private readonly crlf: boolean) {}

  scan(data: Uint8Array): this {
    const { crlf } = this;
    let { quoted, lines } = this;
    for (let i = this.scanned; i < data.length; i += 1) {
      const byte = data[i];
      if (byte === QUOTE) quoted = !quoted;
      else if (byte === LF) {
        lines += 1;
        if (!quoted && (!crlf || data[i - 1] === CR)) [this.end, this.linesBeforeEnd] = [i + 1, lines];
      }
    }
    [this.quoted, this.lines, this.scanned] = [quoted, lines, data.length];
    return this;
  }
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
  const chunk = (bytes: Uint8Array<ArrayBuffer>, cut: boolean): CsvChunk => {
    const taken = { bytes, firstLine: line, header, recordDelimiter: recordDelimiter ?? '\n', cut };
    header = false;
    return taken;
  };
  let ends: RecordEnds | undefined;
  for (;;) {
    // Each read goes into memory of its own behind the carried bytes, so that the chunk cut from it can be handed to
    // a validation thread as it is, without a copy; only the carried partial record is copied.
    const block = new Uint8Array(carry.length + CHUNK_BYTES);
    block.set(carry);
    let bytesRead: number;
    try {
      ({ bytesRead } = await input.handle.read(block, carry.length, CHUNK_BYTES, position));
    } catch (error) {
      throw new UnreadableInputError(input.path, line, `reading stopped here: ${(error as Error).message}`, { cause: error });
    }
    let data = block.subarray(0, carry.length + bytesRead);
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
    // Without a line feed yet there is no record end either.
    const { end, linesBeforeEnd } =
      recordDelimiter === undefined ? { end: 0, linesBeforeEnd: 0 } : (ends ??= new RecordEnds(recordDelimiter === '\r\n')).scan(data);
    if (end > 0) {
      carry = data.slice(end);
      // The carried bytes start a record: they are scanned afresh.
      ends = undefined;
      yield chunk(data.subarray(0, end), false);
      line += linesBeforeEnd;
    } else if (data.length >= CUT_BYTES) {
      // Nothing after a record this long can be read reliably: the file's last chunk, which says so.
      yield chunk(data.subarray(0, characterBoundary(data, data.length - 1)), true);
      return;
    } else {
      carry = data.slice();
    }
  }
}
