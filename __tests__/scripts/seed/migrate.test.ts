/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { CLINIC_TABLES, Column, Table } from '../../../contract/clinic';
import { schemaDdl } from '../../../contract/mysql';
import { describeChange } from '../../../contract/mysql-migration';
import { checkSchema } from '../../../scripts/seed/loader';
import { migrateSchema, readDeployedSchema } from '../../../scripts/seed/migrate';
import { runInProcess } from '../../helpers/cli';
import { SEED_DIR, freshDatabase, useLocalMariadb } from '../../helpers/mariadb';

const withTable = (tables: readonly Table[], name: string, edit: (table: Table) => Table): Table[] =>
  tables.map((t) => (t.name === name ? edit(t) : t));
const addColumns =
  (...columns: Column[]) =>
  (table: Table): Table => ({ ...table, columns: [...table.columns, ...columns] });
const editColumn =
  (name: string, edit: (column: Column) => Column) =>
  (table: Table): Table => ({ ...table, columns: table.columns.map((c) => (c.name === name ? edit(c) : c)) });

const note: Column = {
  name: 'note',
  type: { kind: 'varchar', length: 200 },
  nullable: true,
  csv: { kind: 'text' },
  classification: 'phi',
  description: 'Free-text note about the patient',
};
const billingState: Column = {
  name: 'billing_state',
  type: { kind: 'enum', values: ['open', 'settled'] },
  nullable: false,
  default: 'open',
  csv: { kind: 'enum' },
  classification: 'phi',
  description: 'Where billing of the account stands',
};
/** A new child table, referencing an existing one. */
const referral: Table = {
  name: 'referral',
  description: 'Referrals of patients to other clinics',
  primaryKey: 'referral_id',
  columns: [
    {
      name: 'referral_id',
      type: { kind: 'varchar', length: 16 },
      nullable: false,
      csv: { kind: 'id', prefix: 'REF' },
      classification: 'phi',
      description: 'Referral id',
    },
    {
      name: 'patient',
      type: { kind: 'varchar', length: 16 },
      nullable: false,
      csv: { kind: 'id', prefix: 'PER' },
      classification: 'phi',
      references: { table: 'patient', column: 'person_id' },
      description: 'Patient referred',
    },
  ],
};

/** Every additive kind at once: a nullable column, a defaulted NOT NULL one, wider VARCHAR and CHAR, a new table. */
const ADDITIVE: readonly Table[] = [
  ...withTable(
    withTable(
      withTable(CLINIC_TABLES, 'patient', (t) =>
        addColumns(note)(editColumn('address', (c) => ({ ...c, type: { kind: 'varchar', length: 200 } }))(t)),
      ),
      'account',
      addColumns(billingState),
    ),
    'employee',
    editColumn('phone_number', (c) => ({ ...c, type: { kind: 'char', length: 16 } })),
  ),
  referral,
];

