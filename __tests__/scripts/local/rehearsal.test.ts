/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { DuckDBInstance } from '@duckdb/node-api';
import { CLINIC_TABLES } from '../../../contract/clinic';
import { LocalMariadb, startLocalMariadb } from '../../../scripts/local/mariadb';
import { loadFile } from '../../../scripts/local/duckdb-lake';
import { checkLocalLake, seedAndExport } from '../../../scripts/local/rehearsal';
import { grantsByPersona } from '../../../scripts/local/personas';
import { PlatformStack } from '../../../stacks/platform-stack';
import { dev } from '../../../config/environments';
import { Testing } from 'cdktf';
import { Json } from '../../helpers/synth';
import { grantsFromContract } from '../../helpers/grants';
import { SEED_DIR, freshDatabase } from '../../helpers/mariadb';

/** Rewrites one exported Parquet file through DuckDB with `select` (from `src`). */
async function rewriteParquet(file: string, select: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  const tmp = `${file}.tmp`;
  await duck.run(`COPY (${select.replace('src', `read_parquet('${file}')`)}) TO '${tmp}' (FORMAT PARQUET)`);
  duck.closeSync();
  instance.closeSync();
  renameSync(tmp, file);
}

describe('local rehearsal: MariaDB → DMS-like Parquet lake → smoke checks on DuckDB', () => {
  let db: LocalMariadb;
  let connection: Connection;
  beforeAll(async () => {
    db = await startLocalMariadb();
    const admin = await db.connect();
    const database = await freshDatabase(admin);
    await admin.end();
    connection = await db.connect(database);
  });
  afterAll(async () => {
    await connection?.end();
    await db?.stop();
  });

  const fresh = async (): Promise<string> => {
    const workDir = mkdtempSync(join(tmpdir(), 'rehearsal-'));
    const lakeDir = join(workDir, 'lake');
    const [{ Database: database }] = (await connection.query('SELECT DATABASE() AS `Database`'))[0] as { Database: string }[];
    const { load, exported } = await seedAndExport({ connection, database, tables: CLINIC_TABLES, inputDir: SEED_DIR, lakeDir, workDir });
    expect(load.ok).toBe(true);
    expect(exported).toEqual({ insurance: 5, employee: 25, patient: 500, appointment: 100, encounter: 250, account: 250 });
    return lakeDir;
  };

  test('runs end to end: every reconciliation, catalog and governance check passes', async () => {
    const lakeDir = await fresh();
    const result = await checkLocalLake({ connection, tables: CLINIC_TABLES, lakeDir, grants: grantsFromContract(CLINIC_TABLES) });
    expect(result.checks.filter((c) => !c.pass)).toEqual([]);
    expect(result.ok).toBe(true);
    // Three personas (smoke runner, analyst, Redshift), each table, rows and checksum.
    expect(result.checks.filter((c) => c.step === 'reconcile')).toHaveLength(CLINIC_TABLES.length * 3 * 2);
    expect(result.checks.map((c) => c.check)).toContain('athena (duckdb) as analyst patient.first_name hidden');
    expect(result.checks.map((c) => c.check)).toContain('redshift (duckdb) as redshift patient.dob hidden');
  });

  test('the lake has the DMS key layout and Parquet types', async () => {
    const lakeDir = await fresh();
    const instance = await DuckDBInstance.create(':memory:');
    const duck = await instance.connect();
    const schema = (
      await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${loadFile(lakeDir, 'raw', 'account')}')`)
    ).getRowObjects();
    expect(schema.map((c) => [c.column_name, c.column_type])).toEqual([
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
  ])('%s in one exported Parquet file fails the report, naming that table and check', async (_case, select, failing) => {
    const lakeDir = await fresh();
    await rewriteParquet(loadFile(lakeDir, 'raw', 'account'), select);
    const result = await checkLocalLake({ connection, tables: CLINIC_TABLES, lakeDir, grants: grantsFromContract(CLINIC_TABLES) });
    expect(result.ok).toBe(false);
    const failed = result.checks.filter((c) => !c.pass).map((c) => c.check);
    for (const check of failing) expect(failed).toContain(`athena (duckdb) as smoke-runner ${check}`);
    expect(failed.every((c) => c.includes('account'))).toBe(true);
  });

  describe('personas come from the synthesized Lake Formation grants, not from the contract', () => {
    const stack = (): Json => JSON.parse(Testing.synth(new PlatformStack(Testing.app(), dev)));
    /** The stack's grants, over the contract's for any persona the stack does not grant yet. */
    const governedBy = (json: Json) => new Map([...grantsFromContract(CLINIC_TABLES), ...grantsByPersona(json)]);

    test('the synthesized grants pass the rehearsal', async () => {
      const lakeDir = await fresh();
      const result = await checkLocalLake({ connection, tables: CLINIC_TABLES, lakeDir, grants: governedBy(stack()) });
      expect(result.checks.filter((c) => !c.pass)).toEqual([]);
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
      const lakeDir = await fresh();
      const result = await checkLocalLake({ connection, tables: CLINIC_TABLES, lakeDir, grants: governedBy(json) });
      expect(result.ok).toBe(false);
      expect(result.checks.filter((c) => !c.pass).map((c) => c.check)).toEqual(['redshift (duckdb) as redshift patient.first_name hidden']);
    });
  });
});
