import { grantsFromContract } from '../../helpers/grants';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Connection } from 'mysql2/promise';
import { DuckDBInstance } from '@duckdb/node-api';
import { CLINIC_TABLES, Column, SMOKE_PROBE_TABLE, SqlType, Table, isSeeded, tableNamed } from '../../../contract/clinic';
import * as lake from '../../../contract/lake';
import { changeLogCatalogColumns, currentCatalogColumns } from '../../../contract/merge';
import {
  DuckDbLake,
  changeLogColumnsSql,
  exportLikeDms,
  glueTypeOfDuckdb,
  loadFile,
  mappedTables,
  parquetType,
  tableFolder,
} from '../../../scripts/local/duckdb-lake';
import { QueryFailed } from '../../../scripts/smoke/engines';
import { Deadline, realClock } from '../../../scripts/smoke/waiting';
import { SqlValue, validateCsvFile } from '../../../scripts/seed/csv-validation';
import { SEED_DIR } from '../../helpers/mariadb';

/*
 * Type mappings, table selection, and the export and lake over a stand-in for MySQL: the committed seed, converted as
 * the loader converts it, streamed the way mysql2 streams a query. The export from a real MariaDB is covered by
 * rehearsal.test.ts, an integration suite.
 */

const columnOf = (type: SqlType): Column => ({
  name: 'c',
  type,
  nullable: false,
  csv: { kind: 'text' },
  classification: 'phi',
  description: '',
});

describe('types', () => {
  test.each([
    ['varchar', { kind: 'varchar', length: 50 }, 'VARCHAR'],
    ['char', { kind: 'char', length: 5 }, 'VARCHAR'],
    ['enum', { kind: 'enum', values: ['a', 'b'] }, 'VARCHAR'],
    ['time (text, as in Glue)', { kind: 'time' }, 'VARCHAR'],
    ['date', { kind: 'date' }, 'DATE'],
    ['datetime', { kind: 'datetime' }, 'TIMESTAMP'],
    ['decimal', { kind: 'decimal', precision: 10, scale: 2 }, 'DECIMAL(10,2)'],
    ['another decimal', { kind: 'decimal', precision: 18, scale: 4 }, 'DECIMAL(18,4)'],
  ] as const)('a %s column is written to Parquet as %s', (_case, type, parquet) => {
    expect(parquetType(columnOf(type))).toBe(parquet);
  });

  test.each([
    ['VARCHAR', 'string'],
    ['DATE', 'date'],
    ['DECIMAL(10,2)', 'decimal(10,2)'],
    ['TIMESTAMP', 'timestamp'],
    ['TIMESTAMP WITH TIME ZONE', 'timestamp'],
    ['BIGINT', 'bigint'],
    ['DOUBLE', 'double'],
  ])('DuckDB %s reads back as Glue %s', (duckdb, glue) => {
    expect(glueTypeOfDuckdb(duckdb)).toBe(glue);
  });

  test.each(CLINIC_TABLES.flatMap((t) => t.columns.map((c) => [`${t.name}.${c.name}`, c] as const)))(
    '%s: the local catalog type is the Glue type the real catalog declares',
    (_name, column) => {
      expect(glueTypeOfDuckdb(parquetType(column))).toBe(lake.glueType(column.type));
    },
  );
});

describe('the tables exported', () => {
  afterEach(() => jest.restoreAllMocks());

  test('are the tables the DMS mappings include, in contract order', () => {
    expect(mappedTables(CLINIC_TABLES)).toEqual(CLINIC_TABLES);
    const some = [tableNamed('account'), tableNamed('patient')];
    expect(mappedTables(some)).toEqual(some);
  });

  test('a table the mappings exclude or do not name is not exported', () => {
    jest.spyOn(lake, 'dmsTableMappings').mockReturnValue({
      rules: [
        {
          'rule-type': 'selection',
          'rule-id': '1',
          'object-locator': { 'schema-name': 'unicornhealth', 'table-name': 'account' },
          'rule-action': 'include',
        },
        {
          'rule-type': 'selection',
          'rule-id': '2',
          'object-locator': { 'schema-name': 'unicornhealth', 'table-name': 'patient' },
          'rule-action': 'exclude',
        },
        {
          'rule-type': 'selection',
          'rule-id': '3',
          'object-locator': { 'schema-name': 'unicornhealth', 'table-name': 'insurance' },
          'rule-action': 'include',
        },
      ],
    });
    expect(mappedTables(CLINIC_TABLES).map((t) => t.name)).toEqual(['insurance', 'account']);
  });
});

