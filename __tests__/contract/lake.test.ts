import { CLINIC_TABLES, SMOKE_PROBE_TABLE, SqlType, tableNamed } from '../../contract/clinic';
import { READABLE_COLUMNS, SOURCE_SCHEMA, dmsTableMappings, glueType, grantableColumns, rawTablePrefix } from '../../contract/lake';

interface SelectionRule {
  'rule-type': string;
  'rule-id': string;
  'rule-name': string;
  'object-locator': { 'schema-name': string; 'table-name': string };
  'rule-action': string;
}
const rulesOf = (mappings: object): SelectionRule[] => (mappings as { rules: SelectionRule[] }).rules;

describe('DMS table mappings', () => {
  const rules = rulesOf(dmsTableMappings());

  test('one include rule per contract table, in the source schema, in contract order', () => {
    expect(rules.map((r) => [r['rule-type'], r['rule-action'], r['object-locator']])).toEqual(
      CLINIC_TABLES.map((t) => ['selection', 'include', { 'schema-name': SOURCE_SCHEMA, 'table-name': t.name }]),
    );
  });

  test('rule ids and names are unique', () => {
    expect(new Set(rules.map((r) => r['rule-id'])).size).toBe(rules.length);
    expect(new Set(rules.map((r) => r['rule-name'])).size).toBe(rules.length);
  });

  test('no wildcard: a table added to the database by hand is not selected', () => {
    expect(JSON.stringify(rules)).not.toContain('%');
  });

  test('the tables and the schema are options', () => {
    const mappings = rulesOf(dmsTableMappings([tableNamed('account')], 'clinic_copy'));
    expect(mappings).toEqual([
      {
        'rule-type': 'selection',
        'rule-id': '1',
        'rule-name': 'include-account',
        'object-locator': { 'schema-name': 'clinic_copy', 'table-name': 'account' },
        'rule-action': 'include',
      },
    ]);
  });
});

describe('Glue types', () => {
  test.each([
    [{ kind: 'varchar', length: 50 }, 'string'],
    [{ kind: 'char', length: 12 }, 'string'],
    [{ kind: 'enum', values: ['no show', 'completed'] }, 'string'],
    [{ kind: 'time' }, 'string'],
    [{ kind: 'date' }, 'date'],
    [{ kind: 'datetime' }, 'timestamp'],
    [{ kind: 'decimal', precision: 10, scale: 2 }, 'decimal(10,2)'],
    [{ kind: 'decimal', precision: 38, scale: 0 }, 'decimal(38,0)'],
  ] as [SqlType, string][])('%j is %s', (type, glue) => {
    expect(glueType(type)).toBe(glue);
  });

  test('every column of the contract has a Glue type', () => {
    for (const column of CLINIC_TABLES.flatMap((t) => t.columns))
      expect(glueType(column.type)).toMatch(/^(string|date|timestamp|decimal\(\d+,\d+\))$/);
  });
});

describe('lake layout and grants', () => {
  test.each(CLINIC_TABLES.map((t) => [t.name, t] as const))('the raw objects of %s are under <prefix>/<schema>/%s/', (name, table) => {
    expect(rawTablePrefix('raw', table)).toBe(`raw/${SOURCE_SCHEMA}/${name}/`);
    expect(rawTablePrefix('landing/v2', table)).toBe(`landing/v2/${SOURCE_SCHEMA}/${name}/`);
  });

  test.each(CLINIC_TABLES.map((t) => [t.name, t] as const))(
    '%s: the granted columns are all but the direct identifiers, in order',
    (_name, table) => {
      const granted = grantableColumns(table);
      expect(granted.some((c) => c.classification === 'direct-identifier')).toBe(false);
      expect(granted).toEqual(table.columns.filter((c) => c.classification !== 'direct-identifier'));
    },
  );

  test('the smoke probe is in the DMS mappings, readable by the smoke runner and Redshift (freshness), never by analysts', () => {
    const probe = tableNamed(SMOKE_PROBE_TABLE);
    expect(rulesOf(dmsTableMappings()).map((r) => r['object-locator']['table-name'])).toContain(SMOKE_PROBE_TABLE);
    expect(READABLE_COLUMNS['smoke-runner'](probe)).toEqual(probe.columns);
    expect(READABLE_COLUMNS.analyst(probe)).toEqual([]);
    expect(READABLE_COLUMNS.redshift(probe)).toEqual(probe.columns);
    // Every column of it is non-sensitive: it is withheld as plumbing, not as PHI.
    expect(grantableColumns(probe)).toEqual(probe.columns);
  });

  test('a patient reader sees the record id and the insurance plan, never names, contact details, birth date or zip', () => {
    expect(grantableColumns(tableNamed('patient')).map((c) => c.name)).toEqual(['person_id', 'insurance']);
  });
});
