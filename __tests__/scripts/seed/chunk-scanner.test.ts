import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLINIC_TABLES, Table, isSeeded } from '../../../contract/clinic';
import { scanChunk } from '../../../scripts/seed/chunk-scanner';
import { CsvChunk, csvChunks, openInput } from '../../../scripts/seed/csv-chunks';
import { ValidatedChunk, convertField, validateChunk } from '../../../scripts/seed/csv-validation';
import { generateSeed } from '../../../scripts/seed/generator';

const SEED_DIR = join(__dirname, '..', '..', '..', 'seed');
const TABLES = CLINIC_TABLES.filter(isSeeded);

/** A result with its typed arrays as plain arrays and its bytes as text, so that Jest compares and prints them well. */
const plain = (result: ValidatedChunk) => ({
  ...result,
  bytes: Buffer.from(result.bytes).toString(),
  tsv: Buffer.from(result.tsv).toString(),
  lines: [...result.lines],
  keys: [...result.keys],
  references: result.references.map((codes) => [...codes]),
});

const chunkOf = (text: string, options: Partial<CsvChunk> = {}): CsvChunk => ({
  bytes: new Uint8Array(Buffer.from(text)),
  firstLine: 2,
  header: false,
  recordDelimiter: '\n',
  cut: false,
  ...options,
});

/** Both ways of validating a chunk: the hot path (falling back on its own) and the general validation alone. */
function bothWays(table: Table, chunk: CsvChunk) {
  const task = (bytes: Uint8Array<ArrayBuffer>) => ({ table, path: 'x.csv', chunk: { ...chunk, bytes }, maxErrors: 50 });
  return {
    hot: plain(validateChunk(task(new Uint8Array(chunk.bytes)))),
    general: plain(validateChunk(task(new Uint8Array(chunk.bytes)), false)),
  };
}

