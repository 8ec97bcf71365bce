import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Column, tableNamed } from '../../../contract/clinic';
import { MAX_RECORD_BYTES } from '../../../scripts/seed/csv-chunks';
import {
  ChunkText,
  ValidRow,
  convertField,
  formatError,
  quoteProblem,
  tsvRows,
  validateChunk,
  validateCsvFile,
} from '../../../scripts/seed/csv-validation';

const column = (table: string, name: string): Column => tableNamed(table).columns.find((c) => c.name === name)!;

describe('converting one field', () => {
  test.each([
    ['a date', 'patient', 'dob', '1/2/1990', '1990-01-02'],
    ['a zero-padded date', 'patient', 'dob', '03/09/2001', '2001-03-09'],
    ['a leap day', 'account', 'last_payment', '2/29/2024', '2024-02-29'],
    ['a morning time', 'appointment', 'app_time', '9:05 AM', '09:05:00'],
    ['midnight', 'appointment', 'app_time', '12:00 AM', '00:00:00'],
    ['noon', 'appointment', 'app_time', '12:30 PM', '12:30:00'],
    ['an afternoon time', 'encounter', 'start_time', '1:05 PM', '13:05:00'],
    ['money', 'account', 'account_balance', '$2419.20', '2419.20'],
    ['money with one decimal', 'account', 'account_balance', '$7.5', '7.50'],
    ['money without cents', 'account', 'account_balance', '$0', '0.00'],
    ['money with thousands commas', 'account', 'account_balance', '$1,234,567.89', '1234567.89'],
    ['negative money', 'account', 'account_balance', '-$12.30', '-12.30'],
    ['money with leading zeros', 'account', 'account_balance', '$00012.00', '12.00'],
    ['the largest amount DECIMAL(10,2) holds', 'account', 'account_balance', '$99999999.99', '99999999.99'],
    ['an id', 'patient', 'person_id', 'PER1', 'PER1'],
    ['a zero-padded id', 'employee', 'employee_id', 'E0001', 'E0001'],
    ['text with apostrophes and spaces kept', 'patient', 'last_name', " O'Brien ", " O'Brien "],
    ['a tab, the one control character text may hold', 'patient', 'address', '12 Main Street\tApt 4', '12 Main Street\tApt 4'],
    ['a non-breaking space (not a control character)', 'patient', 'last_name', 'De\u00a0la Cruz', 'De\u00a0la Cruz'],
    ['an e-mail with a space in the local part', 'patient', 'email', 'mary ann@example.com', 'mary ann@example.com'],
    ['a zip with a leading zero', 'patient', 'zip', '02139', '02139'],
    ['an enum value', 'encounter', 'status', 'no show', 'no show'],
    ['a date and time', 'smoke_probe', 'written_at', '2024-02-29 23:59:59', '2024-02-29 23:59:59'],
    ['50 characters', 'employee', 'first_name', 'x'.repeat(50), 'x'.repeat(50)],
    ['50 characters outside the BMP (100 UTF-16 units)', 'employee', 'first_name', '😀'.repeat(50), '😀'.repeat(50)],
  ])('%s: %s.%s %j is %j', (_case, table, name, raw, value) => {
    expect(convertField(column(table, name), raw)).toEqual({ ok: true, value });
  });

  test.each([
    ['an empty required field', 'patient', 'first_name', '', 'first_name is required'],
    ['a blank text', 'insurance', 'plan', '   ', 'plan is blank'],
    ['a line break', 'insurance', 'plan', 'Blue\nShield', 'plan contains a line break'],
    ['a carriage return', 'insurance', 'plan', 'Blue\rShield', 'plan contains a line break'],
    ['a NUL', 'insurance', 'plan', 'Blue\0Shield', 'plan contains the control character U+0000 at character 5'],
    ['a bell', 'patient', 'last_name', 'O\u0007Brien', 'last_name contains the control character U+0007 at character 2'],
    ['an escape', 'patient', 'address', '\u001b[31m12 Main Street', 'address contains the control character U+001B at character 1'],
    ['a DEL', 'employee', 'first_name', 'Ann\u007f', 'first_name contains the control character U+007F at character 4'],
    ['a C1 control', 'insurance', 'plan', 'Plan\u0085', 'plan contains the control character U+0085 at character 5'],
    ['a NUL in an e-mail address', 'patient', 'email', 'ann\0@example.com', 'email contains the control character U+0000 at character 4'],
    ['an ISO date', 'patient', 'dob', '1990-01-02', '"1990-01-02" is not a date M/D/YYYY'],
    ['February 30th', 'patient', 'dob', '2/30/1990', '"2/30/1990" is not a real calendar date'],
    ['a 13th month', 'patient', 'dob', '13/1/1990', '"13/1/1990" is not a real calendar date'],
    ['a leap day of a common year', 'patient', 'dob', '2/29/2023', '"2/29/2023" is not a real calendar date'],
    ['a date before 1900', 'patient', 'dob', '1/1/1899', '"1/1/1899" is outside the years 1900-2100'],
    [
      'a date and time on February 30th',
      'smoke_probe',
      'written_at',
      '2025-02-30 10:00:00',
      'written_at "2025-02-30 10:00:00" is not a real date and time',
    ],
    [
      'a date and time at hour 24',
      'smoke_probe',
      'written_at',
      '2025-02-03 24:00:00',
      'written_at "2025-02-03 24:00:00" is not a real date and time',
    ],
    ['a 24-hour time', 'appointment', 'app_time', '13:15', '"13:15" is not a time H:MM AM|PM'],
    ['hour 13 PM', 'appointment', 'app_time', '13:15 PM', '"13:15 PM" is not a valid time of day'],
    ['hour 0', 'appointment', 'app_time', '0:15 AM', '"0:15 AM" is not a valid time of day'],
    ['minute 60', 'appointment', 'app_time', '1:60 PM', '"1:60 PM" is not a valid time of day'],
    ['money without a dollar sign', 'account', 'account_balance', '12.30', '"12.30" is not an amount such as $2419.20'],
    ['money with three decimals', 'account', 'account_balance', '$12.345', '"$12.345" is not an amount such as $2419.20'],
    ['money with misplaced commas', 'account', 'account_balance', '$1,23', '"$1,23" is not an amount such as $2419.20'],
    ['money too large for DECIMAL(10,2)', 'account', 'account_balance', '$100000000', '"$100000000" is larger than DECIMAL(10,2) holds'],
    ['an id of another table', 'appointment', 'physician', 'PER1', '"PER1" is not an id E<number>'],
    ['an id without a number', 'patient', 'person_id', 'PER', '"PER" is not an id PER<number>'],
    ['an id in lower case', 'patient', 'person_id', 'per1', '"per1" is not an id PER<number>'],
    ['an e-mail without a domain', 'patient', 'email', 'mary@', '"mary@" is not an e-mail address'],
    ['a four-digit zip', 'patient', 'zip', '1234', '"1234" is not a 5-digit zip code'],
    ['an enum value in another case', 'encounter', 'status', 'Completed', '"Completed" is not one of "no show", "completed"'],
    ['51 characters', 'employee', 'first_name', 'x'.repeat(51), 'first_name is 51 characters, longer than the 50 allowed'],
    ['a long value, shown cut', 'patient', 'dob', '9'.repeat(60), `"${'9'.repeat(40)}…" is not a date M/D/YYYY`],
  ])('%s: %s.%s %j is refused: %s', (_case, table, name, raw, message) => {
    expect(convertField(column(table, name), raw)).toEqual({ ok: false, message });
  });

  test('an empty optional field is NULL', () => {
    const optional: Column = { ...column('insurance', 'plan'), nullable: true };
    expect(convertField(optional, '')).toEqual({ ok: true, value: null });
    expect(convertField(optional, '  ')).toEqual({ ok: false, message: 'plan is blank' });
  });
});

