import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { Table } from '../../contract/clinic';
import { ACTUAL_COLUMNS_SQL, ActualColumn, TABLE_CHARSET, TABLE_COLLATION, columnType, compareSchema, createTableSql, quoteIdentifier as q } from '../../contract/mysql';
import { LocatedError, SqlValue, ValidRow, validateCsvFile } from './csv-validation';

/** How validated rows reach the staging tables. */
export type LoadMethod = 'infile' | 'insert';

export interface TableFile {
  readonly table: Table;
  readonly path: string;
}

export interface TableReport {
  readonly table: string;
  readonly path: string;
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  pruned: number;
  seconds: number;
}

export interface LoadReport {
  readonly ok: boolean;
  readonly dryRun: boolean;
  readonly tables: TableReport[];
  readonly errors: LocatedError[];
  /** Contract/database disagreements that made the loader refuse to run. */
  readonly schemaDifferences: string[];
  readonly createdTables: string[];
  readonly seconds: number;
}

export type LoadPhase = 'validate' | 'check' | 'merge' | 'merged' | 'commit';

export interface LoadOptions {
  readonly connection: Connection;
  readonly database: string;
  /** Every contract table, parents first; used to order the files and find parents. */
  readonly tables: readonly Table[];
  readonly files: readonly TableFile[];
  /** @default 50 */
  readonly maxErrors?: number;
  /** Validate and check keys, then roll back. @default false */
  readonly dryRun?: boolean;
  /** Delete rows that are in the database but not in the files. @default false */
  readonly prune?: boolean;
  /** @default 'infile' */
  readonly loadMethod?: LoadMethod;
  /** Progress: rows validated so far in a table, and phase changes. */
  readonly onProgress?: (event: { phase: LoadPhase; table: string; rows: number }) => void | Promise<void>;
}

const stageName = (table: Table): string => `_stage_${table.name}`;
const foreignKeys = (table: Table) => table.columns.filter((c) => c.references);
const positionColumn = (column: string): string => `_pos_${column}`;

function escapeTsv(value: SqlValue): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\t\n\r\0]/g, (ch) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' })[ch]!);
}

/** Streams validated rows of one file into its staging table, with LOAD DATA LOCAL INFILE or batched INSERTs. */
class StagingWriter {
  private readonly columns: string[];
  private batch: unknown[][] = [];
  private infile?: { stream: PassThrough; done: Promise<unknown> };
  private static readonly BATCH_ROWS = 2000;

  constructor(
    private readonly connection: Connection,
    private readonly table: Table,
    private readonly method: LoadMethod,
  ) {
    this.columns = ['_line', ...foreignKeys(table).map((c) => positionColumn(c.name)), ...table.columns.map((c) => c.name)];
  }

  private rowOf(row: ValidRow): SqlValue[] {
    const positions = foreignKeys(this.table).map((c) => String(row.columns[this.table.columns.indexOf(c)]));
    return [String(row.line), ...positions, ...row.values];
  }

  start(): void {
    if (this.method !== 'infile') return;
    const stream = new PassThrough();
    const done = this.connection.query({
      sql:
        `LOAD DATA LOCAL INFILE 'validated-rows' INTO TABLE ${q(stageName(this.table))} CHARACTER SET ${TABLE_CHARSET} ` +
        `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${this.columns.map(q).join(', ')})`,
      infileStreamFactory: () => stream,
    });
    done.catch(() => undefined);
    this.infile = { stream, done };
  }

  async write(row: ValidRow): Promise<void> {
    if (this.infile) {
      if (!this.infile.stream.write(`${this.rowOf(row).map(escapeTsv).join('\t')}\n`)) {
        await Promise.race([once(this.infile.stream, 'drain'), this.infile.done]);
      }
      return;
    }
    this.batch.push(this.rowOf(row));
    if (this.batch.length >= StagingWriter.BATCH_ROWS) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const rows = this.batch;
    this.batch = [];
    await this.connection.query(`INSERT INTO ${q(stageName(this.table))} (${this.columns.map(q).join(', ')}) VALUES ?`, [rows]);
  }

  async finish(): Promise<void> {
    if (this.infile) {
      this.infile.stream.end();
      await this.infile.done;
      return;
    }
    await this.flush();
  }
}

async function actualColumns(connection: Connection, database: string, tables: readonly Table[]): Promise<ActualColumn[]> {
  const [rows] = await connection.query<RowDataPacket[]>(ACTUAL_COLUMNS_SQL, [database, tables.map((t) => t.name)]);
  return rows.map((r) => ({
    table: r.table,
    column: r.column,
    position: Number(r.position),
    columnType: r.columnType,
    nullable: Boolean(Number(r.nullable)),
    primaryKey: Boolean(Number(r.primaryKey)),
    references: r.references ?? undefined,
  }));
}

