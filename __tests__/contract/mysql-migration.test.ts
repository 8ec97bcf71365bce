import { CLINIC_TABLES, Column, Table, tableNamed } from '../../contract/clinic';
import { ActualColumn, columnType, createTableSql } from '../../contract/mysql';
import { DeployedSchema, describeChange, planMigration } from '../../contract/mysql-migration';

/** What `information_schema` says of a database created from `tables` by `createTableSql`. */
function deployedFrom(tables: readonly Table[]): DeployedSchema {
  return {
    tables: tables.map((t) => t.name),
    columns: tables.flatMap((table) =>
      table.columns.map(
        (column, index): ActualColumn => ({
          table: table.name,
          column: column.name,
          position: index + 1,
          columnType: columnType(column.type),
          nullable: column.nullable,
          primaryKey: column.name === table.primaryKey,
          references: column.references ? `${column.references.table}.${column.references.column}` : undefined,
        }),
      ),
    ),
  };
}

/** The contract with `edit` applied to one table. */
const withTable = (name: string, edit: (table: Table) => Table): Table[] => CLINIC_TABLES.map((t) => (t.name === name ? edit(t) : t));
const addColumns =
  (...columns: Column[]) =>
  (table: Table): Table => ({ ...table, columns: [...table.columns, ...columns] });
const editColumn =
  (name: string, edit: (column: Column) => Column) =>
  (table: Table): Table => ({
    ...table,
    columns: table.columns.map((c) => (c.name === name ? edit(c) : c)),
  });

const note: Column = {
  name: 'note',
  type: { kind: 'varchar', length: 200 },
  nullable: true,
  csv: { kind: 'text' },
  classification: 'phi',
  description: 'Free-text note',
};
const deployed = deployedFrom(CLINIC_TABLES);

