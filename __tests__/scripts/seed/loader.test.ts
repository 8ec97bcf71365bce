/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { CLINIC_TABLES } from '../../../contract/clinic';
import { formatError } from '../../../scripts/seed/csv-validation';
import { selectInputFiles } from '../../../scripts/seed/input-files';
import { LoadMethod, LoadOptions, LoadReport, loadClinicData } from '../../../scripts/seed/loader';
import { SEED_DIR, freshDatabase, lineOf, replaceLine, seedCopy, snapshot, useLocalMariadb } from '../../helpers/mariadb';

describe('seed loader on a real MariaDB', () => {
  const server = useLocalMariadb();

  const load = async (database: string, dir: string, extra: Partial<LoadOptions> = {}): Promise<LoadReport> => {
    const connection = await server.db().connect(database);
    try {
      const { files } = selectInputFiles(CLINIC_TABLES, dir, []);
      return await loadClinicData({ connection, database, tables: CLINIC_TABLES, files, ...extra });
    } finally {
      await connection.end().catch(() => undefined);
    }
  };
  const seeded = async (): Promise<string> => {
    const database = await freshDatabase(server.admin());
    expect((await load(database, SEED_DIR)).ok).toBe(true);
    return database;
  };
  const rowsOf = async (database: string, sql: string): Promise<RowDataPacket[]> => {
    const connection = await server.db().connect(database);
    const [rows] = await connection.query<RowDataPacket[]>(sql);
    await connection.end();
    return rows;
  };

  test.each(['infile', 'insert'] as LoadMethod[])('the committed seed loads with exact counts (%s)', async (loadMethod) => {
    const database = await freshDatabase(server.admin());
    const report = await load(database, SEED_DIR, { loadMethod });
    expect(report.ok).toBe(true);
    expect(report.createdTables).toEqual(CLINIC_TABLES.map((t) => t.name));
    expect(Object.fromEntries(report.tables.map((t) => [t.table, [t.read, t.inserted, t.updated, t.rejected]]))).toEqual({
      insurance: [5, 5, 0, 0],
      employee: [25, 25, 0, 0],
      patient: [500, 500, 0, 0],
      appointment: [100, 100, 0, 0],
      encounter: [250, 250, 0, 0],
      account: [250, 250, 0, 0],
    });
    const counts = await rowsOf(
      database,
      'SELECT (SELECT COUNT(*) FROM patient) p, (SELECT COUNT(*) FROM employee WHERE title = "physician") d',
    );
    expect(counts[0]).toMatchObject({ p: 500, d: 6 });
  });

  test('values round-trip: dates, times, money, apostrophes, spaces, leading zeros, injection text', async () => {
    const database = await freshDatabase(server.admin());
    const dir = seedCopy({
      patient: (text) =>
        replaceLine(text, 2, `PER1,"Mary Ann",O'Heyne,"mary ann o'heyne@example.com",2/9/1990,"12 O'Connell Street",02139,INS1`),
      account: (text) => replaceLine(text, 2, 'ACC0001,INS1,1/2/2025,12/31/2025,"$1,234.5"'),
      appointment: (text) => replaceLine(text, 2, `APPO1,E0001,7/4/2026,12:05 AM,"Robert'); DROP TABLE patient;--"`),
      encounter: (text) => replaceLine(text, 2, 'ENC1,PER1,12:30 PM,no show'),
    });
    expect((await load(database, dir)).ok).toBe(true);
    const [patient] = await rowsOf(
      database,
      "SELECT first_name, last_name, email, dob, address, zip FROM patient WHERE person_id = 'PER1'",
    );
    expect(patient).toEqual({
      first_name: 'Mary Ann',
      last_name: "O'Heyne",
      email: "mary ann o'heyne@example.com",
      dob: '1990-02-09',
      address: "12 O'Connell Street",
      zip: '02139',
    });
    const [account] = await rowsOf(database, "SELECT last_payment, payment_due, account_balance FROM account WHERE accountId = 'ACC0001'");
    expect(account).toEqual({ last_payment: '2025-01-02', payment_due: '2025-12-31', account_balance: '1234.50' });
    const [appointment] = await rowsOf(database, "SELECT app_time, scheduled_by FROM appointment WHERE appId = 'APPO1'");
    expect(appointment).toEqual({ app_time: '00:05:00', scheduled_by: "Robert'); DROP TABLE patient;--" });
    const [encounter] = await rowsOf(database, "SELECT start_time, status FROM encounter WHERE encounter_id = 'ENC1'");
    expect(encounter).toEqual({ start_time: '12:30:00', status: 'no show' });
  });

  test('a second run with the same files changes nothing', async () => {
    const database = await seeded();
    const before = await snapshot(server.admin(), database);
    const again = await load(database, SEED_DIR);
    expect(again.ok).toBe(true);
    for (const table of again.tables) expect([table.inserted, table.updated, table.unchanged]).toEqual([0, 0, table.read]);
    expect(await snapshot(server.admin(), database)).toEqual(before);
  });

  test('a changed row is updated; rows missing from the files stay unless --prune', async () => {
    const database = await seeded();
    const dir = seedCopy({
      insurance: (text) => replaceLine(text, 2, 'INS1,"Blue Shield Gold"'),
      account: (text) => text.split('\n').slice(0, -2).join('\n') + '\n',
    });
    const kept = await load(database, dir);
    expect(kept.tables.find((t) => t.table === 'insurance')).toMatchObject({ updated: 1, unchanged: 4, inserted: 0 });
    expect((await rowsOf(database, 'SELECT COUNT(*) n FROM account'))[0].n).toBe(250);
    const pruned = await load(database, dir, { prune: true });
    expect(pruned.tables.find((t) => t.table === 'account')).toMatchObject({ pruned: 1 });
    expect((await rowsOf(database, 'SELECT COUNT(*) n FROM account'))[0].n).toBe(249);
    expect((await rowsOf(database, "SELECT plan FROM insurance WHERE insid = 'INS1'"))[0].plan).toBe('Blue Shield Gold');
  });

  test('a dry run validates everything and writes nothing, not even the schema', async () => {
    const database = await freshDatabase(server.admin());
    const report = await load(database, SEED_DIR, { dryRun: true });
    expect(report).toMatchObject({ ok: true, dryRun: true, createdTables: [] });
    expect(await snapshot(server.admin(), database)).toEqual({});
  });

  test('a database whose schema differs from the contract is refused before anything is read', async () => {
    const database = await seeded();
    await server.admin().query(`ALTER TABLE ${database}.patient ADD COLUMN notes TEXT`);
    const before = await snapshot(server.admin(), database);
    const report = await load(database, SEED_DIR);
    expect(report.ok).toBe(false);
    expect(report.schemaDifferences[0]).toMatch(/^patient: columns are \(person_id, .*notes\), the contract has/);
    expect(await snapshot(server.admin(), database)).toEqual(before);
  });

  test('killing the connection mid-load leaves no partial data, and a re-run completes', async () => {
    const database = await seeded();
    const dir = seedCopy({
      insurance: (text) => `${text}INS6,"New Plan"\n`,
      patient: (text) => replaceLine(text, 3, lineOf(text, 3).replace(/,INS\d$/, ',INS6')),
    });
    const before = await snapshot(server.admin(), database);
    const connection = await server.db().connect(database);
    const [[{ id }]] = (await connection.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
    const { files } = selectInputFiles(CLINIC_TABLES, dir, []);
    await expect(
      loadClinicData({
        connection,
        database,
        tables: CLINIC_TABLES,
        files,
        onProgress: async ({ phase, table }) => {
          if (phase === 'merged' && table === 'patient') await server.admin().query(`KILL CONNECTION ${id}`);
        },
      }),
    ).rejects.toThrow();
    await connection.end().catch(() => undefined);
    expect(await snapshot(server.admin(), database)).toEqual(before);
    const rerun = await load(database, dir);
    expect(rerun.ok).toBe(true);
    expect(rerun.tables.find((t) => t.table === 'insurance')).toMatchObject({ inserted: 1 });
    expect(rerun.tables.find((t) => t.table === 'patient')).toMatchObject({ updated: 1 });
  });

  const header = (table: string): string => lineOf(readFileSync(join(SEED_DIR, `${table}.csv`), 'utf8'), 1);
  const columnOfField = (line: string, field: number): number => {
    let column = 1;
    let quoted = false;
    let index = 0;
    for (let i = 0; i < line.length && index < field; i += 1) {
      if (line[i] === '"') quoted = !quoted;
      if (line[i] === ',' && !quoted) {
        index += 1;
        column = i + 2;
      }
    }
    return column;
  };

  type BadCase = [string, string, (text: string) => string | Buffer, (text: string) => RegExp];
  const badInputs: BadCase[] = [
    [
      'a missing header column',
      'patient',
      (t) => replaceLine(t, 1, header('patient').replace(',zip', '')),
      () => new RegExp(`patient\\.csv:1:${header('patient').indexOf('insurance') - 3}: header is missing column\\(s\\) zip`),
    ],
    [
      'an extra header column',
      'insurance',
      (t) => replaceLine(t, 1, 'insid,plan,notes'),
      () => /insurance\.csv:1:12: unexpected column "notes"/,
    ],
    [
      'reordered header columns',
      'employee',
      (t) => replaceLine(t, 1, header('employee').replace('first_name,last_name', 'last_name,first_name')),
      () => /employee\.csv:1:13: header columns are out of order/,
    ],
    ['a wrong field count', 'insurance', (t) => replaceLine(t, 3, 'INS2'), () => /insurance\.csv:3:1: expected 2 fields, found 1/],
    [
      'an impossible date',
      'patient',
      (t) => replaceLine(t, 4, lineOf(t, 4).replace(/,[0-9]+\/[0-9]+\/[0-9]{4},/, ',2/30/1990,')),
      (t) => new RegExp(`patient\\.csv:4:${columnOfField(lineOf(t, 4), 4)}: "2/30/1990" is not a real calendar date`),
    ],
    [
      'a bad time',
      'appointment',
      (t) => replaceLine(t, 5, lineOf(t, 5).replace(/"[0-9]+:[0-9]{2} [AP]M"/, '"13:15 PM"')),
      (t) => new RegExp(`appointment\\.csv:5:${columnOfField(lineOf(t, 5), 3)}: "13:15 PM" is not a valid time of day`),
    ],
    [
      'bad money',
      'account',
      (t) => replaceLine(t, 6, lineOf(t, 6).replace(/\$[0-9.]+$/, '$12.345')),
      (t) => new RegExp(`account\\.csv:6:${columnOfField(lineOf(t, 6), 4)}: "\\$12\\.345" is not an amount`),
    ],
    [
      'an overlong value',
      'employee',
      (t) => replaceLine(t, 2, lineOf(t, 2).replace(/^E0001,[^,]+,/, `E0001,${'X'.repeat(51)},`)),
      () => /employee\.csv:2:7: first_name is 51 characters, longer than the 50 allowed/,
    ],
    [
      'an unknown enum value',
      'employee',
      (t) => replaceLine(t, 3, lineOf(t, 3).replace(/,[a-z]+$/, ',surgeon')),
      (t) =>
        new RegExp(
          `employee\\.csv:3:${columnOfField(lineOf(t, 3), 5)}: "surgeon" is not one of "admin", "assistant", "physician", "nurse"`,
        ),
    ],
    [
      'a duplicate key',
      'patient',
      (t) => `${t}${lineOf(t, 6)}\n`,
      () => /patient\.csv:502:1: duplicate person_id "PER5" \(first at line 6\)/,
    ],
    [
      'a dangling foreign key',
      'encounter',
      (t) => replaceLine(t, 7, lineOf(t, 7).replace(/,PER[0-9]+,/, ',PER99999,')),
      () => /encounter\.csv:7:6: patient "PER99999" matches no patient\.person_id in this run or the database/,
    ],
    ['an empty file', 'appointment', () => '', () => /appointment\.csv:1:1: file is empty; expected the header appId,physician/],
    ['a header only', 'account', (t) => `${lineOf(t, 1)}\n`, () => /account\.csv:2:1: the file has a header but no data rows/],
    [
      'a BOM before a bad value (columns not shifted)',
      'insurance',
      (t) => `\ufeff${replaceLine(t, 2, 'INS1,')}`,
      () => /insurance\.csv:2:6: plan is required/,
    ],
    [
      'CRLF line endings before a bad value',
      'insurance',
      (t) => replaceLine(t, 4, 'INS3,"  "').replace(/\n/g, '\r\n'),
      () => /insurance\.csv:4:6: plan is blank/,
    ],
    [
      'invalid UTF-8',
      'employee',
      (t) =>
        Buffer.concat([
          Buffer.from(t.split('\n').slice(0, 2).join('\n') + '\nE0002,Jo'),
          Buffer.from([0xff]),
          Buffer.from(
            'se,' +
              t
                .split('\n')
                .slice(2)
                .join('\n')
                .replace(/^[^\n]*?,[^,]*,/, ''),
          ),
        ]),
      () => /employee\.csv:3:9: invalid UTF-8 byte 0xff/,
    ],
    [
      'an unterminated quote',
      'insurance',
      (t) => replaceLine(t, 5, 'INS4,"Medicaid'),
      () => /insurance\.csv:5:6: quoted field is not closed/,
    ],
    [
      'an unterminated quote at the end of the file',
      'insurance',
      (t) => `${t}INS6,"Open`,
      () => /insurance\.csv:7:6: quoted field is not closed/,
    ],
    [
      'a quoted line break in a value (later lines still counted right)',
      'insurance',
      (t) => replaceLine(replaceLine(t, 2, 'INS1,"Blue\nShield"'), 4, 'INS3,'),
      () => /insurance\.csv:2:6: plan contains a line break/,
    ],
    [
      'a zip code of four digits',
      'patient',
      (t) => replaceLine(t, 8, lineOf(t, 8).replace(/,[0-9]{5},INS/, ',1234,INS')),
      (t) => new RegExp(`patient\\.csv:8:${columnOfField(lineOf(t, 8), 6)}: "1234" is not a 5-digit zip code`),
    ],
    [
      'a malformed phone number',
      'employee',
      (t) => replaceLine(t, 4, lineOf(t, 4).replace(/[0-9]{3}-[0-9]{3}-[0-9]{4}/, '5551234567')),
      (t) => new RegExp(`employee\\.csv:4:${columnOfField(lineOf(t, 4), 4)}: "5551234567" is not a phone number NNN-NNN-NNNN`),
    ],
    [
      'an id of the wrong table',
      'appointment',
      (t) => replaceLine(t, 2, lineOf(t, 2).replace(/,E[0-9]+,/, ',PER1,')),
      () => /appointment\.csv:2:7: "PER1" is not an id E<number>/,
    ],
    [
      'a date in another format',
      'account',
      (t) => replaceLine(t, 2, lineOf(t, 2).replace(/,INS([0-9]),[0-9/]+,/, ',INS$1,2025-01-02,')),
      () => /account\.csv:2:14: "2025-01-02" is not a date M\/D\/YYYY/,
    ],
  ];

  describe('bad input', () => {
    let database: string;
    let before: Record<string, string>;
    beforeAll(async () => {
      database = await seeded();
      before = await snapshot(server.admin(), database);
    });

    test.each(badInputs)('%s gives the precise error and leaves the database unchanged', async (_case, table, edit, expected) => {
      const dir = seedCopy({ [table]: edit });
      const text = readFileSync(join(dir, `${table}.csv`), 'latin1');
      const report = await load(database, dir);
      expect(report.ok).toBe(false);
      expect(report.errors.map(formatError).join('\n')).toMatch(expected(text));
      expect(await snapshot(server.admin(), database)).toEqual(before);
    });
  });

  test.each([
    [
      'a duplicate key',
      'patient',
      (t: string) => `${t}${lineOf(t, 6)}\n`,
      /patient\.csv:502:1: duplicate person_id "PER5" \(first at line 6\)/,
    ],
    [
      'a dangling foreign key',
      'encounter',
      (t: string) => replaceLine(t, 7, lineOf(t, 7).replace(/,PER[0-9]+,/, ',PER99999,')),
      /encounter\.csv:7:6: patient "PER99999" matches no patient\.person_id/,
    ],
  ])(
    'on a first load straight into empty tables, %s rejected by the server is still located, and nothing remains',
    async (_case, table, edit, expected) => {
      const database = await freshDatabase(server.admin());
      const report = await load(database, seedCopy({ [table]: edit }));
      expect(report.ok).toBe(false);
      expect(report.errors.map(formatError).join('\n')).toMatch(expected);
      expect(report.createdTables).toEqual([]);
      expect(await snapshot(server.admin(), database)).toEqual({});
    },
  );

  test('the quoted line break shifts the following line numbers correctly', async () => {
    const database = await seeded();
    const dir = seedCopy({ insurance: (t) => replaceLine(replaceLine(t, 2, 'INS1,"Blue\nShield"'), 4, 'INS3,') });
    const report = await load(database, dir);
    expect(report.errors.map(formatError)).toEqual([
      expect.stringMatching(/insurance\.csv:2:6: plan contains a line break/),
      expect.stringMatching(/insurance\.csv:4:6: plan is required/),
    ]);
  });

  test('errors stop at --max-errors', async () => {
    const database = await freshDatabase(server.admin());
    const dir = seedCopy({ patient: (t) => t.replace(/,INS[0-9],?/g, (m) => m.replace(/INS[0-9]/, 'INSX')) });
    const report = await load(database, dir, { maxErrors: 7 });
    expect(report.errors).toHaveLength(7);
  });
});