describe('where each field of a record starts', () => {
  test.each([
    [
      'plain fields',
      'a,b,c',
      [
        [3, 1],
        [3, 3],
        [3, 5],
      ],
    ],
    [
      'an empty field',
      'a,,c',
      [
        [3, 1],
        [3, 3],
        [3, 4],
      ],
    ],
    [
      'a quoted comma',
      '"x,y",z',
      [
        [3, 1],
        [3, 7],
      ],
    ],
    [
      'a doubled quote',
      '"a""b",c',
      [
        [3, 1],
        [3, 8],
      ],
    ],
    [
      'a quoted line break',
      '"Blue\nShield",INS1,x',
      [
        [3, 1],
        [4, 9],
        [4, 14],
      ],
    ],
  ])('%s', (_case, raw, starts) => {
    const text = new ChunkText(Buffer.from(raw), 3);
    expect(starts.map((_, index) => text.field(3, index))).toEqual(
      starts.map(([line, column]) => expect.objectContaining({ line, column })),
    );
  });

  test('a record is found by its line; a field past the last is the last; values come unquoted', () => {
    const text = new ChunkText(Buffer.from('insid,plan\nINS1,"Blue ""Gold"""\nINS2,Aetna\n'), 3);
    expect(text.field(4, 1)).toEqual({ line: 4, column: 6, value: 'Blue "Gold"' });
    expect(text.field(5, 1)).toEqual({ line: 5, column: 6, value: 'Aetna' });
    expect(text.field(5, 7)).toEqual({ line: 5, column: 6, value: 'Aetna' });
    expect(text.position(text.offsetOf(5) + 2)).toEqual({ line: 5, column: 3 });
  });

  test.each([
    ['a bare quote in an unquoted value', 'E1,Bob "Bobby",x', { offset: 7, kind: 'bare', fieldStart: 3 }],
    ['a quoted value never closed', 'E1,"Bob,x', { offset: 3, kind: 'unclosed', fieldStart: 3 }],
    ['a closing quote followed by more text', 'E1,"Bob" Smith,x', { offset: 3, kind: 'unclosed', fieldStart: 3 }],
    ['well-formed quotes up to the end of the record', 'E1,"Bob ""Bobby""",x\n"next', undefined],
  ])('the quote that breaks a record: %s', (_case, text, problem) => {
    expect(quoteProblem(text, 0)).toEqual(problem);
  });
});

