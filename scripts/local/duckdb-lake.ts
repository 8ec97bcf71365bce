import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Connection } from 'mysql2/promise';
import type { Connection as CallbackConnection } from 'mysql2';
import { Table } from '../../contract/clinic';
import { SOURCE_SCHEMA, dmsTableMappings } from '../../contract/lake';
import type { GrantedColumns } from './personas';
import { Dialect, duckdbDialect } from '../smoke/checksum';
import { QueryFailed, Row, SqlEngine } from '../smoke/engines';
import { CatalogTable } from '../smoke/steps';

/** The Parquet type DMS writes for a contract column, as DuckDB spells it (TIME is carried as text, as in Glue). */
export function parquetType(column: Table['columns'][number]): string {
  switch (column.type.kind) {
    case 'date':
      return 'DATE';
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

/** `<lake>/<raw prefix>/<schema>/<table>/LOAD00000001.parquet`, the key DMS gives a full load. */
export const loadFile = (lakeDir: string, rawPrefix: string, table: string): string =>
  join(lakeDir, rawPrefix, SOURCE_SCHEMA, table, 'LOAD00000001.parquet');

/** The tables DMS's mappings select, in contract order. */
export function mappedTables(tables: readonly Table[]): Table[] {
  const rules = (dmsTableMappings(tables) as { rules: { 'object-locator': { 'table-name': string }; 'rule-action': string }[] }).rules;
  const included = new Set(rules.filter((r) => r['rule-action'] === 'include').map((r) => r['object-locator']['table-name']));
  return tables.filter((t) => included.has(t.name));
}

export interface ExportOptions {
  readonly source: Connection;
  readonly tables: readonly Table[];
  readonly lakeDir: string;
  /** @default 'raw' */
  readonly rawPrefix?: string;
  /** A scratch folder for DuckDB's own database file (keeps memory bounded on large tables). */
  readonly workDir: string;
  /** Called after each table with its row count. */
  readonly onTable?: (table: string, rows: number) => void;
}

/**
 * Exports every table the DMS mappings select the way the DMS task does: one full-load Parquet file per table under
 * the same key layout, with the Parquet column types DMS writes. Rows stream from MySQL into a disk-backed DuckDB
 * table through an appender, so memory stays bounded whatever the table size.
 */
export async function exportLikeDms(options: ExportOptions): Promise<Record<string, number>> {
  const rawPrefix = options.rawPrefix ?? 'raw';
  const instance = await DuckDBInstance.create(join(options.workDir, 'export.duckdb'), { memory_limit: '256MB', threads: '2' });
  const duck = await instance.connect();
  const counts: Record<string, number> = {};
  try {
    for (const table of mappedTables(options.tables)) {
      const staging = `stage_${table.name}`;
      await duck.run(`CREATE OR REPLACE TABLE ${staging} (${table.columns.map((c) => `"${c.name.toLowerCase()}" VARCHAR`).join(', ')})`);
      const appender = await duck.createAppender(staging);
      // The promise API buffers whole results; the underlying connection streams them.
      const core = (options.source as unknown as { connection: CallbackConnection }).connection;
      const stream = core
        .query({
          sql: `SELECT ${table.columns.map((c) => (c.type.kind === 'time' ? `TIME_FORMAT(\`${c.name}\`, '%H:%i:%s')` : `\`${c.name}\``)).join(', ')} FROM \`${table.name}\``,
          rowsAsArray: true,
        })
        .stream({ highWaterMark: 1000 });
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
      const file = loadFile(options.lakeDir, rawPrefix, table.name);
      mkdirSync(join(file, '..'), { recursive: true });
      const casts = table.columns
        .map((c) => `CAST("${c.name.toLowerCase()}" AS ${parquetType(c)}) AS "${c.name.toLowerCase()}"`)
        .join(', ');
      await duck.run(`COPY (SELECT ${casts} FROM ${staging}) TO '${file.replace(/'/g, "''")}' (FORMAT PARQUET, COMPRESSION GZIP)`);
      await duck.run(`DROP TABLE ${staging}`);
      counts[table.name] = rows;
      options.onTable?.(table.name, rows);
    }
  } finally {
    duck.closeSync();
    instance.closeSync();
  }
  return counts;
}

/** DuckDB over the local lake: one view per table folder, like Athena or Redshift over the catalog. */
export class DuckDbLake {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    private readonly tableDirs: Record<string, string>,
  ) {}

  /** Opens the lake and creates a view per table found under `<lake>/<raw prefix>/<schema>/`. */
  static async open(lakeDir: string, rawPrefix = 'raw'): Promise<DuckDbLake> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const schemaDir = join(lakeDir, rawPrefix, SOURCE_SCHEMA);
    const tableDirs: Record<string, string> = {};
    for (const name of readdirSync(schemaDir).sort()) tableDirs[name] = join(schemaDir, name);
    for (const [name, dir] of Object.entries(tableDirs)) {
      await connection.run(`CREATE VIEW "${name}" AS SELECT * FROM read_parquet('${join(dir, '*.parquet').replace(/'/g, "''")}')`);
    }
    return new DuckDbLake(instance, connection, tableDirs);
  }

  /** Tables and columns as a crawler would record them, read from the Parquet files themselves. */
  async catalog(): Promise<CatalogTable[]> {
    const tables: CatalogTable[] = [];
    for (const name of Object.keys(this.tableDirs)) {
      const described = await this.connection.runAndReadAll(`DESCRIBE SELECT * FROM "${name}"`);
      const columns = described
        .getRowObjects()
        .map((r) => ({ name: String(r.column_name), type: glueTypeOfDuckdb(String(r.column_type)) }));
      tables.push({ name, columns });
    }
    return tables;
  }

  /**
   * A persona's view of the lake: a schema holding, per table it was granted, only the granted columns (no view at
   * all for a table it was not granted), so a query of anything else fails as Lake Formation makes it fail.
   */
  async createPersonaSchema(schema: string, granted: GrantedColumns): Promise<void> {
    await this.connection.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    for (const [table, columns] of granted) {
      if (!(table in this.tableDirs)) continue;
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