/** Reads the schema of the contract tables; the differences, and which tables are missing. */
export async function checkSchema(connection: Connection, database: string, tables: readonly Table[]): Promise<{ differences: string[]; missing: string[] }> {
  return compareSchema(tables, await actualColumns(connection, database, tables));
}

async function createStagingTable(connection: Connection, table: Table): Promise<void> {
  const columns = [
    '`_line` INT UNSIGNED NOT NULL',
    ...foreignKeys(table).map((c) => `${q(positionColumn(c.name))} SMALLINT UNSIGNED NOT NULL`),
    ...table.columns.map((c) => `${q(c.name)} ${columnType(c.type)} NULL`),
  ];
  await connection.query(`DROP TEMPORARY TABLE IF EXISTS ${q(stageName(table))}`);
  await connection.query(
    `CREATE TEMPORARY TABLE ${q(stageName(table))} (${columns.join(', ')}, KEY (${q(table.primaryKey)})) ` +
      `ENGINE=InnoDB DEFAULT CHARSET=${TABLE_CHARSET} COLLATE=${TABLE_COLLATION}`,
  );
}

/** Duplicate primary keys within one file, as located errors at the later occurrences. */
async function duplicateKeys(connection: Connection, file: TableFile, limit: number): Promise<LocatedError[]> {
  const { table } = file;
  const pk = q(table.primaryKey);
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT later.\`_line\` AS line, later.${pk} AS id, MIN(earlier.\`_line\`) AS firstLine
       FROM ${q(stageName(table))} later JOIN ${q(stageName(table))} earlier ON earlier.${pk} = later.${pk} AND earlier.\`_line\` < later.\`_line\`
      GROUP BY later.\`_line\`, later.${pk} ORDER BY later.\`_line\` LIMIT ?`,
    [limit],
  );
  return rows.map((r) => ({
    path: file.path,
    line: Number(r.line),
    column: 1,
    message: `duplicate ${table.primaryKey} ${JSON.stringify(r.id)} (first at line ${r.firstLine})`,
  }));
}

/** Foreign keys that match neither a row of this run's parent file nor a row already in the database. */
async function danglingReferences(
  connection: Connection,
  file: TableFile,
  staged: ReadonlySet<string>,
  existing: ReadonlySet<string>,
  limit: number,
): Promise<LocatedError[]> {
  const errors: LocatedError[] = [];
  for (const column of foreignKeys(file.table)) {
    const parent = column.references!;
    const sources = [
      ...(staged.has(parent.table) ? [q(`_stage_${parent.table}`)] : []),
      ...(existing.has(parent.table) ? [q(parent.table)] : []),
    ];
    const conditions = sources.map((source) => `NOT EXISTS (SELECT 1 FROM ${source} p WHERE p.${q(parent.column)} = s.${q(column.name)})`);
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT s.\`_line\` AS line, s.${q(positionColumn(column.name))} AS position, s.${q(column.name)} AS value
         FROM ${q(stageName(file.table))} s ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
        ORDER BY s.\`_line\` LIMIT ?`,
      [limit],
    );
    for (const r of rows) {
      errors.push({
        path: file.path,
        line: Number(r.line),
        column: Number(r.position),
        message: `${column.name} ${JSON.stringify(r.value)} matches no ${parent.table}.${parent.column} in this run or the database`,
      });
    }
  }
  return errors;
}

/** Updates changed rows and inserts new ones of one table from its staging table; returns the counts. */
async function mergeTable(connection: Connection, table: Table): Promise<{ inserted: number; updated: number }> {
  const target = q(table.name);
  const stage = q(stageName(table));
  const pk = q(table.primaryKey);
  const others = table.columns.filter((c) => c.name !== table.primaryKey).map((c) => q(c.name));
  const same = others.map((c) => `t.${c} <=> s.${c}`).join(' AND ');
  const [update] = await connection.query<ResultSetHeader>(
    `UPDATE ${target} t JOIN ${stage} s ON t.${pk} = s.${pk} SET ${others.map((c) => `t.${c} = s.${c}`).join(', ')} WHERE NOT (${same})`,
  );
  const columns = table.columns.map((c) => q(c.name)).join(', ');
  const [insert] = await connection.query<ResultSetHeader>(
    `INSERT INTO ${target} (${columns}) SELECT ${table.columns.map((c) => `s.${q(c.name)}`).join(', ')} FROM ${stage} s
      WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE t.${pk} = s.${pk})`,
  );
  return { inserted: insert.affectedRows, updated: update.affectedRows };
}