describe('seed --migrate on MariaDB', () => {
  const server = useLocalMariadb();
  const password = (): string => server.db().password;
  const seed = (args: readonly string[]): ReturnType<typeof runInProcess> =>
    runInProcess('seed', args, { ...process.env, MYSQL_PWD: password() });
  const target = (database: string): string[] => [
    '--host',
    server.db().host,
    '--port',
    String(server.db().port),
    '--user',
    'root',
    '--database',
    database,
    '--ssl-mode',
    'DISABLED',
  ];
  /** A fresh database holding the committed seed, loaded by the seed command. */
  const seededDatabase = async (): Promise<string> => {
    const database = await freshDatabase(server.admin());
    const { code, stderr } = await seed([...target(database), '--dir', SEED_DIR]);
    if (code !== 0) throw new Error(`seeding failed: ${stderr}`);
    return database;
  };
  /** A fresh database with the contract's schema, then `ddl` run on it. */
  const databaseWith = async (...ddl: string[]): Promise<{ database: string; connection: Connection }> => {
    const database = await freshDatabase(server.admin());
    const connection = await server.db().connect(database);
    for (const statement of [...schemaDdl(CLINIC_TABLES), ...ddl]) await connection.query(statement);
    return { database, connection };
  };

  describe('the migration logic (a changed copy of the contract)', () => {
    test('each additive change is applied to a loaded database; old rows read NULL or the default; a second run does nothing', async () => {
      const database = await seededDatabase();
      const connection = await server.db().connect(database);
      try {
        const first = await migrateSchema({ connection, database, tables: ADDITIVE, apply: true });
        expect(first.plan.refused).toEqual([]);
        expect(first.plan.additive.map(describeChange)).toEqual([
          'employee.phone_number: wider type (char(12) → char(16))',
          'patient.address: wider type (varchar(120) → varchar(200))',
          'patient.note: new column (none → varchar(200) NULL)',
          "account.billing_state: new column (none → enum('open','settled') NOT NULL DEFAULT 'open')",
          'referral: new table',
        ]);
        expect(first.applied).toEqual(first.plan.statements);
        expect(first.applied).toHaveLength(4);
        expect(await checkSchema(connection, database, ADDITIVE)).toEqual({ differences: [], missing: [] });

        const [patients] = await connection.query<RowDataPacket[]>('SELECT COUNT(*) AS n, COUNT(note) AS noted FROM patient');
        expect(patients[0]).toMatchObject({ n: 500, noted: 0 });
        const [accounts] = await connection.query<RowDataPacket[]>(
          "SELECT COUNT(*) AS n, SUM(billing_state = 'open') AS open FROM account",
        );
        expect(accounts[0]).toMatchObject({ n: 250, open: '250' });
        // The CHECK of the widened phone column still holds, and the new table's foreign key is enforced.
        await expect(connection.query("UPDATE employee SET phone_number = 'not a phone' LIMIT 1")).rejects.toThrow(/CONSTRAINT/);
        await expect(connection.query("INSERT INTO referral VALUES ('REF1', 'PER999999')")).rejects.toThrow(/foreign key constraint/);

        const second = await migrateSchema({ connection, database, tables: ADDITIVE, apply: true });
        expect(second).toEqual({ plan: { additive: [], refused: [], statements: [] }, applied: [] });
      } finally {
        await connection.end();
      }
    });

    test.each<[string, readonly Table[], string]>([
      [
        'a dropped column',
        withTable(CLINIC_TABLES, 'patient', (t) => ({ ...t, columns: t.columns.filter((c) => c.name !== 'zip') })),
        'patient.zip: dropped column (char(5) → none)',
      ],
      ['a dropped table', CLINIC_TABLES.filter((t) => t.name !== 'account'), 'account: dropped table'],
      [
        'a narrower VARCHAR',
        withTable(
          CLINIC_TABLES,
          'insurance',
          editColumn('plan', (c) => ({ ...c, type: { kind: 'varchar', length: 40 } })),
        ),
        'insurance.plan: narrower type (varchar(80) → varchar(40))',
      ],
      [
        'a type change',
        withTable(
          CLINIC_TABLES,
          'account',
          editColumn('account_balance', (c) => ({ ...c, type: { kind: 'decimal', precision: 12, scale: 2 } })),
        ),
        'account.account_balance: type change (decimal(10,2) → decimal(12,2))',
      ],
      [
        'a new NOT NULL column without a default',
        withTable(CLINIC_TABLES, 'patient', addColumns({ ...note, nullable: false })),
        'patient.note: new NOT NULL column without a default (none → varchar(200) NOT NULL)',
      ],
      [
        'a changed foreign key',
        withTable(
          CLINIC_TABLES,
          'account',
          editColumn('member_id', (c) => ({ ...c, references: { table: 'patient', column: 'person_id' } })),
        ),
        'account.member_id: foreign key change (insurance.insid → patient.person_id)',
      ],
      [
        'a changed primary key',
        withTable(CLINIC_TABLES, 'insurance', (t) => ({ ...t, primaryKey: 'plan' })),
        'insurance.plan: key change (not a key → primary key)',
      ],
      [
        'an additive change beside a destructive one',
        withTable(CLINIC_TABLES, 'patient', (t) => addColumns(note)({ ...t, columns: t.columns.filter((c) => c.name !== 'zip') })),
        'patient.zip: dropped column (char(5) → none)',
      ],
    ])('%s is refused, named, and nothing is applied', async (_, tables, named) => {
      const { database, connection } = await databaseWith();
      try {
        const before = await readDeployedSchema(connection, database, CLINIC_TABLES);
        const outcome = await migrateSchema({ connection, database, tables, apply: true });
        expect(outcome.plan.refused.map(describeChange).map((line) => line.split(': ').slice(0, 2).join(': '))).toContain(named);
        expect(outcome.applied).toEqual([]);
        expect(await readDeployedSchema(connection, database, CLINIC_TABLES)).toEqual(before);
      } finally {
        await connection.end();
      }
    });
  });

  describe('npm run seed (the committed contract)', () => {
    test('a destructive difference exits 2 naming each change (table.column, from → to), and nothing is changed or loaded', async () => {
      const { database, connection } = await databaseWith(
        'ALTER TABLE patient ADD COLUMN legacy_code varchar(10) NULL',
        "ALTER TABLE insurance MODIFY plan varchar(120) NOT NULL COMMENT 'non-sensitive: Plan name; names may repeat'",
      );
      try {
        const before = await readDeployedSchema(connection, database, CLINIC_TABLES);
        for (const extra of [[], ['--migrate']]) {
          const { code, stdout } = await seed([...target(database), ...extra]);
          expect(code).toBe(2);
          expect(stdout).toContain('refused: the deployed schema differs from the contract in ways seed --migrate does not apply');
          expect(stdout).toContain('insurance.plan: narrower type (varchar(120) → varchar(80)): values could be cut');
          expect(stdout).toContain('patient.legacy_code: dropped column (varchar(10) → none)');
          expect(stdout).toContain('nothing was changed or loaded');
        }
        expect(await readDeployedSchema(connection, database, CLINIC_TABLES)).toEqual(before);
        const [rows] = await connection.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM patient');
        expect(rows[0].n).toBe(0);
      } finally {
        await connection.end();
      }
    });

    test('an additive difference: refused without --migrate (listing the statements), shown by a dry run, applied by --migrate, then nothing', async () => {
      const { database, connection } = await databaseWith(
        "ALTER TABLE patient MODIFY address varchar(100) NOT NULL COMMENT 'direct-identifier: Street address'",
        'DROP TABLE account',
      );
      try {
        const before = await readDeployedSchema(connection, database, CLINIC_TABLES);

        const refused = await seed([...target(database), '--json']);
        expect(refused.code).toBe(2);
        const report = JSON.parse(refused.stdout) as { ok: boolean; migration: { additive: string[]; statements: string[] } };
        expect(report.ok).toBe(false);
        expect(report.migration.additive).toEqual(['patient.address: wider type (varchar(100) → varchar(120))', 'account: new table']);
        expect(report.migration.statements[0]).toMatch(/^ALTER TABLE `patient`\n {2}MODIFY COLUMN `address` varchar\(120\) NOT NULL/);
        expect(report.migration.statements[1]).toMatch(/^CREATE TABLE IF NOT EXISTS `account`/);
        const text = await seed(target(database));
        expect(text.code).toBe(2);
        expect(text.stdout).toMatch(
          /--migrate would apply them with:\n {2}ALTER TABLE `patient`\n {4}MODIFY COLUMN `address` varchar\(120\)/,
        );

        const dryRun = await seed([...target(database), '--migrate', '--dry-run']);
        expect(dryRun.code).toBe(0);
        expect(dryRun.stdout).toContain('--migrate would run:');
        expect(dryRun.stdout).toContain('CREATE TABLE IF NOT EXISTS `account`');
        expect(await readDeployedSchema(connection, database, CLINIC_TABLES)).toEqual(before);

        const migrated = await seed([...target(database), '--migrate']);
        expect(migrated.code).toBe(0);
        expect(migrated.stderr).toMatch(/migrate: ALTER TABLE `patient` MODIFY COLUMN `address` varchar\(120\)/);
        expect(migrated.stderr).toMatch(/migrate: CREATE TABLE IF NOT EXISTS `account`/);
        expect(migrated.stdout).toMatch(/^patient\s+500\s+500\s/m);
        expect(await checkSchema(connection, database, CLINIC_TABLES)).toEqual({ differences: [], missing: [] });

        const again = await seed([...target(database), '--migrate']);
        expect(again.code).toBe(0);
        expect(again.stderr).not.toMatch(/migrate:/);
        expect(again.stdout).toMatch(/^patient\s+500\s+0\s+0\s+500\s/m);
      } finally {
        await connection.end();
      }
    });
  });
});
