import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Connection as CallbackConnection } from 'mysql2';
import { Table } from '../../contract/clinic';
import { SOURCE_SCHEMA, dmsTableMappings } from '../../contract/lake';
import { CHANGE_LOG_COLUMNS, LAST_CHANGE_SEQUENCE, MergeTables, changeLogProblemsSql, mergeSql } from '../../contract/merge';
import type { GrantedColumns } from './personas';
import { Dialect, duckdbDialect, mysqlDialect } from '../smoke/checksum';
import { QueryFailed, Row, SqlEngine } from '../smoke/engines';
import { CatalogTable } from '../smoke/steps';

/**
 * The Parquet type DMS writes for a contract column, as DuckDB spells it (TIME is carried as text, as in Glue; a
 * DATETIME is a timestamp).
 */
export function parquetType(column: Table['columns'][number]): string {
  switch (column.type.kind) {
    case 'date':
      return 'DATE';
    case 'datetime':
      return 'TIMESTAMP';
    case 'decimal':
      return `DECIMAL(${column.type.precision},${column.type.scale})`;
    default:
      return 'VARCHAR';
  }
}

/** The Glue type of a Parquet column read back by DuckDB. */
export function glueTypeOfDuckdb(type: string): string {
  if (type === 'VARCHAR') return 'string';
  if (type === 'DATE') return 'date';
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(type);
  if (decimal) return `decimal(${decimal[1]},${decimal[2]})`;
  if (type.startsWith('TIMESTAMP')) return 'timestamp';
  return type.toLowerCase();
}

/** `<lake>/<raw prefix>/<schema>/<table>/`: the folder DMS writes one table's change log into. */
export const tableFolder = (lakeDir: string, rawPrefix: string, table: string): string => join(lakeDir, rawPrefix, SOURCE_SCHEMA, table);

/** `<lake>/<raw prefix>/<schema>/<table>/LOAD00000001.parquet`, the key DMS gives a full load. */
export const loadFile = (lakeDir: string, rawPrefix: string, table: string): string =>
  join(tableFolder(lakeDir, rawPrefix, table), 'LOAD00000001.parquet');

/** The tables DMS's mappings select, in contract order. */
export function mappedTables(tables: readonly Table[]): Table[] {
  const rules = (dmsTableMappings(tables) as { rules: { 'object-locator': { 'table-name': string }; 'rule-action': string }[] }).rules;
  const included = new Set(rules.filter((r) => r['rule-action'] === 'include').map((r) => r['object-locator']['table-name']));
  return tables.filter((t) => included.has(t.name));
}

/** DMS names the operation column `Op` in its Parquet files; Glue and the merge see it lower-case, as `op`. */
const DMS_OPERATION_COLUMN = 'Op';

/** A SQL string literal. */
export const sqlString = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * The columns of a change-log file, as DMS writes them: the operation, the commit time and the change sequence (all
 * text), then the row image with the Parquet types DMS writes, cast from the text each `value` expression gives.
 */
export function changeLogColumnsSql(
  table: Table,
  dms: { readonly operation: string; readonly commitTime: string; readonly changeSequence: string },
  value: (column: Table['columns'][number]) => string,
): string {
  return [
    `${dms.operation} AS "${DMS_OPERATION_COLUMN}"`,
    `${dms.commitTime} AS "${CHANGE_LOG_COLUMNS.commitTime}"`,
    `${dms.changeSequence} AS "${CHANGE_LOG_COLUMNS.changeSequence}"`,
    ...table.columns.map((c) => `CAST(${value(c)} AS ${parquetType(c)}) AS "${c.name.toLowerCase()}"`),
  ].join(', ');
}

/** A new disk-backed DuckDB in `workDir` with bounded memory, for an export; its file is removed on close. */
export async function scratchDuckdb(workDir: string, name: string): Promise<{ duck: DuckDBConnection; close: () => void }> {
  const file = join(workDir, `${name}.duckdb`);
  const remove = (): void => {
    for (const path of [file, `${file}.wal`]) rmSync(path, { force: true });
  };
  remove();
  const instance = await DuckDBInstance.create(file, { memory_limit: '256MB', threads: '2' });
  const duck = await instance.connect();
  return {
    duck,
    close: () => {
      duck.closeSync();
      instance.closeSync();
      remove();
    },
  };
}

