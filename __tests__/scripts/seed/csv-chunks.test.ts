import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHUNK_BYTES, CsvChunk, UnreadableInputError, csvChunks, openInput } from '../../../scripts/seed/csv-chunks';

describe('reading a CSV file in chunks of whole records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csv-chunks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const file = (content: string | Buffer): string => {
    files += 1;
    const path = join(dir, `file-${files}.csv`);
    writeFileSync(path, content);
    return path;
  };
  const chunksOf = async (path: string): Promise<CsvChunk[]> => {
    const input = await openInput(path);
    try {
      const chunks: CsvChunk[] = [];
      for await (const chunk of csvChunks(input)) chunks.push(chunk);
      return chunks;
    } finally {
      await input.handle.close();
    }
  };
  const text = (chunk: CsvChunk): string => Buffer.from(chunk.bytes).toString();

  test('chunks end at records, never inside a quoted line break, and know the line they start on', async () => {
    // Enough lines of about 20 bytes for several chunks.
    const lines = Array.from({ length: Math.ceil((4 * CHUNK_BYTES) / 20) }, (_, i) =>
      i % 7 === 0 ? `ID${i},"two\nlines, ""quoted"""` : `ID${i},one line`,
    );
    const content = `id,value\n${lines.join('\n')}\n`;
    const chunks = await chunksOf(file(content));
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map(text).join('')).toBe(content);
    let line = 1;
    for (const [index, chunk] of chunks.entries()) {
      expect(chunk).toMatchObject({ firstLine: line, header: index === 0, recordDelimiter: '\n', cut: false });
      expect(chunk.bytes.length).toBeLessThan(CHUNK_BYTES + 100);
      expect(text(chunk)).toMatch(/(^|\n)ID[0-9]+,(one line|"two\nlines, ""quoted""")\n$/);
      line += text(chunk).split('\n').length - 1;
    }
  });

  test('a byte-order mark is dropped and CRLF files split only at CRLF', async () => {
    const rows = Array.from({ length: Math.ceil((3 * CHUNK_BYTES) / 12) }, (_, i) => `ID${i},"a\nb"`).join('\r\n');
    const chunks = await chunksOf(file(`\ufeffid,value\r\n${rows}\r\n`));
    expect(text(chunks[0]).startsWith('id,value\r\n')).toBe(true);
    for (const chunk of chunks) expect(chunk.recordDelimiter).toBe('\r\n');
    for (const chunk of chunks.slice(0, -1)) expect(text(chunk).endsWith('"\r\n')).toBe(true);
  });

  test('the last record needs no line feed; an empty file has no chunk', async () => {
    expect((await chunksOf(file('id\nA1'))).map(text).join('')).toBe('id\nA1');
    expect(await chunksOf(file(''))).toEqual([]);
  });

  test('a record longer than any valid one is cut after a bounded read, and says so', async () => {
    const chunks = await chunksOf(file(`id,value\nA1,"${'x'.repeat(5_000_000)}"\n`));
    const cut = chunks.find((chunk) => chunk.cut)!;
    expect(cut).toMatchObject({ firstLine: 2, header: false });
    expect(text(cut).startsWith('A1,"xxx')).toBe(true);
    expect(cut.bytes.length).toBeLessThan(4 * 1024 * 1024);
    // Nothing after it can be read reliably, so nothing more is read.
    expect(chunks.at(-1)).toBe(cut);
  });

  test.each([
    ['a missing file', (): string => join(dir, 'nope.csv'), /^cannot open the file: it does not exist$/],
    [
      'a folder',
      (): string => (mkdirSync(join(dir, 'folder.csv')), join(dir, 'folder.csv')),
      /^cannot open the file: it is a folder, not a file$/,
    ],
  ])('%s cannot be opened', async (_case, path, message) => {
    const failure = await openInput(path()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnreadableInputError);
    expect((failure as UnreadableInputError).message).toMatch(message);
  });

  test('a file that fails while being read is an error at the line where reading stopped', async () => {
    // /proc/self/mem opens as a regular file, and reading it at offset 0 fails with EIO, whoever runs the test.
    const failure = await chunksOf('/proc/self/mem').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnreadableInputError);
    expect(failure).toMatchObject({ path: '/proc/self/mem', line: 1, message: expect.stringMatching(/^reading stopped here: .*EIO/) });
  });
});