/** A CSV field as the clinic's exporter writes it: quoted when it holds a space, comma, quote or line break. */
const csvField = (value: string): string => (/[ ,"\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** A deterministic generator of numbers in [0, 1), so that a failure can be run again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('the hot path gives exactly what the general validation gives', () => {
  const work = mkdtempSync(join(tmpdir(), 'chunk-scanner-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('on every chunk of a generated data set and of the committed seed, and it handles each of them itself', async () => {
    await generateSeed({ outDir: work, scale: 4 });
    for (const dir of [work, SEED_DIR]) {
      for (const table of TABLES) {
        const input = await openInput(join(dir, `${table.name}.csv`));
        try {
          for await (const chunk of csvChunks(input)) {
            const { hot, general } = bothWays(table, chunk);
            expect(hot).toEqual(general);
            expect(general.errors).toEqual([]);
            expect(
              scanChunk(
                table,
                chunk,
                table.columns.map((c) => (raw) => convertOk(c, raw)),
              ),
            ).toBeDefined();
          }
        } finally {
          await input.handle.close();
        }
      }
    }
  });

  /** Values around every rule's edges, in every column. */
  const EDGES = [
    '',
    ' ',
    '  ',
    '\t',
    '\u00a0',
    '\ufeff',
    'x',
    'x ',
    ' x',
    'a\tb',
    'a\\b',
    '\\',
    '\\N',
    'é',
    '😀',
    '\u0085',
    '\u009f',
    '\u00a0x',
    'a\0b',
    'a\u0007',
    '\u007f',
    'a\rb',
    'a\nb',
    'Bob "Bobby"',
    '"',
    '""',
    'x'.repeat(50),
    'x'.repeat(51),
    'é'.repeat(50),
    'é'.repeat(51),
    '😀'.repeat(50),
    '😀'.repeat(51),
    'PER1',
    'PER0001',
    'PER',
    'PER1x',
    'per1',
    'PER999999999999',
    'PER1234567890123',
    'E1',
    'E0001',
    'INS3',
    'INS0',
    'ACC1',
    'APPO7',
    'ENC2',
    '1/2/1990',
    '01/02/1990',
    '2/29/2024',
    '2/29/2023',
    '2/30/1990',
    '13/1/1990',
    '0/1/1990',
    '1/0/1990',
    '1/1/1899',
    '12/31/2100',
    '1/1/2101',
    '1/2/90',
    '1990-01-02',
    '1/2/1990 ',
    '111/2/1990',
    '9:05 AM',
    '09:05 AM',
    '12:00 AM',
    '12:59 PM',
    '13:15 PM',
    '0:15 AM',
    '1:60 PM',
    '1:5 PM',
    '1:05 am',
    '1:05 PMX',
    '1:05  PM',
    '$0',
    '$00',
    '$0.5',
    '$0.50',
    '$0.505',
    '$1,234.56',
    '$1,234,567.89',
    '$1,23',
    '$1234,567',
    '$12,3456',
    '$,123',
    '$123,',
    '-$12.30',
    '$-12.30',
    '-$0',
    '$99999999.99',
    '$100000000',
    '$00000000123.45',
    '$0,001',
    '$1.',
    '$.5',
    '12.30',
    '$ 12',
    'ann@example.com',
    'mary ann@example.com',
    "o'hara@ex-ample.co.uk",
    '@example.com',
    ' ann@example.com',
    'ann@example',
    'ann@@example.com',
    'ann@example..com',
    'ann@.example.com',
    'ann@example.com.',
    'ann@exa_mple.com',
    'ann\t@example.com',
    'ünn@example.com',
    'aé@example.com',
    '\u00a0a@example.com',
    '02139',
    '1234',
    '123456',
    '0213x',
    '555-123-4567',
    '5551234567',
    'no show',
    'completed',
    'Completed',
    'no  show',
    'physician',
    'nurse ',
  ];

  test.each(TABLES.map((table) => [table.name, table] as const))('field by field in %s: edge values and random ones', (_name, table) => {
    const base = readFileSync(join(SEED_DIR, `${table.name}.csv`), 'utf8').split('\n')[1];
    const fields = [...base.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].map((m) => m[1]).slice(0, table.columns.length);
    const next = random(table.columns.length * 7919);
    const alphabet = ['0', '1', '9', '/', ':', ' ', '$', ',', '.', '-', '@', 'a', 'Z', 'P', 'M', 'A', '"', '\t', '\\', 'é', '\u00a0'];
    for (const [index, column] of table.columns.entries()) {
      const randomValues = Array.from({ length: 150 }, () =>
        Array.from({ length: Math.floor(next() * 14) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''),
      );
      const prefix = column.csv.kind === 'id' ? column.csv.prefix : '';
      const idLike = Array.from({ length: 20 }, () => `${prefix}${String(Math.floor(next() * 1e6)).padStart(Math.floor(next() * 9), '0')}`);
      for (const value of [...EDGES, ...randomValues, ...idLike]) {
        const record = fields.map((field, i) => (i === index ? csvField(value) : field)).join(',');
        const { hot, general } = bothWays(table, chunkOf(`${record}\n${base}\n`));
        expect({ column: column.name, value, ...hot }).toEqual({ column: column.name, value, ...general });
      }
    }
  });

  test.each([
    ['a missing field', (row: string) => row.replace(/,[^,]*$/, '')],
    ['an extra field', (row: string) => `${row},extra`],
    ['an empty line', (row: string) => `\n${row}`],
    ['a bare quote', (row: string) => row.replace(',', ',x"y')],
    ['text after a closing quote', (row: string) => `${row.replace(/,([^,]*)$/, ',"$1"x')}`],
    ['a quote never closed', (row: string) => row.replace(/,([^,]*)$/, ',"$1')],
    ['no line feed at the end', (row: string) => row],
    ['a carriage return before the line feed', (row: string) => `${row}\r`],
    ['a quoted field spanning lines', (row: string) => row.replace(/,([^,]*)$/, ',"$1\nmore"')],
  ])('whole records: %s', (_case, edit) => {
    for (const table of TABLES) {
      const rows = readFileSync(join(SEED_DIR, `${table.name}.csv`), 'utf8')
        .split('\n')
        .slice(1, 4);
      for (const [line, recordDelimiter] of [
        [`${rows[0]}\n${edit(rows[1])}\n${rows[2]}`, '\n'],
        [`${rows[0]}\r\n${edit(rows[1])}\r\n${rows[2]}\r\n`, '\r\n'],
      ] as const) {
        const { hot, general } = bothWays(table, chunkOf(line, { recordDelimiter }));
        expect(hot).toEqual(general);
      }
    }
  });

  test('the header must be exactly the contract columns for the hot path; anything else is for the general validation', () => {
    const table = TABLES.find((t) => t.name === 'insurance')!;
    for (const header of ['insid,plan', '"insid","plan"', 'plan,insid', 'insid,plan,x', 'insid']) {
      const chunk = chunkOf(`${header}\nINS1,"Blue Shield"\n`, { firstLine: 1, header: true });
      const { hot, general } = bothWays(table, chunk);
      expect(hot).toEqual(general);
    }
  });
});

function convertOk(column: Table['columns'][number], raw: string): string | null | undefined {
  const converted = convertField(column, raw);
  return converted.ok ? converted.value : undefined;
}
