import { CLINIC_TABLES, SMOKE_PROBE_TABLE, Table, directIdentifierColumns, isSeeded, tableNamed } from '../../contract/clinic';

describe('the clinic data contract', () => {
  test('table names are unique, and column names unique within each table', () => {
    expect(new Set(CLINIC_TABLES.map((t) => t.name)).size).toBe(CLINIC_TABLES.length);
    for (const table of CLINIC_TABLES)
      expect([table.name, new Set(table.columns.map((c) => c.name)).size]).toEqual([table.name, table.columns.length]);
  });

  test.each(CLINIC_TABLES.map((t) => [t.name, t] as const))(
    '%s: the first column is the key and every reference points at a key',
    (_name, table) => {
      expect(table.primaryKey).toBe(table.columns[0].name);
      for (const column of table.columns.filter((c) => c.references)) {
        const parent = CLINIC_TABLES.find((t) => t.name === column.references!.table)!;
        expect(parent.primaryKey).toBe(column.references!.column);
        expect(CLINIC_TABLES.indexOf(parent)).toBeLessThan(CLINIC_TABLES.indexOf(table));
      }
    },
  );

  test.each(CLINIC_TABLES.flatMap((t) => t.columns.filter((c) => c.references).map((c) => [`${t.name}.${c.name}`, c] as const)))(
    '%s: a reference has the id format and type of the key it points at',
    (_name, column) => {
      const key = tableNamed(column.references!.table).columns[0];
      expect(column.csv).toEqual(key.csv);
      expect(column.type).toEqual(key.type);
    },
  );

  test.each(CLINIC_TABLES.filter(isSeeded).map((t) => [t.name, t] as const))('%s: keys are required ids', (_name, table) => {
    const key = table.columns[0];
    expect(key.nullable).toBe(false);
    expect(key.csv.kind).toBe('id');
  });

  test('the smoke probe is the one table the clinic does not export: last, about nobody, keyed by a random id', () => {
    expect(CLINIC_TABLES.filter((t) => !isSeeded(t)).map((t) => t.name)).toEqual([SMOKE_PROBE_TABLE]);
    const probe = tableNamed(SMOKE_PROBE_TABLE);
    expect(CLINIC_TABLES.at(-1)).toBe(probe);
    expect(probe.columns.map((c) => [c.name, c.type.kind, c.classification, c.nullable])).toEqual([
      ['probe_id', 'char', 'non-sensitive', false],
      ['written_at', 'datetime', 'non-sensitive', false],
      ['note', 'varchar', 'non-sensitive', false],
    ]);
    expect(probe.columns.some((c) => c.references)).toBe(false);
    const [id] = probe.columns;
    expect(id.csv.kind === 'pattern' && id.csv.pattern.test('0b9f4c3e-8a1d-4e2f-9c7b-5d6e7f8a9b0c')).toBe(true);
  });

  test('tableNamed finds a table, in the contract or in a given list', () => {
    expect(tableNamed('patient')).toBe(CLINIC_TABLES[2]);
    const copy: Table = { ...CLINIC_TABLES[0], name: 'plans' };
    expect(tableNamed('plans', [copy])).toBe(copy);
  });

  test.each([
    [
      'an unknown name',
      'patients',
      CLINIC_TABLES,
      'no table "patients" in the contract (tables: insurance, employee, patient, appointment, encounter, account, smoke_probe)',
    ],
    [
      'a name missing from the given list',
      'patient',
      [CLINIC_TABLES[0], CLINIC_TABLES[5]],
      'no table "patient" in the contract (tables: insurance, account)',
    ],
  ])('tableNamed of %s is an error listing the tables', (_case, name, tables, message) => {
    expect(() => tableNamed(name, tables)).toThrow(message);
  });

  test('the direct patient identifiers are names, e-mail, date of birth, address and zip', () => {
    expect(directIdentifierColumns()).toEqual([
      { table: 'patient', columns: ['first_name', 'last_name', 'email', 'dob', 'address', 'zip'] },
    ]);
  });

  test('directIdentifierColumns follows the classification of the tables it is given', () => {
    const employee = tableNamed('employee');
    const reclassified: Table = {
      ...employee,
      columns: employee.columns.map((c) => (c.name === 'email' ? { ...c, classification: 'direct-identifier' as const } : c)),
    };
    expect(directIdentifierColumns([tableNamed('insurance'), reclassified])).toEqual([{ table: 'employee', columns: ['email'] }]);
    expect(directIdentifierColumns([tableNamed('insurance')])).toEqual([]);
  });
});
