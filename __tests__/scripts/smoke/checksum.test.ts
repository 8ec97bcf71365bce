/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import type { Connection } from 'mysql2/promise';
import { CLINIC_TABLES, isSeeded, tableNamed } from '../../../contract/clinic';
import { LocalMariadb, startLocalMariadb } from '../../../scripts/local/mariadb';
import { loadClinicData } from '../../../scripts/seed/loader';
import { selectInputFiles } from '../../../scripts/seed/input-files';
import { checksumSql, fingerprintOf, mysqlDialect, redshiftDialect, trinoDialect } from '../../../scripts/smoke/checksum';
import { MysqlEngine } from '../../../scripts/smoke/engines';
import { SEED_DIR, freshDatabase } from '../../helpers/mariadb';

describe('the reconciliation checksum on a real MariaDB', () => {
  let db: LocalMariadb;
  let admin: Connection;
  let database: string;
  let connection: Connection;
  beforeAll(async () => {
    db = await startLocalMariadb();
    admin = await db.connect();
    database = await freshDatabase(admin);
    connection = await db.connect(database);
    const { files } = selectInputFiles(CLINIC_TABLES, SEED_DIR, []);
    expect((await loadClinicData({ connection, database, tables: CLINIC_TABLES, files })).ok).toBe(true);
  });
  afterAll(async () => {
    await connection?.end();
    await admin?.end();
    await db?.stop();
  });

  const fingerprint = async (table: string, from = table): Promise<{ rows: number; checksum: string }> => {
    const contract = CLINIC_TABLES.find((t) => t.name === table)!;
    const sql = checksumSql({ ...contract, name: from }, mysqlDialect);
    return fingerprintOf((await new MysqlEngine(connection).query(sql))[0]);
  };
  const copy = async (table: string, order: string): Promise<string> => {
    const name = `${table}_copy_${Math.random().toString(36).slice(2, 8)}`;
    await connection.query(`CREATE TABLE ${name} LIKE ${table}`);
    await connection.query(`INSERT INTO ${name} SELECT * FROM ${table} ORDER BY ${order}`);
    return name;
  };

  test.each(CLINIC_TABLES.filter(isSeeded).map((t) => t.name))(
    '%s: identical data in another row order gives the same checksum',
    async (table) => {
      const contract = CLINIC_TABLES.find((t) => t.name === table)!;
      const shuffled = await copy(table, `${contract.primaryKey} DESC`);
      const original = await fingerprint(table);
      expect(original.rows).toBeGreaterThan(0);
      expect(await fingerprint(table, shuffled)).toEqual(original);
    },
  );

  test.each([
    ['one changed value', "UPDATE {t} SET account_balance = account_balance + 0.01 WHERE accountId = 'ACC0007'", 0],
    ['one changed date', "UPDATE {t} SET payment_due = DATE_ADD(payment_due, INTERVAL 1 DAY) WHERE accountId = 'ACC0009'", 0],
    ['one extra row', "INSERT INTO {t} VALUES ('ACC9999', 'INS1', '2025-01-01', '2025-02-01', 10.00)", 1],
    ['one missing row', "DELETE FROM {t} WHERE accountId = 'ACC0003'", -1],
  ])('%s changes the checksum', async (_case, change, rowDelta) => {
    const original = await fingerprint('account');
    const changed = await copy('account', 'accountId');
    await connection.query(change.replace('{t}', changed));
    const after = await fingerprint('account', changed);
    expect(after.checksum).not.toBe(original.checksum);
    expect(after.rows).toBe(original.rows + rowDelta);
  });

  test('a NULL is not the same as an empty string', async () => {
    await connection.query('CREATE TABLE nulls (a VARCHAR(5) NULL)');
    await connection.query('INSERT INTO nulls VALUES (NULL)');
    const withNull = fingerprintOf(
      (
        await new MysqlEngine(connection).query(
          `SELECT COALESCE(SUM(${mysqlDialect.md5Part("COALESCE(CAST(a AS CHAR), '~NULL~')", 1)}), 0) AS checksum_a, 0 AS checksum_b, COUNT(*) AS row_count FROM nulls`,
        )
      )[0],
    );
    await connection.query("UPDATE nulls SET a = ''");
    const withEmpty = fingerprintOf(
      (
        await new MysqlEngine(connection).query(
          `SELECT COALESCE(SUM(${mysqlDialect.md5Part("COALESCE(CAST(a AS CHAR), '~NULL~')", 1)}), 0) AS checksum_a, 0 AS checksum_b, COUNT(*) AS row_count FROM nulls`,
        )
      )[0],
    );
    expect(withNull.checksum).not.toBe(withEmpty.checksum);
  });

  test('a snapshot sees the database as of its start: a row committed meanwhile by another session is not counted', async () => {
    const engine = new MysqlEngine(connection);
    const probe = tableNamed('smoke_probe');
    const count = async (): Promise<number> => fingerprintOf((await engine.query(checksumSql(probe, mysqlDialect)))[0]).rows;
    const writer = await db.connect(database);
    try {
      const before = await count();
      const inside = await engine.inSnapshot(async () => {
        const first = await count();
        await writer.query("INSERT INTO smoke_probe VALUES ('00000000-0000-4000-8000-000000000001', UTC_TIMESTAMP(), 'snapshot test')");
        return [first, await count()];
      });
      expect(inside).toEqual([before, before]);
      expect(await count()).toBe(before + 1);
    } finally {
      await writer.end();
    }
  });

  test('a snapshot whose reading fails is rolled back, and the connection goes on working', async () => {
    const engine = new MysqlEngine(connection);
    await expect(engine.inSnapshot(() => engine.query('SELECT * FROM no_such_table'))).rejects.toThrow(/no_such_table/);
    // A new snapshot can start: the failed one is not left open.
    expect(await engine.inSnapshot(() => engine.query('SELECT 1 AS one'))).toEqual([{ one: '1' }]);
  });

  test('a date-time is canonical text to the second, whatever fraction an engine keeps', async () => {
    const [row] = await new MysqlEngine(connection).query(
      `SELECT ${mysqlDialect.canonical("CAST('2026-11-30 07:05:09' AS DATETIME)", { kind: 'datetime' })} AS text`,
    );
    expect(row.text).toBe('2026-11-30 07:05:09');
    expect(trinoDialect.canonical('t', { kind: 'datetime' })).toBe("date_format(t, '%Y-%m-%d %H:%i:%s')");
    expect(redshiftDialect('lake').canonical('t', { kind: 'datetime' })).toBe("TO_CHAR(t, 'YYYY-MM-DD HH24:MI:SS')");
  });

  test('every dialect hashes the same canonical row text: MD5 hex, two 8-digit slices, summed', () => {
    const account = CLINIC_TABLES.find((t) => t.name === 'account')!;
    expect(checksumSql(account, trinoDialect)).toContain('from_base(substr(lower(to_hex(md5(to_utf8(');
    expect(checksumSql(account, redshiftDialect('lake'))).toContain('STRTOL(SUBSTRING(MD5(');
    expect(checksumSql(account, redshiftDialect('lake'))).toContain('FROM lake."account"');
    for (const sql of [
      checksumSql(account, trinoDialect),
      checksumSql(account, redshiftDialect('lake')),
      checksumSql(account, mysqlDialect),
    ]) {
      expect(sql).toMatch(/'\|'/);
      expect(sql).toContain("'~NULL~'");
    }
  });
});