describe('a DMS-like export and the lake over it', () => {
  const work = mkdtempSync(join(tmpdir(), 'duckdb-lake-'));
  const lakeDir = join(work, 'lake');
  const seed: Record<string, SqlValue[][]> = {};
  const queries: { sql: string; rowsAsArray: boolean }[] = [];
  const exportedTables: [string, number][] = [];
  const SNAPSHOT_TIME = '2026-11-30 10:15:00.123456';
  let counts: Record<string, number>;

  /**
   * What mysql2 gives the export: the snapshot time through the promise API, and each table's rows through
   * `connection.query({ sql, rowsAsArray }).stream()`.
   */
  const source = {
    query: async () => [[{ now: SNAPSHOT_TIME }]],
    connection: {
      query: (query: { sql: string; rowsAsArray: boolean }) => {
        queries.push(query);
        const table = /FROM `([a-z_]+)`$/.exec(query.sql)![1];
        return { stream: () => Readable.from(seed[table], { objectMode: true }) };
      },
    },
  } as unknown as Connection;

  beforeAll(async () => {
    // The probe rows earlier smoke runs left, as MySQL gives them to the export (no CSV: the clinic does not export it).
    seed[SMOKE_PROBE_TABLE] = [
      ['4b0d8d0a-3c0e-4f6e-9a51-0c2f4f1b7e10', '2026-11-30 10:14:07', 'release smoke run'],
      ['9e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b', '2026-12-01 08:00:59', 'release smoke run'],
    ];
    for (const table of CLINIC_TABLES.filter(isSeeded)) {
      seed[table.name] = [];
      await validateCsvFile(join(SEED_DIR, `${table.name}.csv`), table, {
        maxErrors: 1,
        onRow: (row) => void seed[table.name].push(row.values),
      });
    }
    counts = await exportLikeDms({ source, tables: CLINIC_TABLES, lakeDir, workDir: work, onTable: (t, n) => exportedTables.push([t, n]) });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const parquet = async <T>(read: (duck: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<T>): Promise<T> => {
    const instance = await DuckDBInstance.create(':memory:');
    const duck = await instance.connect();
    try {
      return await read(duck);
    } finally {
      duck.closeSync();
      instance.closeSync();
    }
  };
  const rowsOf = (sql: string): Promise<string[][]> =>
    parquet(async (duck) =>
      (await duck.runAndReadAll(sql)).getRows().map((row) => row.map((v) => (v === null ? 'NULL' : String(v as string)))),
    );

  test('every table is exported with its row count, reported as it goes', () => {
    const expected = CLINIC_TABLES.map((t): [string, number] => [t.name, seed[t.name].length]);
    expect(Object.entries(counts)).toEqual(expected);
    expect(exportedTables).toEqual(expected);
    expect(expected.every(([, n]) => n > 0)).toBe(true);
  });

  test('each table is read once, as arrays, every column in contract order as the text the lake casts from', () => {
    expect(queries.map((q) => q.rowsAsArray)).toEqual(CLINIC_TABLES.map(() => true));
    const appointment = queries.find((q) => q.sql.endsWith('FROM `appointment`'))!;
    expect(appointment.sql).toBe(
      "SELECT CAST(`appId` AS CHAR), CAST(`physician` AS CHAR), DATE_FORMAT(`app_date`, '%Y-%m-%d'), TIME_FORMAT(`app_time`, '%H:%i:%s'), CAST(`scheduled_by` AS CHAR) FROM `appointment`",
    );
  });

  test.each(CLINIC_TABLES.map((t) => [t.name, t] as const))(
    '%s: one full-load file under <raw>/<schema>/<table>/: DMS columns, then the row image with the Parquet types DMS writes',
    async (name, table: Table) => {
      const file = loadFile(lakeDir, 'raw', name);
      expect(file).toBe(join(lakeDir, 'raw', lake.SOURCE_SCHEMA, name, 'LOAD00000001.parquet'));
      expect(existsSync(file)).toBe(true);
      const described = await parquet(async (duck) =>
        (await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjects(),
      );
      expect(described.map((c) => [c.column_name, c.column_type])).toEqual([
        ['Op', 'VARCHAR'],
        ['dms_commit_ts', 'VARCHAR'],
        ['dms_change_seq', 'VARCHAR'],
        ...table.columns.map((c) => [c.name.toLowerCase(), parquetType(c)]),
      ]);
    },
  );

  test('every full-load row is an insert at the snapshot time with an empty change sequence', async () => {
    for (const table of CLINIC_TABLES) {
      const kinds = await rowsOf(
        `SELECT "Op", dms_commit_ts, dms_change_seq, count(*) FROM read_parquet('${loadFile(lakeDir, 'raw', table.name)}') GROUP BY ALL`,
      );
      expect([table.name, kinds]).toEqual([table.name, [['I', SNAPSHOT_TIME, '', String(seed[table.name].length)]]]);
    }
  });

  test('values arrive unchanged: dates, times, date-times, money, text', async () => {
    for (const name of ['account', 'appointment', 'patient', SMOKE_PROBE_TABLE]) {
      const rows = await rowsOf(
        `SELECT * EXCLUDE ("Op", dms_commit_ts, dms_change_seq) FROM read_parquet('${loadFile(lakeDir, 'raw', name)}')`,
      );
      expect([name, rows]).toEqual([name, seed[name].map((row) => row.map(String))]);
    }
  });

  describe('DuckDbLake', () => {
    const DATABASES = { current: 'clinic', changeLog: 'clinic_changes' };
    let duckLake: DuckDbLake;
    beforeAll(async () => {
      duckLake = await DuckDbLake.open({ lakeDir, tables: CLINIC_TABLES });
      for (const table of duckLake.logged) await duckLake.merge(table, 'full load');
      await duckLake.createPersonaSchema('analyst', grantsFromContract(CLINIC_TABLES).get('analyst')!);
    });
    afterAll(() => duckLake?.close());

    test('its catalog lists the current tables and the change-log tables, each in its database, with Glue types', async () => {
      const catalog = await duckLake.catalog(DATABASES);
      const glue = (columns: { name: string; type: string }[]) => columns.map((c) => ({ name: c.name, type: c.type }));
      expect(catalog).toEqual([
        ...CLINIC_TABLES.map((t) => ({ database: 'clinic', name: t.name, columns: glue(currentCatalogColumns(t)) })),
        ...CLINIC_TABLES.map((t) => ({ database: 'clinic_changes', name: t.name, columns: glue(changeLogCatalogColumns(t)) })),
      ]);
    });

    test('the merge of the full load fills the current tables; merging again changes nothing', async () => {
      const patient = tableNamed('patient');
      expect(await duckLake.merge(patient, 'change log')).toEqual({ inserted: 0, updated: 0, deleted: 0 });
      const engine = duckLake.engine('athena (duckdb)');
      expect(
        await engine.query('SELECT COUNT(*) AS n, COUNT(DISTINCT last_change_seq) AS seqs FROM patient', Deadline.in(realClock, 60_000)),
      ).toEqual([{ n: String(seed.patient.length), seqs: '1' }]);
    });

    test('an engine answers queries with every value as text or null', async () => {
      const engine = duckLake.engine('athena (duckdb)');
      expect(engine.name).toBe('athena (duckdb)');
      expect(await engine.query('SELECT COUNT(*) AS n, NULL AS nothing FROM patient', Deadline.in(realClock, 60_000))).toEqual([
        { n: String(seed.patient.length), nothing: null },
      ]);
    });

    test('the governed schema holds only the granted columns of the current table: a direct identifier fails like in Athena', async () => {
      const analyst = duckLake.engine('analyst (duckdb)', 'analyst');
      const granted = lake.grantableColumns(tableNamed('patient')).map((c) => c.name.toLowerCase());
      const [row] = await analyst.query('SELECT * FROM analyst.patient LIMIT 1', Deadline.in(realClock, 60_000));
      expect(Object.keys(row)).toEqual(granted);
      const refused = analyst.query('SELECT first_name FROM analyst.patient LIMIT 1', Deadline.in(realClock, 60_000));
      await expect(refused).rejects.toThrow(QueryFailed);
      await expect(refused).rejects.toMatchObject({ engine: 'analyst (duckdb)', reason: expect.stringMatching(/first_name/) });
    });
  });

  describe('a change log beside the full load', () => {
    const insurance = tableNamed('insurance');
    const seq = (n: number): string => `2026113010150012${String(n).padStart(19, '0')}`;
    type Change = [op: string, sequence: string, insid: string, plan: string];

    /** A copy of the exported lake with CDC files of insurance changes, one file per list, written as DMS writes them. */
    async function lakeWith(...files: Change[][]): Promise<DuckDbLake> {
      const copy = mkdtempSync(join(work, 'changes-'));
      cpSync(lakeDir, copy, { recursive: true });
      await parquet(async (duck) => {
        for (const [index, changes] of files.entries()) {
          const values = changes.map(([op, sequence, insid, plan]) => `('${op}', '${sequence}', '${insid}', '${plan}')`).join(', ');
          const columns = changeLogColumnsSql(
            insurance,
            { operation: 'op', commitTime: "'2026-11-30 10:15:00.120000'", changeSequence: 'seq' },
            (c) => `"${c.name}"`,
          );
          const file = join(tableFolder(copy, 'raw', 'insurance'), `20261130-1015000${index}0.parquet`);
          await duck.run(`COPY (SELECT ${columns} FROM (VALUES ${values}) v(op, seq, insid, plan)) TO '${file}' (FORMAT PARQUET)`);
        }
      });
      return DuckDbLake.open({ lakeDir: copy, tables: CLINIC_TABLES });
    }
    const plans = async (changeLake: DuckDbLake): Promise<string[][]> =>
      (await changeLake.connection.runAndReadAll('SELECT insid, plan, last_change_seq FROM main.insurance ORDER BY insid'))
        .getRows()
        .map((row) => row.map(String));

    test('a sequence going backwards within a key in file order is no problem: the merge orders by sequence', async () => {
      const changeLake = await lakeWith([['U', seq(2), 'INS1', 'later']], [['U', seq(1), 'INS1', 'earlier']]);
      try {
        expect(await changeLake.changeLogProblems()).toEqual([]);
        expect(await changeLake.merge(insurance, 'full load')).toEqual({ inserted: seed.insurance.length, updated: 0, deleted: 0 });
        expect(await changeLake.merge(insurance, 'change log')).toEqual({ inserted: 0, updated: 1, deleted: 0 });
        expect((await plans(changeLake))[0]).toEqual(['INS1', 'later', seq(2)]);
        expect(await changeLake.merge(insurance, 'change log')).toEqual({ inserted: 0, updated: 0, deleted: 0 });
      } finally {
        changeLake.close();
      }
    });

    test('inserts, updates and deletes are counted as the merge applies them', async () => {
      const changeLake = await lakeWith([
        ['I', seq(1), 'INS9', 'new'],
        ['U', seq(2), 'INS1', 'renamed'],
        ['D', seq(3), 'INS2', 'old image'],
      ]);
      try {
        await changeLake.merge(insurance, 'full load');
        expect(await changeLake.merge(insurance, 'change log')).toEqual({ inserted: 1, updated: 1, deleted: 1 });
        expect((await plans(changeLake)).map(([insid]) => insid)).toEqual(['INS1', 'INS3', 'INS4', 'INS5', 'INS9']);
      } finally {
        changeLake.close();
      }
    });

    test('problems are read at most a few per table, enough to name them', async () => {
      const changeLake = await lakeWith([
        ['X', seq(1), 'INS1', 'a'],
        ['X', seq(2), 'INS2', 'b'],
        ['X', seq(3), 'INS3', 'c'],
      ]);
      try {
        expect(await changeLake.changeLogProblems(2)).toHaveLength(2);
        expect(await changeLake.changeLogProblems()).toHaveLength(3);
      } finally {
        changeLake.close();
      }
    });

    test.each([
      [
        'two changes of one key with one sequence',
        [
          ['U', seq(1), 'INS1', 'a'],
          ['U', seq(1), 'INS1', 'b'],
        ],
        'two changes with one sequence',
        'INS1',
        seq(1),
      ],
      ['an unknown operation', [['X', seq(1), 'INS1', 'a']], 'unknown operation', 'INS1', 'X'],
      ['an update without a sequence', [['U', '', 'INS1', 'a']], 'change without a sequence', 'INS1', 'U'],
    ] as [string, Change[], string, string, string][])('%s is found, naming the table', async (_case, changes, problem, key, detail) => {
      const changeLake = await lakeWith(changes);
      try {
        expect(await changeLake.changeLogProblems()).toEqual([{ table: 'insurance', problem, key, detail }]);
      } finally {
        changeLake.close();
      }
    });
  });
});