async function pruneTable(connection: Connection, table: Table): Promise<number> {
  const pk = q(table.primaryKey);
  const [result] = await connection.query<ResultSetHeader>(
    `DELETE t FROM ${q(table.name)} t WHERE NOT EXISTS (SELECT 1 FROM ${q(stageName(table))} s WHERE s.${pk} = t.${pk})`,
  );
  return result.affectedRows;
}

const elapsed = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * Loads the clinic's CSV exports into MySQL so that a failure at any point leaves the database as it was:
 *
 * 1. the existing schema is compared with the contract, and a different one is refused;
 * 2. each file is streamed, validated and written to a session-private staging table;
 * 3. duplicate keys and foreign keys are checked set-wise against the staged files and the existing rows;
 * 4. only when nothing is wrong, missing tables are created and every table is merged (changed rows updated, new
 *    rows inserted, absent rows pruned on request) in one transaction, parents first.
 */
export async function loadClinicData(options: LoadOptions): Promise<LoadReport> {
  const started = process.hrtime.bigint();
  const { connection, database } = options;
  const maxErrors = options.maxErrors ?? 50;
  const progress = options.onProgress ?? (() => undefined);
  const order = options.tables.map((t) => t.name);
  const files = [...options.files].sort((a, b) => order.indexOf(a.table.name) - order.indexOf(b.table.name));
  const reports: TableReport[] = files.map((f) => ({
    table: f.table.name, path: f.path, read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, pruned: 0, seconds: 0,
  }));
  const result = (ok: boolean, extra: Partial<LoadReport> = {}): LoadReport => ({
    ok, dryRun: options.dryRun ?? false, tables: reports, errors: [], schemaDifferences: [], createdTables: [],
    seconds: elapsed(started), ...extra,
  });

  const schema = await checkSchema(connection, database, options.tables);
  if (schema.differences.length > 0) return result(false, { schemaDifferences: schema.differences });
  const existing = new Set(options.tables.map((t) => t.name).filter((name) => !schema.missing.includes(name)));

  const errors: LocatedError[] = [];
  try {
    for (const [index, file] of files.entries()) {
      const tableStart = process.hrtime.bigint();
      await createStagingTable(connection, file.table);
      const writer = new StagingWriter(connection, file.table, options.loadMethod ?? 'infile');
      writer.start();
      let rows = 0;
      const validation = await validateCsvFile(file.path, file.table, {
        maxErrors: maxErrors - errors.length,
        onRow: async (row) => {
          await writer.write(row);
          rows += 1;
          if (rows % 50_000 === 0) await progress({ phase: 'validate', table: file.table.name, rows });
        },
      });
      await writer.finish();
      Object.assign(reports[index], { read: validation.rowsRead, rejected: validation.rowsRejected, seconds: elapsed(tableStart) });
      await progress({ phase: 'validate', table: file.table.name, rows: validation.rowsRead });
      errors.push(...validation.errors);
      if (errors.length >= maxErrors) break;
    }
    if (errors.length > 0) return result(false, { errors: errors.slice(0, maxErrors) });

    const staged = new Set(files.map((f) => f.table.name));
    for (const file of files) {
      await progress({ phase: 'check', table: file.table.name, rows: 0 });
      errors.push(...(await duplicateKeys(connection, file, maxErrors - errors.length)));
      if (errors.length < maxErrors) errors.push(...(await danglingReferences(connection, file, staged, existing, maxErrors - errors.length)));
      if (errors.length >= maxErrors) break;
    }
    if (errors.length > 0 || options.dryRun) {
      for (const report of reports) report.unchanged = 0;
      return result(errors.length === 0, { errors: errors.slice(0, maxErrors) });
    }

    const createdTables = options.tables.filter((t) => !existing.has(t.name));
    for (const table of createdTables) await connection.query(createTableSql(table));
    await connection.beginTransaction();
    try {
      for (const [index, file] of files.entries()) {
        await progress({ phase: 'merge', table: file.table.name, rows: 0 });
        const mergeStart = process.hrtime.bigint();
        const counts = await mergeTable(connection, file.table);
        const report = reports[index];
        Object.assign(report, counts, {
          unchanged: report.read - report.rejected - counts.inserted - counts.updated,
          seconds: report.seconds + elapsed(mergeStart),
        });
        await progress({ phase: 'merged', table: file.table.name, rows: counts.inserted + counts.updated });
      }
      if (options.prune) {
        for (const [index, file] of [...files.entries()].reverse()) reports[index].pruned = await pruneTable(connection, file.table);
      }
      await progress({ phase: 'commit', table: '', rows: 0 });
      await connection.commit();
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      throw error;
    }
    return result(true, { createdTables: createdTables.map((t) => t.name) });
  } finally {
    for (const file of files) await connection.query(`DROP TEMPORARY TABLE IF EXISTS ${q(stageName(file.table))}`).catch(() => undefined);
  }
}
