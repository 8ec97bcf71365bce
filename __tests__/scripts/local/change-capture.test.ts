/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { DuckDBInstance } from '@duckdb/node-api';
import { CLINIC_TABLES } from '../../../contract/clinic';
import { InputError } from '../../../scripts/cli/errors';
import {
  CHANGE_TABLE,
  CapturedChanges,
  cdcFileName,
  exportChangesLikeDms,
  installChangeCapture,
  refuseRds,
} from '../../../scripts/local/change-capture';
import {
  ChangeScript,
  DEFAULT_CHANGE_SCRIPT,
  applyChangeScript,
  readChangeScript,
  splitStatements,
} from '../../../scripts/local/change-script';
import { tableFolder } from '../../../scripts/local/duckdb-lake';
import { seedAndExport } from '../../../scripts/local/rehearsal';
import { SEED_DIR, freshDatabase, useLocalMariadb } from '../../helpers/mariadb';

/** Every row of some Parquet files, values as text, in file order. */
async function readParquet(files: string): Promise<{ columns: string[]; types: string[]; rows: string[][] }> {
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  try {
    const result = await duck.runAndReadAll(`SELECT * FROM read_parquet('${files}')`);
    return {
      columns: result.columnNames(),
      types: result.columnTypes().map(String),
      rows: result.getRows().map((row) => row.map((v) => (v === null ? 'NULL' : String(v as string)))),
    };
  } finally {
    duck.closeSync();
    instance.closeSync();
  }
}

