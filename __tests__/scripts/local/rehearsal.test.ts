/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { mkdtempSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { DuckDBInstance } from '@duckdb/node-api';
import { Testing } from 'cdktf';
import { CLINIC_TABLES, isSeeded } from '../../../contract/clinic';
import { dev } from '../../../config/environments';
import { CHANGE_TABLE } from '../../../scripts/local/change-capture';
import {
  ChangeScript,
  ChangeScriptError,
  DEFAULT_CHANGE_SCRIPT,
  readChangeScript,
  splitStatements,
} from '../../../scripts/local/change-script';
import { loadFile, tableFolder } from '../../../scripts/local/duckdb-lake';
import { grantsByPersona } from '../../../scripts/local/personas';
import { ChangeLogProblemsError, RehearsalResult, checkLocalLake, seedAndExport } from '../../../scripts/local/rehearsal';
import { PlatformStack } from '../../../stacks/platform-stack';
import { grantsFromContract } from '../../helpers/grants';
import { SEED_DIR, freshDatabase, useLocalMariadb } from '../../helpers/mariadb';
import { Json } from '../../helpers/synth';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'changes');

/** Rewrites one Parquet file of the lake through DuckDB with `select` (from `src`, the file as it was). */
async function rewriteParquet(file: string, select: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  const tmp = `${file}.tmp`;
  await duck.run(`COPY (${select.replace(/\bsrc\b/g, `read_parquet('${file}')`)}) TO '${tmp}' (FORMAT PARQUET)`);
  duck.closeSync();
  instance.closeSync();
  renameSync(tmp, file);
}

/** The rows of a query over Parquet files, every value as text. */
async function parquetRows(sql: string): Promise<string[][]> {
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  try {
    return (await duck.runAndReadAll(sql)).getRows().map((row) => row.map((v) => (v === null ? 'NULL' : String(v as string))));
  } finally {
    duck.closeSync();
    instance.closeSync();
  }
}

/** The one CDC file of a table. */
const cdcFile = (lakeDir: string, table: string): string => {
  const [file] = readdirSync(tableFolder(lakeDir, 'raw', table)).filter((name) => name !== 'LOAD00000001.parquet');
  return join(tableFolder(lakeDir, 'raw', table), file);
};