describe('validating a CSV file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csv-validation-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const csv = (content: string | Buffer): string => {
    files += 1;
    const path = join(dir, `file-${files}.csv`);
    writeFileSync(path, content);
    return path;
  };
  const validate = async (path: string, table: string, maxErrors = 100) => {
    const rows: ValidRow[] = [];
    const result = await validateCsvFile(path, tableNamed(table), { maxErrors, onRow: (row) => void rows.push(row) });
    return { ...result, rows, messages: result.errors.map(formatError) };
  };

  test('valid rows reach onRow converted, with the line each starts on', async () => {
    const path = csv(
      'appId,physician,app_date,app_time,scheduled_by\nAPPO1,E0003,1/2/2024,9:05 AM,Ann\nAPPO2,E0004,12/31/2024,"1:30 PM","Jo, Jr."\n',
    );
    const result = await validate(path, 'appointment');
    expect(result).toMatchObject({ rowsRead: 2, rowsRejected: 0, errors: [], truncated: false });
    expect(result.rows).toEqual([
      { line: 2, values: ['APPO1', 'E0003', '2024-01-02', '09:05:00', 'Ann'] },
      { line: 3, values: ['APPO2', 'E0004', '2024-12-31', '13:30:00', 'Jo, Jr.'] },
    ]);
  });

  test('a slow onRow is waited for, and rows keep their order', async () => {
    const path = csv(`insid,plan\n${Array.from({ length: 20 }, (_, i) => `INS${i + 1},Plan ${i + 1}`).join('\n')}\n`);
    const seen: number[] = [];
    const result = await validateCsvFile(path, tableNamed('insurance'), {
      maxErrors: 10,
      onRow: async (row) => {
        await new Promise((resolve) => setTimeout(resolve, row.line % 3));
        seen.push(row.line);
      },
    });
    expect(result.rowsRead).toBe(20);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  });

  test('a rejected row never reaches onRow; every bad field of it is located path:line:column', async () => {
    const path = csv('appId,physician,app_date,app_time,scheduled_by\nAPPO1,PER1,2/30/2024,9:05 AM,Ann\nAPPO2,E0004,1/2/2024,9:05 AM,Jo\n');
    const result = await validate(path, 'appointment');
    expect(result).toMatchObject({ rowsRead: 2, rowsRejected: 1, truncated: false });
    expect(result.rows.map((r) => r.line)).toEqual([3]);
    expect(result.messages).toEqual([
      `${path}:2:7: "PER1" is not an id E<number>`,
      `${path}:2:12: "2/30/2024" is not a real calendar date`,
    ]);
  });

  test('a record with the wrong number of fields is rejected as a whole', async () => {
    const path = csv('insid,plan\nINS1,Blue Shield,extra\nINS2\n');
    const result = await validate(path, 'insurance');
    expect(result).toMatchObject({ rowsRead: 2, rowsRejected: 2 });
    expect(result.messages).toEqual([`${path}:2:18: expected 2 fields, found 3`, `${path}:3:1: expected 2 fields, found 1`]);
  });

  test('reading stops at maxErrors, and says so', async () => {
    const path = csv(`insid,plan\n${Array.from({ length: 50 }, (_, i) => `BAD${i},Plan`).join('\n')}\n`);
    const result = await validate(path, 'insurance', 5);
    expect(result.errors).toHaveLength(5);
    expect(result.truncated).toBe(true);
    expect(result.rowsRead).toBeLessThan(50);
    expect(result.messages[0]).toBe(`${path}:2:1: "BAD0" is not an id INS<number>`);
  });

  test('a wrong header stops reading before any row', async () => {
    const path = csv('insid,plan_name\nINS1,Blue Shield\n');
    const result = await validate(path, 'insurance');
    expect(result.rowsRead).toBe(0);
    expect(result.rows).toEqual([]);
    expect(result.messages).toEqual([
      `${path}:1:7: header is missing column(s) plan; expected insid,plan`,
      `${path}:1:7: unexpected column "plan_name" in the header; expected insid,plan`,
    ]);
  });

  test.each([
    ['an empty file', '', ':1:1: file is empty; expected the header insid,plan'],
    ['a header only', 'insid,plan\n', ':2:1: the file has a header but no data rows'],
    ['a byte-order mark only', '\ufeff', ':1:1: no header line'],
    [
      'a header in another order',
      'plan,insid\nBlue,INS1\n',
      ':1:1: header columns are out of order: found plan,insid, expected insid,plan',
    ],
  ])('%s is reported at its place', async (_case, content, message) => {
    const path = csv(content);
    expect((await validate(path, 'insurance')).messages).toEqual([`${path}${message}`]);
  });

  test('a byte-order mark and CRLF line endings are not data', async () => {
    const path = csv('\ufeffinsid,plan\r\nINS1,Blue Shield\r\nINS2,\r\n');
    const result = await validate(path, 'insurance');
    expect(result.rows).toEqual([{ line: 2, values: ['INS1', 'Blue Shield'] }]);
    expect(result.messages).toEqual([`${path}:3:6: plan is required`]);
  });

  test('invalid UTF-8 is located at its byte, even across read chunks', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `INS${i + 1},Plan ${i + 1} ✓`).join('\n');
    const path = csv(Buffer.concat([Buffer.from(`insid,plan\n${rows}\nINS0,Caf`), Buffer.from([0xe9]), Buffer.from('\n')]));
    const result = await validate(path, 'insurance');
    expect(result.messages).toEqual([`${path}:20002:9: invalid UTF-8 byte 0xe9 (export the file as UTF-8)`]);
  });

  test('an unterminated quote is located at its opening quote', async () => {
    const path = csv('insid,plan\nINS1,Blue\nINS2,"Medicaid\nINS3,Aetna\n');
    expect((await validate(path, 'insurance')).messages).toEqual([
      `${path}:3:6: quoted field is not closed (a quote inside a value must be doubled)`,
    ]);
  });
});

