import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CLINIC_TABLES, Column, SMOKE_PROBE_TABLE, Table, isSeeded, tableNamed } from '../../../contract/clinic';
import { validateCsvFile } from '../../../scripts/seed/csv-validation';
import { GenerateOptions, MAX_SCALE, generateSeed } from '../../../scripts/seed/generator';
import { SEED_DIR } from '../../helpers/mariadb';

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
/** A folder that does not exist yet, inside a temp folder removed after the tests. */
const freshDir = (): string => {
  const parent = mkdtempSync(join(tmpdir(), 'generated-'));
  tempDirs.push(parent);
  return join(parent, 'seed');
};
const generate = async (options: Omit<GenerateOptions, 'outDir'> = {}): Promise<string> => {
  const dir = freshDir();
  await generateSeed({ outDir: dir, ...options });
  return dir;
};
/** The tables the clinic exports: the generator writes one file each (the smoke probe has none). */
const SEEDED = CLINIC_TABLES.filter(isSeeded);
const read = (dir: string, table: string): string => readFileSync(join(dir, `${table}.csv`), 'utf8');
const records = (text: string): string[][] => parse(text);

/** A copy of the contract with `patient`'s columns replaced by `edit(columns)`. */
const withPatientColumns = (edit: (columns: readonly Column[]) => Column[]): Table[] =>
  CLINIC_TABLES.map((table) => (table.name === 'patient' ? { ...table, columns: edit(table.columns) } : table));

const column = (name: string, definition: Pick<Column, 'type' | 'csv'> & Partial<Column>): Column => ({
  name,
  nullable: false,
  classification: 'non-sensitive',
  description: name,
  ...definition,
});

async function expectValid(dir: string, tables: readonly Table[], counts: Record<string, number>): Promise<void> {
  for (const table of tables.filter(isSeeded)) {
    const result = await validateCsvFile(join(dir, `${table.name}.csv`), table, { maxErrors: 10, onRow: () => undefined });
    expect({ table: table.name, errors: result.errors, rowsRead: result.rowsRead }).toEqual({
      table: table.name,
      errors: [],
      rowsRead: counts[table.name],
    });
  }
}