describe('local rehearsal: MariaDB → DMS-like change log → merged current tables → smoke checks on DuckDB', () => {
  const server = useLocalMariadb();
  const connections: Connection[] = [];
  afterAll(async () => {
    for (const connection of connections) await connection.end();
  });

  /** A fresh database, seeded, with the full load and the script's changes exported to a new lake. */
  async function rehearse(changes: ChangeScript | 'no changes' = readChangeScript(DEFAULT_CHANGE_SCRIPT)) {
    const script = changes === 'no changes' ? undefined : changes;
    const database = await freshDatabase(server.admin());
    const connection = await server.db().connect(database);
    connections.push(connection);
    const workDir = mkdtempSync(join(tmpdir(), 'rehearsal-'));
    const lakeDir = join(workDir, 'lake');
    const exported = await seedAndExport({
      connection,
      database,
      tables: CLINIC_TABLES,
      inputDir: SEED_DIR,
      lakeDir,
      workDir,
      changes: script && { script, connect: () => server.db().connect(database) },
    });
    expect(exported.load.ok).toBe(true);
    // The probe table has no export: it is created empty, and its full load is an empty file.
    expect(exported.exported).toEqual({
      insurance: 5,
      employee: 25,
      patient: 500,
      appointment: 100,
      encounter: 250,
      account: 250,
      smoke_probe: 0,
    });
    return { ...exported, connection, database, lakeDir, workDir };
  }
  const check = (run: { connection: Connection; lakeDir: string; workDir: string }): Promise<RehearsalResult> =>
    checkLocalLake({ ...run, tables: CLINIC_TABLES, grants: grantsFromContract(CLINIC_TABLES) });
  const failedChecks = (result: RehearsalResult): string[] => result.checks.filter((c) => !c.pass).map((c) => c.check);

  describe('the default change script', () => {
    let run: Awaited<ReturnType<typeof rehearse>>;
    let result: RehearsalResult;
    beforeAll(async () => {
      run = await rehearse();
      result = await check(run);
    });

    test('MariaDB after the changes equals the merged current tables: counts and checksums of every table, as every persona', () => {
      expect(failedChecks(result)).toEqual([]);
      expect(result.ok).toBe(true);
      // Three personas (smoke runner, analyst, Redshift), each clinic table (never the probe), rows and checksum.
      expect(result.checks.filter((c) => c.step === 'reconcile')).toHaveLength(CLINIC_TABLES.filter(isSeeded).length * 3 * 2);
      // The source really changed: the reconciled counts are the counts after the changes.
      const rows = (check: string): string | undefined => result.checks.find((c) => c.check === check)?.expected;
      expect(rows('athena (duckdb) as smoke-runner patient rows')).toBe('501');
      expect(rows('athena (duckdb) as smoke-runner insurance rows')).toBe('6');
      expect(rows('athena (duckdb) as smoke-runner appointment rows')).toBe('99');
      expect(result.checks.map((c) => c.check)).toContain('athena (duckdb) as analyst patient.first_name hidden');
      expect(result.checks.map((c) => c.check)).toContain('redshift (duckdb) as redshift patient.dob hidden');
      expect(result.checks.find((c) => c.check === 'athena (duckdb) as analyst smoke_probe hidden')?.pass).toBe(true);
    });

    test('the merge applies each change once, and a second merge changes nothing', () => {
      const none = { inserted: 0, updated: 0, deleted: 0 };
      expect(result.merge).toEqual([
        { table: 'insurance', fullLoad: { ...none, inserted: 5 }, changes: { ...none, inserted: 1 }, again: none },
        { table: 'employee', fullLoad: { ...none, inserted: 25 }, changes: { ...none, updated: 1 }, again: none },
        { table: 'patient', fullLoad: { ...none, inserted: 500 }, changes: { ...none, inserted: 1, updated: 1 }, again: none },
        { table: 'appointment', fullLoad: { ...none, inserted: 100 }, changes: { ...none, deleted: 1 }, again: none },
        { table: 'encounter', fullLoad: { ...none, inserted: 250 }, changes: { ...none, updated: 1 }, again: none },
        { table: 'account', fullLoad: { ...none, inserted: 250 }, changes: { ...none, updated: 1 }, again: none },
        { table: 'smoke_probe', fullLoad: none, changes: { ...none, inserted: 1 }, again: none },
      ]);
    });

    test('the catalog holds both databases: current tables with the last change sequence, change-log tables with the DMS columns', () => {
      const expected = (check: string): string | undefined => result.checks.find((c) => c.step === 'glue' && c.check === check)?.actual;
      expect(expected('account columns')).toMatch(/,account_balance:decimal\(10,2\),last_change_seq:string$/);
      expect(expected('account change-log columns')).toMatch(/^op:string,dms_commit_ts:string,dms_change_seq:string,accountid:string,/);
      expect(result.checks.filter((c) => c.step === 'glue')).toHaveLength(2 * (1 + CLINIC_TABLES.length));
    });

    test('the change count of every table is reported', () => {
      const counts = Object.fromEntries(Object.entries(run.changes!).map(([table, c]) => [table, [c.inserts, c.updates, c.deletes]]));
      expect(counts).toEqual({
        insurance: [1, 0, 0],
        employee: [0, 1, 0],
        patient: [1, 1, 0],
        appointment: [0, 0, 1],
        encounter: [1, 0, 1],
        account: [0, 2, 0],
        smoke_probe: [1, 0, 0],
      });
    });

    test("the probe row's date-time is captured as the timestamp DMS writes", async () => {
      const rows = await parquetRows(`SELECT "Op", probe_id, written_at FROM read_parquet('${cdcFile(run.lakeDir, 'smoke_probe')}')`);
      expect(rows).toEqual([['I', '4b0d8d0a-3c0e-4f6e-9a51-0c2f4f1b7e10', '2026-11-30 10:15:00']]);
    });
  });

  test('a custom change script: a rolled-back transaction and a savepoint rolled back to leave no trace in the change log', async () => {
    const run = await rehearse(readChangeScript(join(FIXTURES, 'rolled-back.sql')));
    const withChanges = Object.entries(run.changes!).filter(([, c]) => c.files.length > 0);
    expect(withChanges.map(([table, c]) => [table, c.inserts, c.updates, c.deletes])).toEqual([['employee', 0, 1, 0]]);
    const [plans] = await run.connection.query<RowDataPacket[]>("SELECT insid FROM insurance WHERE insid = 'INS7'");
    expect(plans).toEqual([]);
    const result = await check(run);
    expect(failedChecks(result)).toEqual([]);
    expect(result.merge.find((m) => m.table === 'employee')?.changes).toEqual({ inserted: 0, updated: 1, deleted: 0 });
  });

  test('a statement the server refuses stops the run naming the file, statement and line; no change is exported and the triggers are gone', async () => {
    const script: ChangeScript = {
      path: 'bad.sql',
      statements: splitStatements(
        "UPDATE employee SET title = 'admin' WHERE employee_id = 'E0025';\n\nUPDATE patient\n  SET insurance = 'INS404' WHERE person_id = 'PER7';",
        'bad.sql',
      ),
    };
    const database = await freshDatabase(server.admin());
    const connection = await server.db().connect(database);
    connections.push(connection);
    const workDir = mkdtempSync(join(tmpdir(), 'rehearsal-'));
    const seeding = seedAndExport({
      connection,
      database,
      tables: CLINIC_TABLES,
      inputDir: SEED_DIR,
      lakeDir: join(workDir, 'lake'),
      workDir,
      changes: { script, connect: () => server.db().connect(database) },
    });
    await expect(seeding).rejects.toThrow(ChangeScriptError);
    await expect(seeding).rejects.toThrow(/^bad\.sql:3: statement 2: Cannot add or update a child row: a foreign key constraint fails/);
    const [left] = await connection.query<RowDataPacket[]>(
      'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ' +
        'UNION ALL SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?',
      [database, CHANGE_TABLE, database],
    );
    expect(left).toEqual([]);
    expect(readdirSync(tableFolder(join(workDir, 'lake'), 'raw', 'employee'))).toEqual(['LOAD00000001.parquet']);
  });

  test('rehearsing again on the same database (a --mysql-url server) starts from the exports again and gives the same result', async () => {
    const first = await rehearse();
    const again = await seedAndExport({
      connection: first.connection,
      database: first.database,
      tables: CLINIC_TABLES,
      inputDir: SEED_DIR,
      lakeDir: join(first.workDir, 'again'),
      workDir: first.workDir,
      changes: { script: readChangeScript(DEFAULT_CHANGE_SCRIPT), connect: () => server.db().connect(first.database) },
    });
    expect(again.load.tables.map((t) => [t.table, t.pruned])).toEqual(
      expect.arrayContaining([
        ['insurance', 1],
        ['patient', 1],
      ]),
    );
    expect(again.exported).toEqual(first.exported);
    expect(again.changes).toEqual(
      Object.fromEntries(Object.entries(first.changes!).map(([table, c]) => [table, { ...c, files: [expect.any(String)] }])),
    );
    const result = await check({ ...first, lakeDir: join(first.workDir, 'again') });
    expect(failedChecks(result)).toEqual([]);
  });

  test('--no-changes: the full load alone is merged and reconciled', async () => {
    const run = await rehearse('no changes');
    expect(run.changes).toBeUndefined();
    const result = await check(run);
    expect(failedChecks(result)).toEqual([]);
    expect(result.merge.every((m) => m.changes.inserted + m.changes.updated + m.changes.deleted === 0)).toBe(true);
  });

  describe('a corrupted or reordered change log', () => {
    test.each([
      [
        'two changes with one sequence',
        'SELECT * FROM src UNION ALL (SELECT * REPLACE (9.99::DECIMAL(10,2) AS account_balance) FROM src LIMIT 1)',
        /account: two changes with one sequence \(key ACC0001: "\d{35}"\)/,
      ],
      ['an unknown operation', 'SELECT * REPLACE (\'X\' AS "Op") FROM src', /account: unknown operation \(key ACC0001: "X"\)/],
      [
        'a change with no sequence',
        "SELECT * REPLACE ('' AS dms_change_seq) FROM src",
        /account: change without a sequence \(key ACC0001: "U"\)/,
      ],
    ])('%s stops the run before any merge, naming the table and the problem', async (_case, select, message) => {
      const run = await rehearse();
      await rewriteParquet(cdcFile(run.lakeDir, 'account'), select);
      const checking = check(run);
      await expect(checking).rejects.toThrow(ChangeLogProblemsError);
      await expect(checking).rejects.toThrow(message);
    });

    test('changes of one key stored against sequence order merge by sequence: the run passes', async () => {
      const run = await rehearse();
      await rewriteParquet(cdcFile(run.lakeDir, 'account'), 'SELECT * FROM src ORDER BY dms_change_seq DESC');
      const result = await check(run);
      expect(failedChecks(result)).toEqual([]);
    });
  });

  test('the full load has the DMS key layout and Parquet types', async () => {
    const run = await rehearse('no changes');
    const instance = await DuckDBInstance.create(':memory:');
    const duck = await instance.connect();
    const schema = (
      await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${loadFile(run.lakeDir, 'raw', 'account')}')`)
    ).getRowObjects();
    expect(schema.map((c) => [c.column_name, c.column_type])).toEqual([
      ['Op', 'VARCHAR'],
      ['dms_commit_ts', 'VARCHAR'],
      ['dms_change_seq', 'VARCHAR'],
      ['accountid', 'VARCHAR'],
      ['member_id', 'VARCHAR'],
      ['last_payment', 'DATE'],
      ['payment_due', 'DATE'],
      ['account_balance', 'DECIMAL(10,2)'],
    ]);
    duck.closeSync();
    instance.closeSync();
  });

  test.each([
    [
      'a changed value',
      "SELECT * REPLACE (CASE WHEN accountid = 'ACC0007' THEN account_balance + 1 ELSE account_balance END AS account_balance) FROM src",
      ['account checksum'],
    ],
    ['a dropped row', "SELECT * FROM src WHERE accountid <> 'ACC0003'", ['account rows', 'account checksum']],
  ])('%s in one exported full-load file fails the report, naming that table and check', async (_case, select, failing) => {
    const run = await rehearse();
    await rewriteParquet(loadFile(run.lakeDir, 'raw', 'account'), select);
    const result = await check(run);
    expect(result.ok).toBe(false);
    const failed = failedChecks(result);
    for (const name of failing) expect(failed).toContain(`athena (duckdb) as smoke-runner ${name}`);
    expect(failed.every((c) => c.includes('account'))).toBe(true);
  });

  describe('personas come from the synthesized Lake Formation grants, not from the contract', () => {
    const stack = (): Json => JSON.parse(Testing.synth(new PlatformStack(Testing.app(), dev)));
    /** The stack's grants, over the contract's for any persona the stack does not grant yet. */
    const governedBy = (json: Json) => new Map([...grantsFromContract(CLINIC_TABLES), ...grantsByPersona(json)]);

    test('the synthesized grants pass the rehearsal', async () => {
      const run = await rehearse();
      const result = await checkLocalLake({ ...run, tables: CLINIC_TABLES, grants: governedBy(stack()) });
      expect(failedChecks(result)).toEqual([]);
    });

    test('granting Redshift a direct identifier makes the rehearsal fail, naming the persona and the column', async () => {
      const json = stack();
      const spectrumRole = Object.entries<Json>(json.resource.aws_iam_role).find(([, role]) =>
        String(role.name).endsWith('-redshift-spectrum'),
      )![0];
      const patientGrant = Object.values<Json>(json.resource.aws_lakeformation_permissions).find(
        (g) => String(g.principal).includes(spectrumRole) && String(g.table_with_columns?.name).includes('patient'),
      )!;
      patientGrant.table_with_columns.column_names.push('first_name');
      const run = await rehearse();
      const result = await checkLocalLake({ ...run, tables: CLINIC_TABLES, grants: governedBy(json) });
      expect(result.ok).toBe(false);
      expect(failedChecks(result)).toEqual(['redshift (duckdb) as redshift patient.first_name hidden']);
    });
  });
});