describe('change capture: triggers while a change script runs, exported as DMS CDC files', () => {
  const server = useLocalMariadb();

  /** A seeded database with the full load exported, its work folder, and a capture installed on it. */
  async function seeded(): Promise<{ connection: Connection; database: string; work: string; lakeDir: string }> {
    const database = await freshDatabase(server.admin());
    const connection = await server.db().connect(database);
    const work = mkdtempSync(join(tmpdir(), 'change-capture-'));
    const lakeDir = join(work, 'lake');
    const { load } = await seedAndExport({ connection, database, tables: CLINIC_TABLES, inputDir: SEED_DIR, lakeDir, workDir: work });
    expect(load.ok).toBe(true);
    return { connection, database, work, lakeDir };
  }

  const scriptOf = (text: string): ChangeScript => ({ path: 'changes.sql', statements: splitStatements(text, 'changes.sql') });

  /** Applies a script through a capture and exports the changes, `changesPerFile` to a file. */
  async function captureAndExport(script: ChangeScript, changesPerFile?: number) {
    const { connection, database, work, lakeDir } = await seeded();
    const capture = await installChangeCapture(connection, CLINIC_TABLES);
    const session = await server.db().connect(database);
    try {
      await applyChangeScript(script, { script: session, observer: connection }, capture.count);
      const changes = await exportChangesLikeDms({ source: connection, tables: CLINIC_TABLES, lakeDir, workDir: work, changesPerFile });
      return { connection, database, lakeDir, changes, capture };
    } finally {
      await session.end();
    }
  }

  describe('the default change script', () => {
    let lakeDir: string;
    let changes: Record<string, CapturedChanges>;
    let connection: Connection;
    let database: string;
    beforeAll(async () => {
      const run = await captureAndExport(readChangeScript(DEFAULT_CHANGE_SCRIPT));
      ({ lakeDir, changes, connection, database } = run);
      await run.capture.remove();
    });
    afterAll(async () => {
      await connection?.end();
      rmSync(join(lakeDir, '..'), { recursive: true, force: true });
    });

    /** Every CDC row of every table, each with its table, in change-sequence order. */
    const allChanges = async (): Promise<{ table: string; row: string[] }[]> => {
      const rows: { table: string; row: string[] }[] = [];
      for (const table of CLINIC_TABLES) {
        if (changes[table.name].files.length === 0) continue;
        for (const row of (await readParquet(join(tableFolder(lakeDir, 'raw', table.name), '2*.parquet'))).rows)
          rows.push({ table: table.name, row });
      }
      return rows.sort((a, b) => a.row[2].localeCompare(b.row[2]));
    };

    test('beside each full load, one CDC file named by time, only for the tables that changed', () => {
      for (const table of CLINIC_TABLES) {
        const files = readdirSync(tableFolder(lakeDir, 'raw', table.name)).sort();
        expect(files).toEqual([...changes[table.name].files, 'LOAD00000001.parquet']);
        for (const file of changes[table.name].files) expect(file).toMatch(/^\d{8}-\d{9}\.parquet$/);
      }
      expect(Object.fromEntries(Object.entries(changes).map(([table, c]) => [table, c.files.length]))).toEqual({
        insurance: 1,
        employee: 1,
        patient: 1,
        appointment: 1,
        encounter: 1,
        account: 1,
        smoke_probe: 1,
      });
    });

    test('every committed change in commit order with its operation; the rolled-back transaction left nothing', async () => {
      const ops = (await allChanges()).map(({ table, row }) => `${table} ${row[0]} ${row[3]}`);
      expect(ops).toEqual([
        'insurance I INS6',
        'employee U E0025',
        'appointment D APPO100',
        'account U ACC0001',
        'account U ACC0001',
        'encounter D ENC12',
        'encounter I ENC12',
        'patient U PER7',
        'patient I PER501',
        'smoke_probe I 4b0d8d0a-3c0e-4f6e-9a51-0c2f4f1b7e10',
      ]);
      expect(Object.values(changes).reduce((n, c) => n + c.inserts + c.updates + c.deletes, 0)).toBe(ops.length);
    });

    test('DMS columns first, then the row image with the contract columns; DMS types', async () => {
      const { columns, types } = await readParquet(join(tableFolder(lakeDir, 'raw', 'account'), '2*.parquet'));
      expect(types).toEqual(['VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'DATE', 'DATE', 'DECIMAL(10,2)']);
      expect(columns).toEqual([
        'Op',
        'dms_commit_ts',
        'dms_change_seq',
        'accountid',
        'member_id',
        'last_payment',
        'payment_due',
        'account_balance',
      ]);
    });

    test('sequences are 35 digits, a commit time then a counter, strictly increasing across every table', async () => {
      const rows = (await allChanges()).map(({ row }) => row);
      for (const [, commitTime, sequence] of rows) {
        expect(sequence).toMatch(/^\d{35}$/);
        expect(commitTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
        expect(sequence.slice(0, 16)).toBe(commitTime.replace(/[^0-9]/g, '').slice(0, 16));
      }
      const sequences = rows.map((row) => row[2]);
      for (let i = 1; i < sequences.length; i += 1) expect(sequences[i] > sequences[i - 1]).toBe(true);
    });

    test('a delete carries the old image; an update the new one, each of its own statement', async () => {
      const byOp = (await allChanges()).map(({ table, row }) => [table, ...row.filter((_, i) => i !== 1 && i !== 2)].join('|'));
      expect(byOp).toContain('appointment|D|APPO100|E0002|2024-12-03|12:00:00|Kelley');
      expect(byOp).toContain('encounter|D|ENC12|PER311|12:00:00|no show');
      expect(byOp).toContain('encounter|I|ENC12|PER311|12:30:00|completed');
      expect(byOp).toContain('account|U|ACC0001|INS3|2026-11-02|2024-09-04|8000.00');
      expect(byOp).toContain('account|U|ACC0001|INS3|2026-11-02|2026-12-31|0.00');
      expect(byOp).toContain("insurance|I|INS6|Kaiser Bronze; O'Neil's plan");
    });

    test('the triggers and the change table are gone once the capture is removed', async () => {
      const [triggers] = await connection.query<RowDataPacket[]>(
        'SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?',
        [database],
      );
      const [tables] = await connection.query<RowDataPacket[]>(
        'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
        [database, CHANGE_TABLE],
      );
      expect([triggers, tables]).toEqual([[], []]);
    });
  });

  test('more changes than a file holds go to several CDC files, named in the order they were written', async () => {
    const run = await captureAndExport(
      scriptOf(
        "UPDATE account SET account_balance = 1 WHERE accountId = 'ACC0001'; UPDATE account SET account_balance = 2 WHERE accountId = 'ACC0001';\n" +
          "UPDATE account SET account_balance = 3 WHERE accountId = 'ACC0002';",
      ),
      2,
    );
    try {
      const { files } = run.changes.account;
      expect(files).toHaveLength(2);
      expect([...files].sort()).toEqual(files);
      const balances = [];
      for (const file of files)
        balances.push((await readParquet(join(tableFolder(run.lakeDir, 'raw', 'account'), file))).rows.map((r) => `${r[3]}=${r[7]}`));
      expect(balances).toEqual([['ACC0001=1.00', 'ACC0001=2.00'], ['ACC0002=3.00']]);
    } finally {
      await run.capture.remove();
      await run.connection.end();
    }
  });

  test('a capture left behind by an interrupted run is replaced, not an error', async () => {
    const { connection } = await seeded();
    try {
      await installChangeCapture(connection, CLINIC_TABLES);
      const again = await installChangeCapture(connection, CLINIC_TABLES);
      await connection.query("UPDATE employee SET title = 'nurse' WHERE employee_id = 'E0001'");
      expect(await again.count(connection)).toBe(1);
      await again.remove();
    } finally {
      await connection.end();
    }
  });

  test.each([
    ['that is RDS (binaries under /rdsdbbin or the mysql.rds_set_configuration procedure) is refused', 1],
    ['that is not RDS is accepted', 0],
  ])('a server %s', async (_case, rds) => {
    const connection = { query: async () => [[{ rds }]] } as unknown as Connection;
    if (rds) await expect(refuseRds(connection)).rejects.toThrow(InputError);
    else await expect(refuseRds(connection)).resolves.toBeUndefined();
  });

  test('the real throwaway server is not RDS', async () => {
    await expect(refuseRds(server.admin())).resolves.toBeUndefined();
  });

  test('CDC file names are the UTC time written, to the millisecond', () => {
    expect(cdcFileName(Date.UTC(2026, 10, 30, 10, 15, 0, 123))).toBe('20261130-101500123.parquet');
  });
});
