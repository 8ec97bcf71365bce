/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { CLINIC_TABLES, isSeeded } from '../../../contract/clinic';
import { EnvironmentError, InputError } from '../../../scripts/cli/errors';
import { formatError } from '../../../scripts/seed/csv-validation';
import { generateSeed } from '../../../scripts/seed/generator';
import { selectInputFiles } from '../../../scripts/seed/input-files';
import { LoadMethod, LoadOptions, LoadReport, TableFile, loadClinicData } from '../../../scripts/seed/loader';
import { SEED_DIR, freshDatabase, lineOf, replaceLine, seedCopy, snapshot, useLocalMariadb } from '../../helpers/mariadb';
import { unreadableFile } from '../../helpers/unreadable';

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
    'on a first load straight into empty tables, %s is found before any row is sent, and nothing remains',
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

  test('a value that differs only in trailing spaces is updated, and then unchanged', async () => {
    const database = await seeded();
    const dir = seedCopy({ insurance: (text) => replaceLine(text, 2, `${lineOf(text, 2).replace(/"$/, '  "')}`) });
    const first = await load(database, dir);
    expect(first.tables.find((t) => t.table === 'insurance')).toMatchObject({ updated: 1, unchanged: 4 });
    expect(
      (
        await rowsOf(database, "SELECT LENGTH(plan) - LENGTH(TRIM(TRAILING ' ' FROM plan)) AS spaces FROM insurance WHERE insid = 'INS1'")
      )[0].spaces,
    ).toBe(2);
    const again = await load(database, dir);
    expect(again.tables.find((t) => t.table === 'insurance')).toMatchObject({ updated: 0, unchanged: 5 });
  });

  test.each([
    ['a NUL', '\0', 'U+0000'],
    ['an escape character', '\u001b', 'U+001B'],
  ])('%s in a value is refused, located, and nothing is stored', async (_case, character, code) => {
    const database = await freshDatabase(server.admin());
    const dir = seedCopy({ patient: (text) => replaceLine(text, 3, lineOf(text, 3).replace(/^(PER2,)([^,]+),/, `$1$2${character},`)) });
    const report = await load(database, dir);
    const text = readFileSync(join(dir, 'patient.csv'), 'utf8');
    expect(report.errors.map(formatError)).toEqual([
      `${join(dir, 'patient.csv')}:3:6: first_name contains the control character ${code} at character ${lineOf(text, 3).split(',')[1].length}`,
    ]);
    expect(await snapshot(server.admin(), database)).toEqual({});
  });

  test('a tab in a value is data: stored as it is', async () => {
    const database = await freshDatabase(server.admin());
    const dir = seedCopy({ patient: (text) => replaceLine(text, 2, lineOf(text, 2).replace(/,"([^"]+)",/, ',"$1\tApt 4",')) });
    expect((await load(database, dir)).ok).toBe(true);
    expect((await rowsOf(database, "SELECT address FROM patient WHERE person_id = 'PER1'"))[0].address).toMatch(/\tApt 4$/);
  });

  test('validating on threads loads exactly what validating on this thread loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loader-threads-'));
    try {
      await generateSeed({ outDir: dir, scale: 20 });
      const checksums: Record<string, string>[] = [];
      for (const threads of [0, 2]) {
        const database = await freshDatabase(server.admin());
        expect((await load(database, dir, { threads })).ok).toBe(true);
        checksums.push(await snapshot(server.admin(), database));
      }
      expect(checksums[1]).toEqual(checksums[0]);
      expect(checksums[0].patient).toMatch(/^10000:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('errors stop at --max-errors', async () => {
    const database = await freshDatabase(server.admin());
    const dir = seedCopy({ patient: (t) => t.replace(/,INS[0-9],?/g, (m) => m.replace(/INS[0-9]/, 'INSX')) });
    const report = await load(database, dir, { maxErrors: 7 });
    expect(report.errors).toHaveLength(7);
  });
});

describe('faults: each ends within 5 s, says what happened and where, and leaves the database exactly as it was', () => {
  const server = useLocalMariadb();
  /** A failed first load drops the tables it created, children first: the contract's order reversed. */
  const createdInReverse = [...CLINIC_TABLES]
    .reverse()
    .map((t) => t.name)
    .join(', ');
  const work = mkdtempSync(join(tmpdir(), 'loader-faults-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Every table of the database (contract tables or not) with its engine and CHECKSUM TABLE. */
  const state = async (database: string): Promise<Record<string, string>> => {
    const [tables] = await server
      .admin()
      .query<
        RowDataPacket[]
      >('SELECT TABLE_NAME AS name, ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database]);
    const found: Record<string, string> = {};
    for (const { name, engine } of tables) {
      const [[checksum]] = await server.admin().query<RowDataPacket[]>(`CHECKSUM TABLE ${database}.${String(name)}`);
      found[String(name)] = `${String(engine)}:${String(checksum.Checksum)}`;
    }
    return found;
  };
  /** A fresh database, or one holding the committed seed. */
  const databases = async (): Promise<{ fresh: string; seeded: string }> => {
    const fresh = await freshDatabase(server.admin());
    const seeded = await freshDatabase(server.admin());
    const connection = await server.db().connect(seeded);
    try {
      const { files } = selectInputFiles(CLINIC_TABLES, SEED_DIR, []);
      expect((await loadClinicData({ connection, database: seeded, tables: CLINIC_TABLES, files })).ok).toBe(true);
    } finally {
      await connection.end();
    }
    return { fresh, seeded };
  };
  /**
   * A patient export of `rows` rows (PER1 up, so the seed's encounters still find their patients), large enough to
   * be validated on threads while earlier chunks are already streaming into the server.
   */
  const patients = (name: string, rows: number, edit: (line: number, text: string) => string = (_, text) => text): string => {
    const lines = ['person_id,first_name,last_name,email,dob,address,zip,insurance'];
    for (let n = 1; n <= rows; n += 1) {
      lines.push(edit(n + 1, `PER${n},Ann,Lee,ann${n}@example.com,1/${(n % 28) + 1}/1990,"${n} Main Street",02139,INS${(n % 5) + 1}`));
    }
    const path = join(work, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };
  const seedFiles = (replace: Record<string, string> = {}): TableFile[] =>
    CLINIC_TABLES.filter(isSeeded).map((table) => ({ table, path: replace[table.name] ?? join(SEED_DIR, `${table.name}.csv`) }));
  const timed = async <T>(run: () => Promise<T>): Promise<{ outcome: T | Error; seconds: number }> => {
    const started = Date.now();
    const outcome = await run().catch((error: Error) => error);
    return { outcome, seconds: (Date.now() - started) / 1000 };
  };
  const loadInto = (database: string, files: readonly TableFile[], extra: Partial<LoadOptions> = {}) =>
    timed(async () => {
      const connection = await server.db().connect(database);
      try {
        return await loadClinicData({ connection, database, tables: CLINIC_TABLES, files, ...extra });
      } finally {
        await connection.end().catch(() => undefined);
      }
    });

  test.each(['fresh', 'seeded'] as const)(
    'a bare quote deep in a large file (%s database): the open LOAD DATA is ended, rolled back and located',
    async (kind) => {
      const database = (await databases())[kind];
      const path = patients(`bare-quote-${kind}.csv`, 12_000, (line, text) =>
        line === 8000 ? text.replace(',Ann,', ',Bob "Bobby",') : text,
      );
      const before = await state(database);
      const { outcome, seconds } = await loadInto(database, seedFiles({ patient: path }), { threads: 2 });
      expect(outcome).toMatchObject({ ok: false, createdTables: [], notRestored: [] });
      const report = outcome as LoadReport;
      expect(report.errors.map(formatError)).toEqual([
        `${path}:8000:${'PER7999,Bob '.length + 1}: a quote inside an unquoted value: quote the whole value and double each quote in it, as in "Bob ""Bobby"""`,
      ]);
      expect(report.droppedTables).toEqual(kind === 'fresh' ? createdInReverse.split(', ') : []);
      expect(await state(database)).toEqual(before);
      expect(seconds).toBeLessThan(5);
    },
  );

  const unreadable: [string, () => string, RegExp][] = [
    [
      'a missing file',
      () => join(work, 'nope.csv'),
      /nope\.csv:1:1: cannot open the file: it does not exist \(the patient file\); nothing was changed$/,
    ],
    [
      'a folder',
      () => (mkdirSync(join(work, 'folder.csv'), { recursive: true }), join(work, 'folder.csv')),
      /folder\.csv:1:1: cannot open the file: it is a folder, not a file \(the patient file\); nothing was changed$/,
    ],
    [
      'a file this process may not read',
      () => unreadableFile(work),
      /:1:1: cannot open the file: it is not readable \(the patient file\); nothing was changed$/,
    ],
  ];
  test.each(unreadable)('%s given to the loader is an input error before anything is touched', async (_case, path, message) => {
    const { fresh, seeded } = await databases();
    for (const database of [fresh, seeded]) {
      const before = await state(database);
      const { outcome, seconds } = await loadInto(database, seedFiles({ patient: path() }));
      expect(outcome).toBeInstanceOf(InputError);
      expect((outcome as Error).message).toMatch(message);
      expect(await state(database)).toEqual(before);
      expect(seconds).toBeLessThan(5);
    }
  });

  test.each(['fresh', 'seeded'] as const)(
    'a file that fails while being read (%s database) is an input error at its line; the run is undone',
    async (kind) => {
      const database = (await databases())[kind];
      const before = await state(database);
      // /proc/self/mem opens as a regular file, and reading it fails with EIO, whoever runs the test.
      const { outcome, seconds } = await loadInto(database, seedFiles({ patient: '/proc/self/mem' }));
      expect(outcome).toBeInstanceOf(InputError);
      expect((outcome as Error).message).toMatch(
        kind === 'fresh'
          ? new RegExp(
              `^/proc/self/mem:1:1: reading stopped here: .*EIO.*; the transaction was rolled back and the tables this run created \\(${createdInReverse}\\) were dropped; the database is as it was$`,
            )
          : /^\/proc\/self\/mem:1:1: reading stopped here: .*EIO.*; the transaction was rolled back; the database is as it was$/,
      );
      expect(await state(database)).toEqual(before);
      expect(seconds).toBeLessThan(5);
    },
  );

  test('a connection killed mid-load (fresh database): the failure is reported at once, and the created tables are dropped', async () => {
    const database = await freshDatabase(server.admin());
    const path = patients('killed.csv', 200_000);
    const before = await state(database);
    const connection = await server.db().connect(database);
    const [[{ id }]] = await connection.query<RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
    let killedAt = 0;
    const { outcome } = await timed(() =>
      loadClinicData({
        connection,
        database,
        tables: CLINIC_TABLES,
        files: seedFiles({ patient: path }),
        onProgress: async ({ phase, table, rows }) => {
          if (phase !== 'validate' || table !== 'patient' || rows < 100_000 || killedAt > 0) return;
          await server.admin().query(`KILL CONNECTION ${Number(id)}`);
          killedAt = Date.now();
        },
      }),
    );
    const secondsAfterKill = (Date.now() - killedAt) / 1000;
    await connection.end().catch(() => undefined);
    expect(killedAt).toBeGreaterThan(0);
    expect(outcome).toBeInstanceOf(EnvironmentError);
    expect((outcome as Error).message).toMatch(
      new RegExp(
        `^${path.replace(/[.]/g, '\\.')}:[0-9]+:1 \\(patient\\): lost the connection to the server \\(.+\\); nothing was committed \\(the server rolls back the open transaction of a connection that ends\\) and the tables this run created \\(${createdInReverse}\\) were dropped; the database is as it was$`,
      ),
    );
    expect(await state(database)).toEqual(before);
    expect(secondsAfterKill).toBeLessThan(5);
  });

  test.each(['fresh', 'seeded'] as const)(
    'a 50 MB field (%s database) is refused naming the field, without reading it whole, and nothing changes',
    async (kind) => {
      const database = (await databases())[kind];
      const path = patients(`huge-field-${kind}.csv`, 30_000, (line, text) =>
        line === 20_000 ? text.replace(',Lee,', `,${'x'.repeat(50_000_000)},`) : text,
      );
      const before = await state(database);
      const { outcome, seconds } = await loadInto(database, seedFiles({ patient: path }), { threads: 2 });
      const report = outcome as LoadReport;
      expect(report.ok).toBe(false);
      expect(report.errors.map(formatError)).toEqual([
        `${path}:20000:${'PER19999,Ann,'.length + 1}: last_name makes the record longer than 1 MiB, the longest the loader reads (no column holds more than a few hundred characters)`,
      ]);
      expect(await state(database)).toEqual(before);
      expect(seconds).toBeLessThan(5);
    },
  );

  test('20,000 duplicate keys are all found in one pass, within 5 s', async () => {
    const database = await freshDatabase(server.admin());
    const path = patients('duplicates.csv', 40_000, (line, text) =>
      line > 20_001 ? text.replace(/^PER[0-9]+,/, `PER${line - 20_001},`) : text,
    );
    const { outcome, seconds } = await loadInto(database, seedFiles({ patient: path }), { maxErrors: 100_000 });
    const report = outcome as LoadReport;
    expect(report.ok).toBe(false);
    expect(report.errors).toHaveLength(20_000);
    expect(formatError(report.errors[0])).toBe(`${path}:20002:1: duplicate person_id "PER1" (first at line 2)`);
    expect(formatError(report.errors[19_999])).toBe(`${path}:40001:1: duplicate person_id "PER20000" (first at line 20001)`);
    expect(report.tables.find((t) => t.table === 'patient')).toMatchObject({ read: 40_000, rejected: 20_000 });
    expect(await state(database)).toEqual({});
    expect(seconds).toBeLessThan(5);
  });
});
