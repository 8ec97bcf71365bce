import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { Table } from '../../contract/clinic';
import {
  ACTUAL_COLUMNS_SQL,
  ActualColumn,
  TABLE_CHARSET,
  TABLE_COLLATION,
  columnType,
  compareSchema,
  createTableSql,
  quoteIdentifier as q,
} from '../../contract/mysql';
import { LocatedError, PendingError, SqlValue, ValidRow, resolveColumns, validateCsvFile } from './csv-validation';

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

function escapeTsv(value: SqlValue): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\t\n\r\0]/g, (ch) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' })[ch]!);
}

/**
 * Streams validated rows into a table, with LOAD DATA LOCAL INFILE fed from the validation stream (so parsing in
 * Node and ingestion in the server run at the same time) or with batched multi-row INSERTs.
 */
class RowWriter {
  private readonly columns: string[];
  private batch: SqlValue[][] = [];
  private infile?: { stream: PassThrough; done: Promise<unknown> };
  private pending = '';
  private static readonly BATCH_ROWS = 2000;
  private static readonly CHUNK_CHARS = 64 * 1024;

  constructor(
    private readonly connection: Connection,
    private readonly target: string,
    table: Table,
    private readonly withLine: boolean,
    private readonly method: LoadMethod,
  ) {
    this.columns = [...(withLine ? ['_line'] : []), ...table.columns.map((c) => c.name)];
  }

  private rowOf(row: ValidRow): SqlValue[] {
    return this.withLine ? [String(row.line), ...row.values] : row.values;
  }

  start(): void {
    if (this.method !== 'infile') return;
    const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
    const done = this.connection.query({
      sql:
        `LOAD DATA LOCAL INFILE 'validated-rows' INTO TABLE ${q(this.target)} CHARACTER SET ${TABLE_CHARSET} ` +
        `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${this.columns.map(q).join(', ')})`,
      infileStreamFactory: () => stream,
    });
    done.catch(() => undefined);
    this.infile = { stream, done };
  }

  /** Writes one row; returns a promise only when the caller must wait (backpressure or a full batch). */
  write(row: ValidRow): Promise<unknown> | undefined {
    if (this.infile) {
      this.pending += `${this.rowOf(row).map(escapeTsv).join('\t')}\n`;
      // One protocol packet per row would cost more than the row; send about 64 KiB at a time.
      if (this.pending.length < RowWriter.CHUNK_CHARS) return undefined;
      const chunk = this.pending;
      this.pending = '';
      if (this.infile.stream.write(chunk)) return undefined;
      return Promise.race([once(this.infile.stream, 'drain'), this.infile.done]);
    }
    this.batch.push(this.rowOf(row));
    return this.batch.length >= RowWriter.BATCH_ROWS ? this.flush() : undefined;
  }

  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const rows = this.batch;
    this.batch = [];
    await this.connection.query(`INSERT INTO ${q(this.target)} (${this.columns.map(q).join(', ')}) VALUES ?`, [rows]);
  }

  /**
   * Ends the stream. LOAD DATA LOCAL cannot stop a file mid-transfer, so the server skips rows it rejects
   * (duplicate or dangling keys) with a warning instead of failing: fewer rows taken than sent is a rejection.
   */
  async finish(rowsSent: number): Promise<void> {
    if (this.infile) {
      this.infile.stream.end(this.pending);
      this.pending = '';
      const [header] = (await this.infile.done) as [ResultSetHeader];
      if (header.affectedRows !== rowsSent) {
        throw new Error(`${this.target}: the server took ${header.affectedRows} of ${rowsSent} rows (${header.warningStatus} warnings)`);
      }
      return;
    }
    await this.flush();
  }
}

async function actualColumns(connection: Connection, database: string, tables: readonly Table[]): Promise<ActualColumn[]> {
  const [rows] = await connection.query<RowDataPacket[]>(ACTUAL_COLUMNS_SQL, [database, tables.map((t) => t.name)]);
  return rows.map((r) => ({
    table: String(r.table),
    column: String(r.column),
    position: Number(r.position),
    columnType: String(r.columnType),
    nullable: Boolean(Number(r.nullable)),
    primaryKey: Boolean(Number(r.primaryKey)),
    references: typeof r.references === 'string' ? r.references : undefined,
  }));
}

/** Reads the schema of the contract tables; the differences, and which tables are missing. */
export async function checkSchema(
  connection: Connection,
  database: string,
  tables: readonly Table[],
): Promise<{ differences: string[]; missing: string[] }> {
  return compareSchema(tables, await actualColumns(connection, database, tables));
}