describe('seed generator', () => {
  let defaultRun: string;
  let scale3Run: string;
  beforeAll(async () => {
    defaultRun = await generate();
    scale3Run = await generate({ scale: 3 });
  });

  test('the same seed and scale give the same bytes', async () => {
    const again = await generate();
    for (const table of SEEDED) {
      expect(read(again, table.name).length).toBeGreaterThan(0);
      expect(read(again, table.name)).toBe(read(defaultRun, table.name));
    }
  });

  test('the committed seed is exactly what the generator makes at scale 1 with the default seed', () => {
    for (const table of SEEDED) expect(read(defaultRun, table.name)).toBe(read(SEED_DIR, table.name));
  });

  test('a different seed gives different data with the same shape', async () => {
    const dir = await generate({ seed: 7 });
    expect(read(dir, 'patient')).not.toBe(read(defaultRun, 'patient'));
    expect(records(read(dir, 'patient'))).toHaveLength(records(read(defaultRun, 'patient')).length);
  });

  test.each([
    ['insurance', 5, 5],
    ['employee', 25, 75],
    ['patient', 500, 1500],
    ['appointment', 100, 300],
    ['encounter', 250, 750],
    ['account', 250, 750],
  ])('%s has %i rows at scale 1 and %i at scale 3', (table, one, three) => {
    expect(records(read(defaultRun, table))).toHaveLength(one + 1);
    expect(records(read(scale3Run, table))).toHaveLength(three + 1);
  });

  test.each([
    ['1', () => defaultRun, { insurance: 5, employee: 25, patient: 500, appointment: 100, encounter: 250, account: 250 }],
    ['3', () => scale3Run, { insurance: 5, employee: 75, patient: 1500, appointment: 300, encounter: 750, account: 750 }],
  ])('every file at scale %s passes the loader validation', async (_scale, dir, counts) => {
    await expectValid(dir(), CLINIC_TABLES, counts);
  });

  test('the smoke probe, which the clinic does not export, gets no file', () => {
    expect(existsSync(join(defaultRun, `${SMOKE_PROBE_TABLE}.csv`))).toBe(false);
    expect(existsSync(join(SEED_DIR, `${SMOKE_PROBE_TABLE}.csv`))).toBe(false);
  });

  test('foreign keys point at generated rows: physicians, patients and insurance plans', () => {
    const valuesOf = (table: string, name: string): string[] => {
      const [header, ...rows] = records(read(scale3Run, table));
      return rows.map((row) => row[header.indexOf(name)]);
    };
    const employeeIds = valuesOf('employee', 'employee_id');
    const titles = valuesOf('employee', 'title');
    const physicians = new Set(employeeIds.filter((_id, i) => titles[i] === 'physician'));
    expect(physicians.size).toBe(18);
    expect(valuesOf('appointment', 'physician').every((id) => physicians.has(id))).toBe(true);
    const schedulers = new Set(valuesOf('employee', 'first_name').filter((_name, i) => ['admin', 'assistant'].includes(titles[i])));
    expect(valuesOf('appointment', 'scheduled_by').every((name) => schedulers.has(name))).toBe(true);
    const patients = new Set(valuesOf('patient', 'person_id'));
    expect(valuesOf('encounter', 'patient').every((id) => patients.has(id))).toBe(true);
    const plans = new Set(valuesOf('insurance', 'insid'));
    expect([...valuesOf('patient', 'insurance'), ...valuesOf('account', 'member_id')].every((id) => plans.has(id))).toBe(true);
  });

  test('the seed carries the details of real exports', () => {
    const patients = read(SEED_DIR, 'patient');
    const employees = read(SEED_DIR, 'employee');
    expect(patients).toMatch(/^PER12,/m);
    expect(employees).toMatch(/^E0001,/m);
    expect(read(SEED_DIR, 'account')).toMatch(/^ACC0007,/m);
    expect(patients).toMatch(/,[1-9]\/[1-9]\/[0-9]{4},/);
    expect(patients).toMatch(/,0[0-9]{4},INS[0-9]+$/m);
    expect(patients).toMatch(/,"(Di Bartolomeo|Van der Berg|De la Cruz|St\. John|Mac Donald)",/);
    expect(patients).toMatch(/,[^,"]*'[^,"]*,/);
    expect(patients).toMatch(/,"[^",@]* [^",@]*@example\.[a-z.]+",/);
    expect(patients).toMatch(/,[^,"@]*'[^,"@]*@example\.[a-z.]+,/);
    const emails = [
      ...records(patients)
        .slice(1)
        .map((row) => row[3]),
      ...records(employees)
        .slice(1)
        .map((row) => row[3]),
    ];
    expect(emails.every((email) => /@(mail\.)?example\.(com|org|net)$/.test(email))).toBe(true);
    expect(employees.split('\n').filter((line) => line.endsWith(',physician'))).toHaveLength(6);
    expect(read(SEED_DIR, 'appointment')).toMatch(/,"[1-9]:[0-5][0-9] [AP]M",/);
    expect(read(SEED_DIR, 'account')).toMatch(/,\$[0-9]+\.[0-9]{2}$/m);
  });

  describe('a column added to a copy of the contract', () => {
    const middleName = column('middle_name', { type: { kind: 'varchar', length: 50 }, csv: { kind: 'text' }, nullable: true });
    const registeredOn = column('registered_on', { type: { kind: 'date' }, csv: { kind: 'date-mdy' } });
    const tables = withPatientColumns((columns) => [...columns.slice(0, 2), middleName, ...columns.slice(2), registeredOn]);
    let dir: string;
    beforeAll(async () => {
      dir = await generate({ tables });
    });

    test('is generated from its definition under the contract header, and the file validates against the copy', async () => {
      const [header, ...rows] = records(read(dir, 'patient'));
      expect(header).toEqual(tableNamed('patient', tables).columns.map((c) => c.name));
      await expectValid(dir, tables, { insurance: 5, employee: 25, patient: 500, appointment: 100, encounter: 250, account: 250 });
      const middleNames = rows.map((row) => row[2]);
      expect(middleNames.filter((name) => name === '').length).toBeGreaterThan(0);
      expect(middleNames.filter((name) => name !== '').length).toBeGreaterThan(250);
    });

    test('leaves every other table byte-identical', () => {
      for (const table of SEEDED.filter((t) => t.name !== 'patient')) expect(read(dir, table.name)).toBe(read(defaultRun, table.name));
    });

    test("leaves the patient table's other columns unchanged", () => {
      const withoutAdded = records(read(dir, 'patient')).map((row) => [...row.slice(0, 2), ...row.slice(3, -1)]);
      expect(withoutAdded).toEqual(records(read(defaultRun, 'patient')));
    });
  });

  test('every CSV format but pattern has a fallback whose values validate, within the length and precision of the column', async () => {
    const added = [
      column('nickname', { type: { kind: 'varchar', length: 3 }, csv: { kind: 'text' } }),
      column('backup_email', { type: { kind: 'varchar', length: 20 }, csv: { kind: 'email' }, nullable: true }),
      column('usual_time', { type: { kind: 'time' }, csv: { kind: 'time-12h' } }),
      column('copay', { type: { kind: 'decimal', precision: 4, scale: 2 }, csv: { kind: 'money' } }),
      column('risk', { type: { kind: 'enum', values: ['low', 'high'] }, csv: { kind: 'enum' } }),
      column('referred_by', {
        type: { kind: 'varchar', length: 16 },
        csv: { kind: 'id', prefix: 'E' },
        references: { table: 'employee', column: 'employee_id' },
      }),
      column('chart', { type: { kind: 'varchar', length: 6 }, csv: { kind: 'id', prefix: 'CH' } }),
    ];
    const tables = withPatientColumns((columns) => [...columns, ...added]);
    const dir = await generate({ tables });
    await expectValid(dir, tables, { insurance: 5, employee: 25, patient: 500, appointment: 100, encounter: 250, account: 250 });
    const rows = records(read(dir, 'patient')).slice(1);
    const employees = new Set(records(read(dir, 'employee')).map((row) => row[0]));
    expect(rows.every((row) => employees.has(row[13]))).toBe(true);
    expect(rows.some((row) => row[9].length === 20)).toBe(true);
  });

  test('rows follow the contract column order, whatever order the generators need each other in', async () => {
    const reversed = withPatientColumns((columns) => [...columns].reverse());
    const dir = await generate({ tables: reversed });
    expect(records(read(dir, 'patient'))).toEqual(records(read(defaultRun, 'patient')).map((row) => [...row].reverse()));
  });

  test('a pattern column without a generator fails naming the column, before any file is written', async () => {
    const ssn = column('ssn', {
      type: { kind: 'char', length: 11 },
      csv: { kind: 'pattern', pattern: /^\d{3}-\d{2}-\d{4}$/, description: 'an SSN' },
    });
    const dir = freshDir();
    await expect(generateSeed({ outDir: dir, tables: withPatientColumns((columns) => [...columns, ssn]) })).rejects.toThrow(
      /no generator for patient\.ssn, a pattern column \(an SSN\)/,
    );
    expect(existsSync(dir)).toBe(false);
  });

  test('fields are quoted as the clinic exporter quotes them and read back unchanged by csv-parse', async () => {
    const values = ['plain', 'two words', 'a,b', 'say "hi"', "O'Heyne", 'line\nbreak', 'carriage\rreturn'];
    const encoded = ['plain', '"two words"', '"a,b"', '"say ""hi"""', "O'Heyne", '"line\nbreak"', '"carriage\rreturn"'];
    const remark = column('remark', { type: { kind: 'enum', values }, csv: { kind: 'enum' }, nullable: true });
    const dir = await generate({ tables: withPatientColumns((columns) => [...columns, remark]) });
    const text = read(dir, 'patient');
    for (const field of encoded) expect(text).toContain(`,${field}\n`);
    expect(text).toContain(',\n');
    expect(text).not.toContain(',""\n');
    expect(
      text.startsWith(
        `${tableNamed('patient')
          .columns.map((c) => c.name)
          .join(',')},remark\n`,
      ),
    ).toBe(true);
    const remarks = records(text)
      .slice(1)
      .map((row) => row[8]);
    expect(new Set(remarks)).toEqual(new Set([...values, '']));
  });

  test.each([0, -1, 1.5, MAX_SCALE + 1, Number.NaN])('scale %p is refused', async (scale) => {
    const dir = freshDir();
    await expect(generateSeed({ outDir: dir, scale })).rejects.toThrow(`scale must be a whole number from 1 to ${MAX_SCALE}, got ${scale}`);
    expect(existsSync(dir)).toBe(false);
  });

  test.each([-1, 0.5, Number.NaN, 2 ** 53])('seed %p is refused', async (seed) => {
    const dir = freshDir();
    await expect(generateSeed({ outDir: dir, seed })).rejects.toThrow(`seed must be a non-negative integer, got ${seed}`);
    expect(existsSync(dir)).toBe(false);
  });

  test('seed 0 is a seed like any other', async () => {
    const dir = await generate({ seed: 0 });
    expect(read(dir, 'patient')).not.toBe(read(defaultRun, 'patient'));
  });
});