/**
 * Streams the rows of a MySQL query into a new DuckDB table of text columns through an appender, so memory stays
 * bounded whatever the table size. Resolves with the number of rows.
 */
export async function streamIntoDuckdb(
  source: Connection,
  sql: string,
  duck: DuckDBConnection,
  staging: string,
  columns: readonly string[],
): Promise<number> {
  await duck.run(`CREATE OR REPLACE TABLE ${staging} (${columns.map((c) => `"${c}" VARCHAR`).join(', ')})`);
  const appender = await duck.createAppender(staging);
  // The promise API buffers whole results; the underlying connection streams them.
  const core = (source as unknown as { connection: CallbackConnection }).connection;
  const stream = core.query({ sql, rowsAsArray: true }).stream({ highWaterMark: 1000 });
  let rows = 0;
  for await (const row of stream as AsyncIterable<(string | null)[]>) {
    for (const value of row) {
      if (value === null) appender.appendNull();
      else appender.appendVarchar(String(value));
    }
    appender.endRow();
    rows += 1;
    if (rows % 100_000 === 0) appender.flushSync();
  }
  appender.closeSync();
  return rows;
}

/** Writes a query's result to a GZIP Parquet file, as DMS compresses it. */
export async function copyToParquet(duck: DuckDBConnection, select: string, file: string): Promise<void> {
  mkdirSync(join(file, '..'), { recursive: true });
  await duck.run(`COPY (${select}) TO ${sqlString(file)} (FORMAT PARQUET, COMPRESSION GZIP)`);
}

export interface ExportOptions {
  readonly source: Connection;
  readonly tables: readonly Table[];
  readonly lakeDir: string;
  /** @default 'raw' */
  readonly rawPrefix?: string;
  /** A scratch folder for DuckDB's own database file (keeps memory bounded on large tables). */
  readonly workDir: string;
  /** Called after each table with the number of rows it exported (changes, for CDC files). */
  readonly onTable?: (table: string, rows: number) => void;
}

/**
 * Exports the full load of every table the DMS mappings select the way the DMS task does: one
 * `LOAD00000001.parquet` per table under the same key layout, every row an insert (`includeOpForFullLoad`) stamped
 * with the time of the snapshot and an empty change sequence, then the row image with the Parquet types DMS writes.
 */
export async function exportLikeDms(options: ExportOptions): Promise<Record<string, number>> {
  const rawPrefix = options.rawPrefix ?? 'raw';
  const [[{ now }]] = await options.source.query<RowDataPacket[]>("SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%d %H:%i:%s.%f') AS now");
  const { duck, close } = await scratchDuckdb(options.workDir, 'export');
  const counts: Record<string, number> = {};
  try {
    for (const table of mappedTables(options.tables)) {
      const staging = `stage_${table.name}`;
      const select = `SELECT ${table.columns.map((c) => mysqlDialect.canonical(`\`${c.name}\``, c.type)).join(', ')} FROM \`${table.name}\``;
      const rows = await streamIntoDuckdb(
        options.source,
        select,
        duck,
        staging,
        table.columns.map((c) => c.name.toLowerCase()),
      );
      const columns = changeLogColumnsSql(
        table,
        { operation: "'I'", commitTime: sqlString(String(now)), changeSequence: "''" },
        (c) => `"${c.name.toLowerCase()}"`,
      );
      await copyToParquet(duck, `SELECT ${columns} FROM ${staging}`, loadFile(options.lakeDir, rawPrefix, table.name));
      await duck.run(`DROP TABLE ${staging}`);
      counts[table.name] = rows;
      options.onTable?.(table.name, rows);
    }
  } finally {
    close();
  }
  return counts;
}

/** Rows a merge inserted, updated and deleted in one current-state table. */
export interface MergeCounts {
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
}

