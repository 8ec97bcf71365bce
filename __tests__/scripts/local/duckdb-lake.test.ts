import { grantsFromContract } from '../../helpers/grants';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Connection } from 'mysql2/promise';
import { DuckDBInstance } from '@duckdb/node-api';
import { CLINIC_TABLES, Column, SqlType, Table, tableNamed } from '../../../contract/clinic';
import * as lake from '../../../contract/lake';
import { DuckDbLake, exportLikeDms, glueTypeOfDuckdb, loadFile, mappedTables, parquetType } from '../../../scripts/local/duckdb-lake';
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
  let counts: Record<string, number>;

  /** What mysql2 gives the export: `connection.query({ sql, rowsAsArray }).stream()` of the table's rows. */
  const source = {
    connection: {
      query: (query: { sql: string; rowsAsArray: boolean }) => {
        queries.push(query);
        const table = /FROM `([a-z]+)`$/.exec(query.sql)![1];
        return { stream: () => Readable.from(seed[table], { objectMode: true }) };
      },
    },
  } as unknown as Connection;

  beforeAll(async () => {
    for (const table of CLINIC_TABLES) {
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

  test('every table is exported with its row count, reported as it goes', () => {
    const expected = CLINIC_TABLES.map((t): [string, number] => [t.name, seed[t.name].length]);
    expect(Object.entries(counts)).toEqual(expected);
    expect(exportedTables).toEqual(expected);
    expect(expected.every(([, n]) => n > 0)).toBe(true);
  });

  test('each table is read once, as arrays, every column in contract order, times formatted as text', () => {
    expect(queries.map((q) => q.rowsAsArray)).toEqual(CLINIC_TABLES.map(() => true));
    const appointment = queries.find((q) => q.sql.endsWith('FROM `appointment`'))!;
    expect(appointment.sql).toBe(
      "SELECT `appId`, `physician`, `app_date`, TIME_FORMAT(`app_time`, '%H:%i:%s'), `scheduled_by` FROM `appointment`",
    );
  });

  test.each(CLINIC_TABLES.map((t) => [t.name, t] as const))(
    '%s: one full-load file under <raw>/<schema>/<table>/, with the Parquet types DMS writes',
    async (name, table: Table) => {
      const file = loadFile(lakeDir, 'raw', name);
      expect(file).toBe(join(lakeDir, 'raw', lake.SOURCE_SCHEMA, name, 'LOAD00000001.parquet'));
      expect(existsSync(file)).toBe(true);
      const described = await parquet(async (duck) =>
        (await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjects(),
      );
      expect(described.map((c) => [c.column_name, c.column_type])).toEqual(
        table.columns.map((c) => [c.name.toLowerCase(), parquetType(c)]),
      );
    },
  );

  test('values arrive unchanged: dates, times, money, text', async () => {
    for (const name of ['account', 'appointment', 'patient']) {
      const rows = await parquet(async (duck) =>
        (await duck.runAndReadAll(`SELECT * FROM read_parquet('${loadFile(lakeDir, 'raw', name)}')`))
          .getRows()
          .map((row) => row.map(String)),
      );
      expect([name, rows]).toEqual([name, seed[name].map((row) => row.map(String))]);
    }
  });

  describe('DuckDbLake', () => {
    let duckLake: DuckDbLake;
    beforeAll(async () => {
      duckLake = await DuckDbLake.open(lakeDir);
      await duckLake.createPersonaSchema('analyst', grantsFromContract(CLINIC_TABLES).get('analyst')!);
    });
    afterAll(() => duckLake?.close());

    test('its catalog lists every table folder with the Glue types the crawler would record', async () => {
      const catalog = await duckLake.catalog();
      expect(catalog).toEqual(
        [...CLINIC_TABLES]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((t) => ({ name: t.name, columns: t.columns.map((c) => ({ name: c.name.toLowerCase(), type: lake.glueType(c.type) })) })),
      );
    });

    test('an engine answers queries with every value as text or null', async () => {
      const engine = duckLake.engine('athena (duckdb)');
      expect(engine.name).toBe('athena (duckdb)');
      expect(await engine.query('SELECT COUNT(*) AS n, NULL AS nothing FROM patient', Deadline.in(realClock, 60_000))).toEqual([
        { n: String(seed.patient.length), nothing: null },
      ]);
    });

    test('the governed schema holds only the granted columns: a direct identifier fails like in Athena', async () => {
      const analyst = duckLake.engine('analyst (duckdb)', 'analyst');
      const granted = lake.grantableColumns(tableNamed('patient')).map((c) => c.name.toLowerCase());
      const [row] = await analyst.query('SELECT * FROM analyst.patient LIMIT 1', Deadline.in(realClock, 60_000));
      expect(Object.keys(row)).toEqual(granted);
      const refused = analyst.query('SELECT first_name FROM analyst.patient LIMIT 1', Deadline.in(realClock, 60_000));
      await expect(refused).rejects.toThrow(QueryFailed);
      await expect(refused).rejects.toMatchObject({ engine: 'analyst (duckdb)', reason: expect.stringMatching(/first_name/) });
    });
  });
});