describe('planMigration: the deployed schema against the contract', () => {
  test('the same schema needs nothing; a database without any contract table needs nothing either (the loader creates them)', () => {
    expect(planMigration(CLINIC_TABLES, deployed)).toEqual({ additive: [], refused: [], statements: [] });
    expect(planMigration(CLINIC_TABLES, { tables: [], columns: [] })).toEqual({ additive: [], refused: [], statements: [] });
  });

  test('a nullable column at the end of a table is one ALTER TABLE ... ADD COLUMN with the contract definition', () => {
    const plan = planMigration(withTable('patient', addColumns(note)), deployed);
    expect(plan.refused).toEqual([]);
    expect(plan.additive.map(describeChange)).toEqual(['patient.note: new column (none → varchar(200) NULL)']);
    expect(plan.statements).toEqual(["ALTER TABLE `patient`\n  ADD COLUMN `note` varchar(200) NULL COMMENT 'phi: Free-text note'"]);
  });

  test('a NOT NULL column with a default, a referencing column with its foreign key, and a patterned one with its CHECK', () => {
    const triage: Column = {
      ...note,
      name: 'triage',
      type: { kind: 'enum', values: ['open', 'closed'] },
      nullable: false,
      default: 'open',
    };
    const referrer: Column = {
      ...note,
      name: 'referred_by',
      type: { kind: 'varchar', length: 16 },
      references: { table: 'employee', column: 'employee_id' },
    };
    const code: Column = {
      ...note,
      name: 'code',
      type: { kind: 'char', length: 3 },
      csv: { kind: 'pattern', pattern: /^[A-Z]{3}$/, description: 'code' },
    };
    const plan = planMigration(withTable('encounter', addColumns(triage, referrer, code)), deployed);
    expect(plan.refused).toEqual([]);
    expect(plan.statements).toEqual([
      'ALTER TABLE `encounter`\n' +
        "  ADD COLUMN `triage` enum('open','closed') NOT NULL DEFAULT 'open' COMMENT 'phi: Free-text note',\n" +
        "  ADD COLUMN `referred_by` varchar(16) NULL COMMENT 'phi: Free-text note',\n" +
        '  ADD CONSTRAINT `fk_encounter_referred_by` FOREIGN KEY (`referred_by`) REFERENCES `employee` (`employee_id`),\n' +
        "  ADD COLUMN `code` char(3) NULL COMMENT 'phi: Free-text note',\n" +
        "  ADD CONSTRAINT `chk_encounter_code` CHECK (`code` REGEXP '^[A-Z]{3}$')",
    ]);
  });

  test('a longer VARCHAR or CHAR is a MODIFY COLUMN; a new table is its CREATE TABLE, in contract order', () => {
    const wider = withTable(
      'patient',
      editColumn('address', (c) => ({ ...c, type: { kind: 'varchar', length: 200 } })),
    );
    const tables = withTable(
      'employee',
      editColumn('phone_number', (c) => ({ ...c, type: { kind: 'char', length: 15 } })),
    ).map((t) => wider.find((w) => w.name === t.name && t.name === 'patient') ?? t);
    const withoutAccount = deployedFrom(CLINIC_TABLES.filter((t) => t.name !== 'account'));
    const plan = planMigration(tables, withoutAccount);
    expect(plan.refused).toEqual([]);
    expect(plan.additive.map(describeChange)).toEqual([
      'employee.phone_number: wider type (char(12) → char(15))',
      'patient.address: wider type (varchar(120) → varchar(200))',
      'account: new table',
    ]);
    expect(plan.statements[0]).toMatch(/^ALTER TABLE `employee`\n {2}MODIFY COLUMN `phone_number` char\(15\) NOT NULL COMMENT/);
    expect(plan.statements[1]).toMatch(/^ALTER TABLE `patient`\n {2}MODIFY COLUMN `address` varchar\(200\) NOT NULL COMMENT/);
    expect(plan.statements[2]).toBe(createTableSql(tableNamed('account')));
  });

  test.each<[string, readonly Table[], DeployedSchema, string]>([
    [
      'a dropped column',
      withTable('patient', (t) => ({ ...t, columns: t.columns.filter((c) => c.name !== 'zip') })),
      deployed,
      'patient.zip: dropped column (char(5) → none): the contract no longer has it; drop it by hand once nothing reads it',
    ],
    [
      'a dropped table',
      CLINIC_TABLES.filter((t) => t.name !== 'account'),
      deployed,
      'account: dropped table: the contract no longer has it; drop it by hand once nothing reads it',
    ],
    [
      'a narrower VARCHAR',
      withTable(
        'insurance',
        editColumn('plan', (c) => ({ ...c, type: { kind: 'varchar', length: 40 } })),
      ),
      deployed,
      'insurance.plan: narrower type (varchar(80) → varchar(40)): values could be cut',
    ],
    [
      'a type change',
      withTable(
        'patient',
        editColumn('dob', (c) => ({ ...c, type: { kind: 'varchar', length: 10 } })),
      ),
      deployed,
      'patient.dob: type change (date → varchar(10)): a new column and a copy, by hand',
    ],
    [
      'a new NOT NULL column without a default',
      withTable('patient', addColumns({ ...note, nullable: false })),
      deployed,
      'patient.note: new NOT NULL column without a default (none → varchar(200) NOT NULL): existing rows would have no value; make it nullable or give it a default',
    ],
    [
      'a new column before existing ones',
      withTable('insurance', (t) => ({ ...t, columns: [t.columns[0], note, ...t.columns.slice(1)] })),
      deployed,
      'insurance.note: new column not at the end (none → varchar(200) NULL): DMS captures columns added at the end of a table only; move it after the last column',
    ],
    [
      'a foreign key removed',
      withTable(
        'encounter',
        editColumn('patient', (c) => ({ ...c, references: undefined })),
      ),
      deployed,
      'encounter.patient: foreign key change (patient.person_id → none)',
    ],
    [
      'another primary key',
      withTable('insurance', (t) => ({ ...t, primaryKey: 'plan' })),
      deployed,
      'insurance.insid: key change (primary key → not a key)',
    ],
    [
      'a NOT NULL column made nullable',
      withTable(
        'patient',
        editColumn('email', (c) => ({ ...c, nullable: true })),
      ),
      deployed,
      'patient.email: nullability change (NOT NULL → NULL)',
    ],
    [
      'columns in another order',
      withTable('insurance', (t) => ({ ...t, columns: [...t.columns].reverse() })),
      deployed,
      'insurance: column order (insid, plan → plan, insid)',
    ],
  ])('%s is refused, named', (_, tables, schema, message) => {
    const plan = planMigration(tables, schema);
    expect(plan.refused.map(describeChange)).toContain(message);
  });

  test('an additive change beside a refused one: both are reported, the plan is refused as a whole', () => {
    const tables = withTable('patient', (t) => addColumns(note)({ ...t, columns: t.columns.filter((c) => c.name !== 'zip') }));
    const plan = planMigration(tables, deployed);
    expect(plan.refused.map((c) => `${c.table}.${c.column} ${c.kind}`)).toEqual(['patient.zip dropped column']);
    expect(plan.additive.map((c) => `${c.table}.${c.column} ${c.kind}`)).toEqual(['patient.note new column']);
  });
});