describe('validating one chunk', () => {
  const chunkOf = (text: string, where: { firstLine: number; header: boolean } = { firstLine: 1, header: true }) => ({
    bytes: new Uint8Array(Buffer.from(text)),
    ...where,
    recordDelimiter: '\n' as const,
    cut: false,
  });

  test('valid rows become LOAD DATA text with their lines, keys and references; NULL, tab and backslash are escaped', () => {
    const patient = tableNamed('patient');
    const table = { ...patient, columns: patient.columns.map((c) => (c.name === 'address' ? { ...c, nullable: true } : c)) };
    const result = validateChunk({
      table,
      path: 'patient.csv',
      chunk: chunkOf(
        'PER7,Ann,Lee,ann@example.com,1/2/1990,,02139,INS3\nPER0008,Bo,"Back\\slash\tTab",bo@example.com,3/4/1980,"1 Main St",12345,INS1\n',
        { firstLine: 10, header: false },
      ),
      maxErrors: 10,
    });
    expect(result).toMatchObject({ firstLine: 10, rows: 2, rejected: 0, errors: [], stopped: false });
    expect([...result.lines]).toEqual([10, 11]);
    expect(Buffer.from(result.tsv).toString()).toBe(
      'PER7\tAnn\tLee\tann@example.com\t1990-01-02\t\\N\t02139\tINS3\n' +
        'PER0008\tBo\tBack\\\\slash\\tTab\tbo@example.com\t1980-03-04\t1 Main St\t12345\tINS1\n',
    );
    expect(tsvRows(result.tsv)).toEqual([
      ['PER7', 'Ann', 'Lee', 'ann@example.com', '1990-01-02', null, '02139', 'INS3'],
      ['PER0008', 'Bo', 'Back\\slash\tTab', 'bo@example.com', '1980-03-04', '1 Main St', '12345', 'INS1'],
    ]);
    // Ids become exact numbers, the digits' value times 16 plus their count: PER7 and PER0007 stay apart.
    expect([...result.keys]).toEqual([7 * 16 + 1, 8 * 16 + 4]);
    expect(result.references.map((codes) => [...codes])).toEqual([[3 * 16 + 1, 1 * 16 + 1]]);
  });

  test('a syntax error keeps the rows before it, names the quote and its fix, and stops the file', () => {
    const result = validateChunk({
      table: tableNamed('insurance'),
      path: 'insurance.csv',
      chunk: chunkOf('insid,plan\nINS1,Blue\nINS2,Bob "Bobby"\nINS3,Aetna\n'),
      maxErrors: 10,
    });
    expect(result).toMatchObject({ rows: 1, stopped: true });
    expect([...result.lines]).toEqual([2]);
    expect(result.errors.map(formatError)).toEqual([
      'insurance.csv:3:10: a quote inside an unquoted value: quote the whole value and double each quote in it, as in "Bob ""Bobby"""',
    ]);
  });
});