async function createStagingTable(connection: Connection, table: Table): Promise<void> {
  const columns = ['`_line` INT UNSIGNED NOT NULL', ...table.columns.map((c) => `${q(c.name)} ${columnType(c.type)} NULL`)];
  await connection.query(`DROP TEMPORARY TABLE IF EXISTS ${q(stageName(table))}`);
  await connection.query(
    `CREATE TEMPORARY TABLE ${q(stageName(table))} (${columns.join(', ')}, KEY (${q(table.primaryKey)})) ` +
      `ENGINE=InnoDB DEFAULT CHARSET=${TABLE_CHARSET} COLLATE=${TABLE_COLLATION}`,
  );
}

/** Duplicate primary keys within one file, at the later occurrences. */
async function duplicateKeys(connection: Connection, table: Table, limit: number): Promise<PendingError[]> {
  const pk = q(table.primaryKey);
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT later.\`_line\` AS line, later.${pk} AS id, MIN(earlier.\`_line\`) AS firstLine
       FROM ${q(stageName(table))} later JOIN ${q(stageName(table))} earlier ON earlier.${pk} = later.${pk} AND earlier.\`_line\` < later.\`_line\`
      GROUP BY later.\`_line\`, later.${pk} ORDER BY later.\`_line\` LIMIT ?`,
    [limit],
  );
  return rows.map((r) => ({
    line: Number(r.line),
    field: 0,
    message: `duplicate ${table.primaryKey} ${JSON.stringify(r.id)} (first at line ${r.firstLine})`,
  }));
}