/** A row of a change log that the merge cannot apply truthfully (`changeLogProblemsSql`). */
export interface ChangeLogProblem {
  readonly table: string;
  readonly problem: string;
  readonly key: string | null;
  readonly detail: string | null;
}

/** The names the lake's two catalog databases go by (Glue: `<db>` and `<db>_changes`). */
export interface LakeDatabases {
  readonly current: string;
  readonly changeLog: string;
}

/** What a merge reads: the change log as the full load left it, or the whole change log as it is now. */
export type MergeScope = 'full load' | 'change log';

const CHANGE_LOG_SCHEMA = 'change_log';

/**
 * DuckDB over the local lake, standing in for Glue, Athena and Redshift: a view per change-log folder (schema
 * `change_log`, the `<db>_changes` database), the current-state tables built from the contract (schema `main`, the
 * Iceberg tables of `<db>`), the generated merge between them, and each persona's view of the current tables.
 */
export class DuckDbLake {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    private readonly lakeDir: string,
    private readonly rawPrefix: string,
    /** The contract tables whose change log DMS wrote, in contract order. */
    readonly logged: readonly Table[],
    private readonly current: readonly Table[],
  ) {}

  /**
   * Opens the lake: a change-log view per table folder under `<lake>/<raw prefix>/<schema>/` (every Parquet file in
   * it: the full load and the CDC files), and an empty current-state table per contract table: its columns with the
   * Parquet types, plus the last change sequence. DuckDB works in memory up to a limit and spills to `workDir`
   * beyond it, so memory stays bounded without paying for a database file.
   */
  static async open(options: { lakeDir: string; tables: readonly Table[]; workDir?: string; rawPrefix?: string }): Promise<DuckDbLake> {
    const rawPrefix = options.rawPrefix ?? 'raw';
    const instance = await DuckDBInstance.create(':memory:', {
      memory_limit: '256MB',
      threads: '2',
      ...(options.workDir ? { temp_directory: join(options.workDir, 'duckdb-spill') } : {}),
    });
    const connection = await instance.connect();
    const folders = new Set(readdirSync(join(options.lakeDir, rawPrefix, SOURCE_SCHEMA)));
    await connection.run(`CREATE SCHEMA ${CHANGE_LOG_SCHEMA}`);
    for (const name of [...folders].sort()) {
      const files = join(tableFolder(options.lakeDir, rawPrefix, name), '*.parquet');
      // By column name, as Athena reads Parquet (https://docs.aws.amazon.com/athena/latest/ug/handling-schema-updates-chapter.html):
      // files written before a column was added to the contract lack it, and their rows read NULL in it.
      await connection.run(
        `CREATE VIEW ${CHANGE_LOG_SCHEMA}."${name}" AS SELECT * FROM read_parquet(${sqlString(files)}, union_by_name = true)`,
      );
    }
    for (const table of options.tables) {
      const columns = [...table.columns.map((c) => `"${c.name.toLowerCase()}" ${parquetType(c)}`), `${LAST_CHANGE_SEQUENCE} VARCHAR`];
      await connection.run(`CREATE TABLE main."${table.name.toLowerCase()}" (${columns.join(', ')})`);
    }
    const logged = options.tables.filter((t) => folders.has(t.name));
    return new DuckDbLake(instance, connection, options.lakeDir, rawPrefix, logged, options.tables);
  }

  private mergeTables(scope: MergeScope): MergeTables {
    return {
      changeLog: (table) =>
        scope === 'full load'
          ? `read_parquet(${sqlString(loadFile(this.lakeDir, this.rawPrefix, table.name))})`
          : `${CHANGE_LOG_SCHEMA}."${table.name}"`,
      current: (table) => `main."${table.name.toLowerCase()}"`,
    };
  }

  /**
   * Rows of the change logs that the merge cannot apply truthfully, by table: at most `perTable` of each, enough to
   * name the problem without reading a whole corrupted log into memory.
   */
  async changeLogProblems(perTable = 10): Promise<ChangeLogProblem[]> {
    const problems: ChangeLogProblem[] = [];
    for (const table of this.logged) {
      const sql = `SELECT * FROM (${changeLogProblemsSql(table, this.mergeTables('change log'))}) LIMIT ${perTable}`;
      const rows = (await this.connection.runAndReadAll(sql)).getRowObjects();
      for (const row of rows) {
        problems.push({
          table: table.name,
          problem: String(row.problem),
          key: row.row_key === null ? null : String(row.row_key),
          detail: row.detail === null ? null : String(row.detail),
        });
      }
    }
    return problems;
  }

  /**
   * Runs the generated merge of one table, exactly the SQL Athena runs, and counts what it did by comparing each
   * key's row before and after: a new key was inserted, a vanished one deleted, a row that differs updated.
   */
  async merge(table: Table, scope: MergeScope): Promise<MergeCounts> {
    const current = this.mergeTables(scope).current(table);
    const key = `"${table.primaryKey.toLowerCase()}"`;
    const rowsByKey = `SELECT ${key} AS k, hash(t) AS h FROM ${current} t`;
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE merge_before AS ${rowsByKey}`);
    await this.connection.run(mergeSql(table, this.mergeTables(scope)));
    const [counts] = (
      await this.connection.runAndReadAll(
        `SELECT count(*) FILTER (WHERE b.k IS NULL) AS inserted, count(*) FILTER (WHERE a.k IS NOT NULL AND b.k IS NOT NULL AND a.h <> b.h) AS updated, ` +
          `count(*) FILTER (WHERE a.k IS NULL) AS deleted FROM (${rowsByKey}) a FULL OUTER JOIN merge_before b ON a.k = b.k`,
      )
    ).getRowObjects();
    await this.connection.run('DROP TABLE merge_before');
    return { inserted: Number(counts.inserted), updated: Number(counts.updated), deleted: Number(counts.deleted) };
  }

  /**
   * Tables and columns as the Glue catalog holds them: the current-state tables from DuckDB itself, the change-log
   * tables as a crawler records them from the Parquet files (names lower-cased, as Glue does).
   */
  async catalog(databases: LakeDatabases): Promise<CatalogTable[]> {
    const describe = async (database: string, name: string, relation: string): Promise<CatalogTable> => {
      const described = (await this.connection.runAndReadAll(`DESCRIBE ${relation}`)).getRowObjects();
      const columns = described.map((r) => ({ name: String(r.column_name).toLowerCase(), type: glueTypeOfDuckdb(String(r.column_type)) }));
      return { database, name, columns };
    };
    const tables: CatalogTable[] = [];
    for (const table of this.current) {
      const name = table.name.toLowerCase();
      tables.push(await describe(databases.current, name, `main."${name}"`));
    }
    for (const table of this.logged) {
      tables.push(await describe(databases.changeLog, table.name.toLowerCase(), `SELECT * FROM ${CHANGE_LOG_SCHEMA}."${table.name}"`));
    }
    return tables;
  }

  /**
   * A persona's view of the current-state tables: a schema holding, per table it was granted, only the granted
   * columns (no view at all for a table it was not granted), so a query of anything else fails as Lake Formation
   * makes it fail.
   */
  async createPersonaSchema(schema: string, granted: GrantedColumns): Promise<void> {
    await this.connection.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    const current = new Set(this.current.map((t) => t.name.toLowerCase()));
    for (const [table, columns] of granted) {
      if (!current.has(table)) continue;
      const select = columns === 'all' ? '*' : columns.map((c) => `"${c}"`).join(', ');
      await this.connection.run(`CREATE OR REPLACE VIEW ${schema}."${table}" AS SELECT ${select} FROM main."${table}"`);
    }
  }

  engine(name: string, schema?: string): SqlEngine {
    const dialect: Dialect = duckdbDialect(schema);
    return {
      name,
      dialect,
      query: async (sql: string): Promise<Row[]> => {
        try {
          const result = await this.connection.runAndReadAll(sql);
          return result
            .getRowObjects()
            .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : String(v)])));
        } catch (error) {
          throw new QueryFailed(name, (error as Error).message.split('\n')[0]);
        }
      },
    };
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