describe('the record-size bound', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csv-bound-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const header = 'employee_id,first_name,last_name,email,phone_number,title\n';
  const row = (n: number): string => `E${n},Ann,Lee,ann@example.com,555-123-4567,nurse\n`;
  const validate = async (name: string, content: string): Promise<{ path: string; messages: string[]; seconds: number }> => {
    const path = join(dir, name);
    writeFileSync(path, content);
    const started = Date.now();
    const result = await validateCsvFile(path, tableNamed('employee'), { maxErrors: 10, onRow: () => undefined });
    return { path, messages: result.errors.map(formatError), seconds: (Date.now() - started) / 1000 };
  };

  test('is a documented 1 MiB, a hundred times the longest valid record', () => {
    expect(MAX_RECORD_BYTES).toBe(1024 * 1024);
  });

  test('a 2 MB field is refused naming the file, line, column and field, instead of crashing', async () => {
    const { path, messages, seconds } = await validate(
      'long-field.csv',
      `${header}${row(1)}E2,Ann,${'x'.repeat(2_000_000)},ann@example.com,555-123-4567,nurse\n${row(3)}`,
    );
    expect(messages).toEqual([
      `${path}:3:8: last_name makes the record longer than 1 MiB, the longest the loader reads (no column holds more than a few hundred characters)`,
    ]);
    expect(seconds).toBeLessThan(5);
  });

  test('a quote never closed is reported at its opening quote once the bound is reached', async () => {
    const rows = Array.from({ length: 40_000 }, (_, i) => row(i + 3)).join('');
    const { path, messages } = await validate(
      'open-quote.csv',
      `${header}${row(1)}E2,"Ann,Lee,ann@example.com,555-123-4567,nurse\n${rows}`,
    );
    expect(messages).toEqual([
      `${path}:3:4: first_name: quoted field is not closed within 1 MiB, the longest record the loader reads (a quote inside a value must be doubled)`,
    ]);
  });
});

test('formatError reads like a compiler error', () => {
  expect(formatError({ path: 'seed/patient.csv', line: 4, column: 12, message: 'bad' })).toBe('seed/patient.csv:4:12: bad');
});