/** Foreign keys that match neither a staged parent row of this run nor a row in the database. */
async function danglingReferences(
  connection: Connection,
  table: Table,
  staged: ReadonlySet<string>,
  existing: ReadonlySet<string>,
  limit: number,
): Promise<PendingError[]> {
  const errors: PendingError[] = [];
  for (const column of foreignKeys(table)) {
    const parent = column.references!;
    const sources = [
      ...(staged.has(parent.table) ? [q(`_stage_${parent.table}`)] : []),
      ...(existing.has(parent.table) ? [q(parent.table)] : []),
    ];
    const conditions = sources.map((source) => `NOT EXISTS (SELECT 1 FROM ${source} p WHERE p.${q(parent.column)} = s.${q(column.name)})`);
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT s.\`_line\` AS line, s.${q(column.name)} AS value FROM ${q(stageName(table))} s
        ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY s.\`_line\` LIMIT ?`,
      [limit],
    );
    for (const r of rows) {
      errors.push({
        line: Number(r.line),
        field: table.columns.indexOf(column),
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

async function isEmpty(connection: Connection, table: Table): Promise<boolean> {
  const [rows] = await connection.query<RowDataPacket[]>(`SELECT 1 FROM ${q(table.name)} LIMIT 1`);
  return rows.length === 0;
}

/**
 * Loads the clinic's CSV exports into MySQL so that a failure at any point leaves the database as it was:
 *
 * 1. the existing schema is compared with the contract, and a different one is refused;
 * 2. in one transaction, parents first, each file is streamed through validation into the database: straight
 *    into its table when that table is empty (the bulk first load), otherwise into a session-private staging
 *    table whose duplicate and foreign keys are checked set-wise before changed rows are updated and new rows
 *    inserted (and, on request, absent rows pruned);
 * 3. any invalid row, key error or lost connection rolls everything back. When the server itself rejected a
 *    direct load (a duplicate or dangling key), the files are checked again through staging, without writing,
 *    to name each offending line and column.
 *
 * Creating missing tables is DDL, which MySQL cannot roll back: tables created by a run that then fails are
 * dropped again; a run killed at that moment leaves empty tables, which the next run fills.
 */
export async function loadClinicData(options: LoadOptions): Promise<LoadReport> {
  const started = process.hrtime.bigint();
  const { connection, database } = options;
  const dryRun = options.dryRun ?? false;
  const maxErrors = options.maxErrors ?? 50;
  const method = options.loadMethod ?? 'infile';
  const progress = options.onProgress ?? (() => undefined);
  const order = options.tables.map((t) => t.name);
  const files = [...options.files].sort((a, b) => order.indexOf(a.table.name) - order.indexOf(b.table.name));
  const reports: TableReport[] = files.map((f) => ({
    table: f.table.name,
    path: f.path,
    read: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    pruned: 0,
    seconds: 0,
  }));
  const result = (ok: boolean, extra: Partial<LoadReport> = {}): LoadReport => ({
    ok,
    dryRun,
    tables: reports,
    errors: [],
    schemaDifferences: [],
    createdTables: [],
    seconds: elapsed(started),
    ...extra,
  });

  const schema = await checkSchema(connection, database, options.tables);
  if (schema.differences.length > 0) return result(false, { schemaDifferences: schema.differences });
  const existing = new Set(options.tables.map((t) => t.name).filter((name) => !schema.missing.includes(name)));

  const createdTables = dryRun ? [] : options.tables.filter((t) => !existing.has(t.name));
  for (const table of createdTables) await connection.query(createTableSql(table));
  const present = new Set([...existing, ...createdTables.map((t) => t.name)]);

  const errors: LocatedError[] = [];
  const staged = new Set<string>();
  let serverRejection: Error | undefined;
  let committed = false;
  await connection.beginTransaction();
  try {
    for (const [index, file] of files.entries()) {
      if (errors.length >= maxErrors) break;
      const { table } = file;
      const tableStart = process.hrtime.bigint();
      const writing = errors.length === 0;
      const direct = writing && !dryRun && present.has(table.name) && (await isEmpty(connection, table));
      if (writing && !direct) {
        await createStagingTable(connection, table);
        staged.add(table.name);
      }
      const writer = writing ? new RowWriter(connection, direct ? table.name : stageName(table), table, !direct, method) : undefined;
      writer?.start();
      let rows = 0;
      let writeFailure: Error | undefined;
      const validation = await validateCsvFile(file.path, table, {
        maxErrors: maxErrors - errors.length,
        onRow: (row) => {
          rows += 1;
          const reported = rows % 100_000 === 0 ? progress({ phase: 'validate', table: table.name, rows }) : undefined;
          const waiting = writer && !writeFailure ? writer.write(row) : undefined;
          if (!reported && !waiting) return undefined;
          return Promise.all([reported, waiting?.catch((error: Error) => (writeFailure = error))]).then(() => undefined);
        },
      });
      if (writer && !writeFailure) await writer.finish(rows).catch((error: Error) => (writeFailure = error));
      if (writeFailure) {
        if (!direct) throw writeFailure;
        serverRejection = writeFailure;
      }
      const report = reports[index];
      Object.assign(report, { read: validation.rowsRead, rejected: validation.rowsRejected });
      await progress({ phase: 'validate', table: table.name, rows: validation.rowsRead });
      errors.push(...validation.errors);
      if (serverRejection) break;
      if (errors.length > 0 || !writer) continue;

      if (direct) {
        Object.assign(report, { inserted: validation.rowsRead, seconds: elapsed(tableStart) });
        await progress({ phase: 'merged', table: table.name, rows: validation.rowsRead });
        continue;
      }
      await progress({ phase: 'check', table: table.name, rows: 0 });
      const keyErrors = await duplicateKeys(connection, table, maxErrors - errors.length);
      if (keyErrors.length < maxErrors - errors.length) {
        keyErrors.push(...(await danglingReferences(connection, table, staged, present, maxErrors - errors.length - keyErrors.length)));
      }
      errors.push(...(await resolveColumns(file.path, keyErrors)));
      if (errors.length > 0 || dryRun) {
        report.seconds = elapsed(tableStart);
        continue;
      }
      await progress({ phase: 'merge', table: table.name, rows: 0 });
      const counts = await mergeTable(connection, table);
      Object.assign(report, counts, {
        unchanged: report.read - report.rejected - counts.inserted - counts.updated,
        seconds: elapsed(tableStart),
      });
      await progress({ phase: 'merged', table: table.name, rows: counts.inserted + counts.updated });
    }
    if (errors.length === 0 && !serverRejection && !dryRun) {
      if (options.prune) {
        for (const [index, file] of [...files.entries()].reverse()) {
          if (staged.has(file.table.name)) reports[index].pruned = await pruneTable(connection, file.table);
        }
      }
      await progress({ phase: 'commit', table: '', rows: 0 });
      await connection.commit();
      committed = true;
      return result(true, { createdTables: createdTables.map((t) => t.name) });
    }
  } finally {
    if (!committed) {
      await connection.rollback().catch(() => undefined);
      for (const table of [...createdTables].reverse())
        await connection.query(`DROP TABLE IF EXISTS ${q(table.name)}`).catch(() => undefined);
    }
    for (const name of staged) await connection.query(`DROP TEMPORARY TABLE IF EXISTS ${q(`_stage_${name}`)}`).catch(() => undefined);
  }

  if (serverRejection && errors.length === 0) {
    const diagnosis = await loadClinicData({ ...options, dryRun: true, onProgress: undefined });
    if (diagnosis.errors.length === 0) throw serverRejection;
    return result(false, { errors: diagnosis.errors });
  }
  if (dryRun && errors.length === 0) return result(true);
  return result(false, { errors: errors.slice(0, maxErrors) });
}
