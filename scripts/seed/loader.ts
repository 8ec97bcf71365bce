import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { PassThrough, Writable } from 'node:stream';
import mysql, { Connection, ConnectionOptions, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { Column, Table } from '../../contract/clinic';
import { TABLE_CHARSET, TABLE_COLLATION, columnType, compareSchema, createTableSql, quoteIdentifier as q } from '../../contract/mysql';
import { CheckFailedError, CliError, EnvironmentError, InputError, asCliError } from '../cli/errors';
import { registerCleanup } from '../cli/interrupts';
import { InputFile, UnreadableInputError, openInput } from './csv-chunks';
import { ChunkText, LocatedError, ValidatedChunk, formatError, tsvRows, validatedChunks } from './csv-validation';
import { readActualColumns } from './migrate';
import { KeyIndex, KeySet, NOT_A_KEY, NULL_KEY, keyEncoder, sameKeyFormat } from './keys';
import { ChunkValidation, onThisThread, validationThreads } from './validation-pool';

/** How validated rows reach the tables. */
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

/** A table's report before anything of its file has been read. */
const emptyTableReport = (file: TableFile): TableReport => ({
  table: file.table.name,
  path: file.path,
  read: 0,
  inserted: 0,
  updated: 0,
  unchanged: 0,
  rejected: 0,
  pruned: 0,
  seconds: 0,
});

export interface LoadReport {
  readonly ok: boolean;
  readonly dryRun: boolean;
  readonly tables: TableReport[];
  readonly errors: LocatedError[];
  /** Contract/database disagreements that made the loader refuse to run. */
  readonly schemaDifferences: string[];
  /** Tables this run created and kept (a successful run). */
  readonly createdTables: string[];
  /** Tables this run created and dropped again because it failed. */
  readonly droppedTables: string[];
  /** What a failed run could not put back, as sentences; empty when the database is as it was. */
  readonly notRestored: string[];
  readonly seconds: number;
}

export type LoadPhase = 'validate' | 'merge' | 'merged' | 'commit';

export interface LoadOptions {
  readonly connection: Connection;
  readonly database: string;
  /** Every contract table, parents first; used to order the files and find parents. */
  readonly tables: readonly Table[];
  readonly files: readonly TableFile[];
  /** @default 50 */
  readonly maxErrors?: number;
  /** Validate and check keys, write nothing. @default false */
  readonly dryRun?: boolean;
  /** Delete rows that are in the database but not in the files. @default false */
  readonly prune?: boolean;
  /** @default 'infile' */
  readonly loadMethod?: LoadMethod;
  /**
   * Threads that parse and validate while this one checks keys and feeds the server; 0 does everything on this thread.
   * @default one per core but one (this thread has work of its own), at least one; 0 when the files together are
   * under PARALLEL_MIN_BYTES
   */
  readonly threads?: number;
  /** Progress: rows validated so far in a table, and phase changes. */
  readonly onProgress?: (event: { phase: LoadPhase; table: string; rows: number }) => void | Promise<void>;
}

/**
 * Validation threads by default: one per core but one, since this thread checks keys and feeds the server, and the
 * server needs a core too; at least one. On 2 cores one thread validates faster than the server stores (the hot path
 * takes about a microsecond a row), and a second would only compete with the server for the CPU and hold memory.
 */
export const defaultThreads = (): number => Math.max(availableParallelism() - 1, 1);

/** Below this much input, starting validation threads costs more than they save. */
export const PARALLEL_MIN_BYTES = 4 * 1024 * 1024;

const stageName = (table: Table): string => `_stage_${table.name}`;
const elapsed = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const plural = (count: number, one: string, many: string): string => (count === 1 ? one : many);

/** What a failed run put back, and what it could not, in one sentence. */
export function undoText(undo: {
  readonly connectionLost?: boolean;
  readonly droppedTables: readonly string[];
  readonly notRestored: readonly string[];
}): string {
  const done = [
    undo.connectionLost
      ? 'nothing was committed (the server rolls back the open transaction of a connection that ends)'
      : 'the transaction was rolled back',
    ...(undo.droppedTables.length > 0
      ? [
          `the ${plural(undo.droppedTables.length, 'table', 'tables')} this run created (${undo.droppedTables.join(', ')}) ${plural(undo.droppedTables.length, 'was', 'were')} dropped`,
        ]
      : []),
  ].join(' and ');
  return undo.notRestored.length === 0 ? `${done}; the database is as it was` : `${done}, but ${undo.notRestored.join('; ')}`;
}

/** Streams LOAD DATA text or rows into one table, in one statement or in batches. */
interface TableWriter {
  /** Sends `rows` rows of LOAD DATA text; waits when the server is slower than validation. */
  write(tsv: Uint8Array, rows: number): Promise<void>;
  /** Ends the rows and checks that the server took every one. */
  finish(): Promise<void>;
  /** Ends the rows at once; what was sent stays in the transaction, to be rolled back. Never throws. */
  abort(): Promise<void>;
}

/**
 * How much LOAD DATA text may wait for the server in this process. mysql2 copies the stream onto the socket as it
 * comes, without waiting for the server to read it, so without a bound a server slower than validation would have the
 * whole table queued in memory; this much keeps the server fed (the kernel's socket buffers hold more) while memory
 * stays flat.
 */
const QUEUED_BYTES = 4 * 1024 * 1024;

/** The socket under a mysql2 connection, to wait for the server to take what was sent; undefined if mysql2 changes. */
function socketOf(connection: Connection): Writable | undefined {
  const stream = (connection as unknown as { connection?: { stream?: unknown } }).connection?.stream;
  return stream instanceof Writable ? stream : undefined;
}

/**
 * LOAD DATA LOCAL INFILE fed from the validation results, so that validating in Node and storing in the server run at
 * the same time. LOAD DATA LOCAL skips a row the server refuses, or stores an adjusted value, with a warning instead of
 * failing, so fewer rows taken than sent, or any warning, is a failure.
 */
class InfileWriter implements TableWriter {
  private readonly stream = new PassThrough({ highWaterMark: QUEUED_BYTES });
  private readonly socket: Writable | undefined;
  private readonly done: Promise<ResultSetHeader>;
  private failure?: Error;
  private rowsSent = 0;

  constructor(
    private readonly connection: Connection,
    private readonly target: string,
    table: Table,
  ) {
    this.socket = socketOf(connection);
    this.done = connection
      .query<ResultSetHeader>({
        sql:
          `LOAD DATA LOCAL INFILE 'validated-rows' INTO TABLE ${q(target)} CHARACTER SET ${TABLE_CHARSET} ` +
          `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${table.columns.map((c) => q(c.name)).join(', ')})`,
        infileStreamFactory: () => this.stream,
      })
      .then(([header]) => header);
    this.done.catch((error: Error) => (this.failure = error));
  }

  async write(tsv: Uint8Array, rows: number): Promise<void> {
    if (this.failure) throw this.failure;
    this.rowsSent += rows;
    if (!this.stream.write(tsv)) await Promise.race([once(this.stream, 'drain'), this.done]);
    const socket = this.socket;
    if (socket && socket.writableNeedDrain && socket.writableLength > QUEUED_BYTES) {
      await Promise.race([once(socket, 'drain'), once(socket, 'close'), this.done]);
    }
  }

  async finish(): Promise<void> {
    this.stream.end();
    const header = await this.done;
    if (header.affectedRows !== this.rowsSent || header.warningStatus > 0) {
      const [warnings] = await this.connection.query<RowDataPacket[]>('SHOW WARNINGS LIMIT 3');
      const why = warnings.map((w) => String(w.Message)).join('; ');
      throw new Error(
        header.affectedRows !== this.rowsSent
          ? `the server took ${header.affectedRows} of the ${this.rowsSent} rows sent to ${this.target}${why ? ` (${why})` : ''}`
          : `the server changed values sent to ${this.target}: ${why || `${header.warningStatus} warning(s)`}`,
      );
    }
  }

  async abort(): Promise<void> {
    this.stream.end();
    await this.done.catch(() => undefined);
  }
}

/** Batched multi-row INSERTs, for servers that refuse LOAD DATA LOCAL. */
class InsertWriter implements TableWriter {
  private static readonly BATCH_ROWS = 2000;
  private batch: (string | null)[][] = [];
  private readonly columns: string;

  constructor(
    private readonly connection: Connection,
    private readonly target: string,
    table: Table,
  ) {
    this.columns = table.columns.map((c) => q(c.name)).join(', ');
  }

  async write(tsv: Uint8Array): Promise<void> {
    for (const row of tsvRows(tsv)) {
      this.batch.push(row);
      if (this.batch.length >= InsertWriter.BATCH_ROWS) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const rows = this.batch;
    this.batch = [];
    await this.connection.query(`INSERT INTO ${q(this.target)} (${this.columns}) VALUES ?`, [rows]);
  }

  finish(): Promise<void> {
    return this.flush();
  }

  abort(): Promise<void> {
    this.batch = [];
    return Promise.resolve();
  }
}

/** Reads the schema of the contract tables; the differences, and which tables are missing. */
export async function checkSchema(
  connection: Connection,
  database: string,
  tables: readonly Table[],
): Promise<{ differences: string[]; missing: string[] }> {
  return compareSchema(tables, await readActualColumns(connection, database, tables));
}

/** Updates changed rows and inserts new ones of one table from its staging table; returns the counts. */
async function mergeTable(connection: Connection, table: Table): Promise<{ inserted: number; updated: number }> {
  const target = q(table.name);
  const stage = q(stageName(table));
  const pk = q(table.primaryKey);
  const others = table.columns.filter((c) => c.name !== table.primaryKey);
  // Text is compared as bytes: the PAD SPACE collation calls `a` and `a ` equal, which would leave a change of
  // trailing spaces unapplied.
  const same = (c: Column): string =>
    c.type.kind === 'varchar' || c.type.kind === 'char'
      ? `BINARY t.${q(c.name)} <=> BINARY s.${q(c.name)}`
      : `t.${q(c.name)} <=> s.${q(c.name)}`;
  const [update] = await connection.query<ResultSetHeader>(
    `UPDATE ${target} t JOIN ${stage} s ON t.${pk} = s.${pk} SET ${others.map((c) => `t.${q(c.name)} = s.${q(c.name)}`).join(', ')} ` +
      `WHERE NOT (${others.map(same).join(' AND ')})`,
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

async function isEmpty(connection: Connection, table: string): Promise<boolean> {
  const [rows] = await connection.query<RowDataPacket[]>(`SELECT 1 FROM ${q(table)} LIMIT 1`);
  return rows.length === 0;
}

/** Another connection with the settings of `connection`; mysql2 keeps them in `config` beside two fields it derives. */
function reopen(connection: Connection): Promise<Connection> {
  const settings: Record<string, unknown> = { ...connection.config };
  delete settings.maxPacketSize;
  delete settings.clientFlags;
  return mysql.createConnection(settings as ConnectionOptions);
}

/** The parent whose keys a foreign key column must match, and where those keys are known. */
interface ReferenceCheck {
  readonly column: Column;
  readonly field: number;
  readonly parent: Table;
  /** The parent's keys from this run's file, if it has one. */
  readonly runKeys?: KeySet;
  /** The parent's keys already in the database that will still be there after this run. */
  readonly databaseKeys?: KeySet;
}

/** What undoing a failed run did. */
interface Undo {
  /** The run's connection was gone, so the server rolled back its transaction. */
  readonly connectionLost: boolean;
  readonly droppedTables: string[];
  /** What could not be put back, as sentences. */
  readonly notRestored: string[];
}

/**
 * Runs `chunks` up to its first result now rather than when it is first read, so that its first chunks are being
 * validated meanwhile; a failure is thrown when it is read.
 */
function startedEarly<T>(chunks: AsyncGenerator<T>): AsyncGenerator<T> {
  const first = chunks.next();
  first.catch(() => undefined);
  return (async function* () {
    try {
      for (let next = await first; next.done !== true; next = await chunks.next()) yield next.value;
    } finally {
      await chunks.return(undefined);
    }
  })();
}

/** Keys are read from the database in pages of this many, in key order. */
const KEY_PAGE = 100_000;

/** One run of the loader; see `loadClinicData`. */
class ClinicLoad {
  private readonly connection: Connection;
  private readonly dryRun: boolean;
  private readonly maxErrors: number;
  private readonly progress: NonNullable<LoadOptions['onProgress']>;
  private readonly reports: TableReport[];
  private readonly errors: LocatedError[] = [];
  private readonly created: Table[] = [];
  private readonly staged = new Set<string>();
  /** Tables loaded straight, without staging: empty at the start of the run. */
  private readonly empty = new Set<string>();
  private readonly missing: Set<string>;
  private readonly runKeys = new Map<string, KeySet>();
  /** Tables whose file was read to the end with no row rejected: their keys are all known. */
  private readonly allKeysKnown = new Set<string>();
  private readonly databaseKeys = new Map<string, KeySet>();
  private readonly validations = new Map<TableFile, AsyncGenerator<ValidatedChunk>>();
  private writer?: TableWriter;
  private savedServerChecks?: { foreignKeyChecks: number; uniqueChecks: number };
  private committing = false;
  private committed = false;
  private undoing?: Promise<Undo>;
  /** Where the run is, for a failure's message. */
  private position?: { table: string; path: string; line?: number };

  constructor(
    private readonly options: LoadOptions,
    private readonly files: readonly TableFile[],
    private readonly inputs: ReadonlyMap<TableFile, InputFile>,
    private readonly validation: ChunkValidation,
    missing: readonly string[],
  ) {
    this.connection = options.connection;
    this.dryRun = options.dryRun ?? false;
    this.maxErrors = options.maxErrors ?? 50;
    this.progress = options.onProgress ?? (() => undefined);
    this.missing = new Set(missing);
    this.reports = files.map(emptyTableReport);
  }

  async run(): Promise<{ errors: LocatedError[]; tables: TableReport[]; createdTables: string[] }> {
    if (!this.dryRun) await this.createMissingTables();
    if (!this.dryRun) await this.connection.beginTransaction();
    for (const table of this.options.tables) {
      if (this.missing.has(table.name) || (!this.dryRun && (await isEmpty(this.connection, table.name)))) this.empty.add(table.name);
    }
    for (const [index, file] of this.files.entries()) {
      if (this.errors.length >= this.maxErrors) break;
      await this.loadFile(file, this.reports[index], this.files[index + 1]);
    }
    if (this.errors.length === 0 && !this.dryRun) {
      if (this.options.prune) {
        for (const [index, file] of [...this.files.entries()].reverse()) {
          if (this.staged.has(file.table.name)) this.reports[index].pruned = await pruneTable(this.connection, file.table);
        }
      }
      await this.progress({ phase: 'commit', table: '', rows: 0 });
      this.committing = true;
      await this.connection.commit();
      this.committing = false;
      this.committed = true;
      // Best effort: temporary tables end with the session anyway, and the load is committed.
      await this.dropStagingTables().catch(() => undefined);
    }
    return { errors: this.errors.slice(0, this.maxErrors), tables: this.reports, createdTables: this.created.map((t) => t.name) };
  }

  /**
   * Creates the contract tables the database lacks. DDL commits at once, so each table is noted as this run's the
   * moment it exists, to be dropped again if the run fails. A table that appears meanwhile (another session) is not
   * this run's: it would be refused, since its schema was never checked.
   */
  private async createMissingTables(): Promise<void> {
    for (const table of this.options.tables.filter((t) => this.missing.has(t.name))) {
      const [result] = await this.connection.query<ResultSetHeader>(createTableSql(table));
      if (result.warningStatus > 0) throw new Error(`table ${table.name} appeared while this run was creating it; run the loader again`);
      this.created.push(table);
    }
  }

  /**
   * The validation of a file, started at most once: by the previous file once all of its rows are sent (so that the
   * threads validate this one while the server still stores that one), or when its turn comes.
   */
  private validationOf(file: TableFile): AsyncGenerator<ValidatedChunk> {
    let chunks = this.validations.get(file);
    if (!chunks) {
      chunks = startedEarly(
        validatedChunks(this.inputs.get(file)!, file.table, this.validation.validate, {
          ahead: this.validation.ahead,
          remainingErrors: () => this.maxErrors - this.errors.length,
        }),
      );
      this.validations.set(file, chunks);
    }
    return chunks;
  }

  private async loadFile(file: TableFile, report: TableReport, nextFile: TableFile | undefined): Promise<void> {
    const { table } = file;
    const started = process.hrtime.bigint();
    this.position = { table: table.name, path: file.path };
    const writing = this.errors.length === 0 && !this.dryRun;
    const direct = writing && this.empty.has(table.name);
    const references = await this.referenceChecks(table);
    const keys = new KeyIndex();
    if (writing) this.writer = await this.openWriter(table, direct);

    let [rows, rejected, complete, reported] = [0, 0, true, 0];
    const remainingErrors = (): number => this.maxErrors - this.errors.length;
    for await (const chunk of this.validationOf(file)) {
      this.position.line = chunk.firstLine;
      rows += chunk.rows;
      const keyErrors = this.keyErrors(table, file.path, chunk, keys, references);
      rejected += chunk.rejected + keyErrors.rows;
      complete &&= !chunk.stopped && chunk.rejected === 0;
      const found = [...chunk.errors, ...keyErrors.errors].sort((a, b) => a.line - b.line || a.column - b.column);
      this.errors.push(...found.slice(0, remainingErrors()));
      if (found.length > 0) await this.stopWriting();
      else await this.writer?.write(chunk.tsv, chunk.lines.length);
      if (Math.floor(rows / 100_000) > reported) {
        reported = Math.floor(rows / 100_000);
        await this.progress({ phase: 'validate', table: table.name, rows });
      }
      if (this.errors.length >= this.maxErrors) complete = false;
    }
    if (complete) this.allKeysKnown.add(table.name);
    // Kept, compactly, only while a later file may reference them.
    if (this.files.some((f) => f.table.columns.some((c) => c.references?.table === table.name)))
      this.runKeys.set(table.name, keys.freeze());
    Object.assign(report, { read: rows, rejected });
    await this.progress({ phase: 'validate', table: table.name, rows });
    this.position.line = undefined;
    if (nextFile && this.errors.length < this.maxErrors) this.validationOf(nextFile);
    if (this.writer) {
      await this.writer.finish();
      this.writer = undefined;
      await this.restoreServerChecks();
      if (direct) Object.assign(report, { inserted: rows });
      else {
        await this.progress({ phase: 'merge', table: table.name, rows: 0 });
        const counts = await mergeTable(this.connection, table);
        Object.assign(report, counts, { unchanged: rows - counts.inserted - counts.updated });
      }
      await this.progress({ phase: 'merged', table: table.name, rows: report.inserted + report.updated });
    }
    report.seconds = elapsed(started);
  }

  /**
   * The writer for one table: straight into it when it was empty, the bulk first load, or into a session-private
   * staging table that is then merged.
   */
  private async openWriter(table: Table, direct: boolean): Promise<TableWriter> {
    let target = table.name;
    if (direct) {
      const [[saved]] = await this.connection.query<RowDataPacket[]>(
        'SELECT @@SESSION.foreign_key_checks AS foreignKeyChecks, @@SESSION.unique_checks AS uniqueChecks',
      );
      this.savedServerChecks = { foreignKeyChecks: Number(saved.foreignKeyChecks), uniqueChecks: Number(saved.uniqueChecks) };
      // Safe, and it is what makes a first load as fast as the server can store rows (MariaDB then inserts into the
      // empty table in bulk, and undoes it at once on rollback): every key of this file was checked unique and every
      // reference was found among its parent's keys (this run's file and the rows the database keeps) before a byte
      // of it was sent, since each chunk is checked before it is written and writing stops at the first error; the
      // table was empty, and the whole load is one transaction that commits only when every check passed.
      await this.connection.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');
    } else {
      target = stageName(table);
      const columns = table.columns.map((c) => `${q(c.name)} ${columnType(c.type)} ${c.nullable ? 'NULL' : 'NOT NULL'}`);
      await this.connection.query(`DROP TEMPORARY TABLE IF EXISTS ${q(target)}`);
      await this.connection.query(
        `CREATE TEMPORARY TABLE ${q(target)} (${columns.join(', ')}, PRIMARY KEY (${q(table.primaryKey)})) ` +
          `ENGINE=InnoDB DEFAULT CHARSET=${TABLE_CHARSET} COLLATE=${TABLE_COLLATION}`,
      );
      this.staged.add(table.name);
    }
    return (this.options.loadMethod ?? 'infile') === 'infile'
      ? new InfileWriter(this.connection, target, table)
      : new InsertWriter(this.connection, target, table);
  }

  private async restoreServerChecks(): Promise<void> {
    if (!this.savedServerChecks) return;
    const { foreignKeyChecks, uniqueChecks } = this.savedServerChecks;
    this.savedServerChecks = undefined;
    await this.connection.query('SET SESSION foreign_key_checks = ?, unique_checks = ?', [foreignKeyChecks, uniqueChecks]);
  }

  /** Ends the statement feeding the server at the first error, so the server never waits on a stream that stopped. */
  private async stopWriting(): Promise<void> {
    if (!this.writer) return;
    await this.writer.abort();
    this.writer = undefined;
    await this.restoreServerChecks();
  }

  /** For each foreign key of `table`, the keys its values must be among. */
  private async referenceChecks(table: Table): Promise<ReferenceCheck[]> {
    const checks: ReferenceCheck[] = [];
    for (const [field, column] of table.columns.entries()) {
      if (!column.references) continue;
      const { table: parentName, column: parentColumn } = column.references;
      const parent = this.options.tables.find((t) => t.name === parentName);
      const parentKey = parent?.columns.find((c) => c.name === parent.primaryKey);
      if (!parent || !parentKey || parent.primaryKey !== parentColumn || !sameKeyFormat(column, parentKey)) {
        throw new Error(`contract: ${table.name}.${column.name} must reference the primary key of a contract table in the same id format`);
      }
      const inRun = this.files.some((f) => f.table.name === parentName);
      // A parent whose file had rejected rows is missing keys: its children's references are checked on a later run.
      if (inRun && !this.allKeysKnown.has(parentName)) continue;
      // With --prune the parent keeps only the rows of its file.
      const keepsRows = !this.empty.has(parentName) && !(inRun && this.options.prune);
      checks.push({
        column,
        field,
        parent,
        runKeys: this.runKeys.get(parentName),
        databaseKeys: keepsRows ? await this.keysInDatabase(parent) : undefined,
      });
    }
    return checks;
  }

  /** The keys of a table in the database, read once, in pages. */
  private async keysInDatabase(table: Table): Promise<KeySet> {
    const cached = this.databaseKeys.get(table.name);
    if (cached) return cached;
    const keys = new KeyIndex();
    keys.forgetLines();
    const encode = keyEncoder(table.columns.find((c) => c.name === table.primaryKey)!);
    const pk = q(table.primaryKey);
    for (let after: string | undefined; ; ) {
      const [rows] = await this.connection.query<RowDataPacket[]>(
        `SELECT ${pk} AS k FROM ${q(table.name)} ${after === undefined ? '' : `WHERE ${pk} > ?`} ORDER BY ${pk} LIMIT ${KEY_PAGE}`,
        after === undefined ? [] : [after],
      );
      for (const row of rows) {
        const code = encode(String(row.k));
        if (code !== NOT_A_KEY) keys.add(code, 0);
      }
      if (rows.length < KEY_PAGE) break;
      after = String(rows[rows.length - 1].k);
    }
    const found = keys.freeze();
    this.databaseKeys.set(table.name, found);
    return found;
  }

  /**
   * The key errors of a chunk's valid rows, in one pass: a primary key seen earlier in the file, and a foreign key found
   * neither among its parent's keys in this run nor among those the database keeps.
   */
  private keyErrors(
    table: Table,
    path: string,
    chunk: ValidatedChunk,
    keys: KeyIndex,
    references: readonly ReferenceCheck[],
  ): { errors: LocatedError[]; rows: number } {
    const errors: LocatedError[] = [];
    let rows = 0;
    let text: ChunkText | undefined;
    const keyField = table.columns.findIndex((c) => c.name === table.primaryKey);
    const report = (line: number, field: number, message: (value: string) => string): void => {
      const at = (text ??= new ChunkText(chunk.bytes, chunk.firstLine)).field(line, field);
      errors.push({ path, line: at.line, column: at.column, message: message(at.value) });
    };
    for (let row = 0; row < chunk.lines.length && errors.length < this.maxErrors; row += 1) {
      const line = chunk.lines[row];
      const before = errors.length;
      const earlier = keys.add(chunk.keys[row], line);
      if (earlier !== undefined)
        report(line, keyField, (value) => `duplicate ${table.primaryKey} ${JSON.stringify(value)} (first at line ${earlier})`);
      for (let k = 0; k < references.length; k += 1) {
        const check = references[k];
        const code = chunk.references[k][row];
        if (code === NULL_KEY || check.runKeys?.has(code) || check.databaseKeys?.has(code)) continue;
        const { table: parent, column } = check.column.references!;
        report(
          line,
          check.field,
          (value) => `${check.column.name} ${JSON.stringify(value)} matches no ${parent}.${column} in this run or the database`,
        );
      }
      if (errors.length > before) rows += 1;
    }
    return { errors, rows };
  }

  private async dropStagingTables(): Promise<void> {
    for (const name of this.staged) await this.connection.query(`DROP TEMPORARY TABLE IF EXISTS ${q(`_stage_${name}`)}`);
    this.staged.clear();
  }

  /**
   * Puts the database back after a failure, in this order: ends the statement feeding the server (so that nothing
   * waits for the server's read timeout), rolls back, and drops the tables this run created, through a new connection
   * when this one is lost. A created table is dropped only while it is empty, so nothing another session wrote into
   * it meanwhile is lost.
   */
  undo(): Promise<Undo> {
    // Once: an interrupt may ask while the run's own failure handling already does it.
    return (this.undoing ??= this.undoOnce());
  }

  private async undoOnce(): Promise<Undo> {
    const notRestored: string[] = [];
    const droppedTables: string[] = [];
    // Once COMMIT was sent, what the tables hold may be this run's committed load: nothing is touched.
    if (this.committing || this.committed) return { connectionLost: false, droppedTables, notRestored };
    await this.writer?.abort();
    this.writer = undefined;
    let connectionLost = false;
    if (!this.dryRun) {
      try {
        await this.connection.rollback();
        await this.restoreServerChecks();
        await this.dropStagingTables();
      } catch {
        connectionLost = true;
      }
    }
    if (this.created.length === 0) return { connectionLost, droppedTables, notRestored };
    let cleaner: Connection;
    try {
      cleaner = connectionLost ? await reopen(this.connection) : this.connection;
    } catch (error) {
      notRestored.push(`the tables this run created (${this.created.map((t) => t.name).join(', ')}) are left, empty: ${errorText(error)}`);
      return { connectionLost, droppedTables, notRestored };
    }
    try {
      for (const table of [...this.created].reverse()) {
        try {
          if (!(await isEmpty(cleaner, table.name))) {
            notRestored.push(`table ${table.name}, created by this run, now holds rows another session wrote, so it was kept`);
            continue;
          }
          await cleaner.query(`DROP TABLE ${q(table.name)}`);
          droppedTables.push(table.name);
        } catch (error) {
          notRestored.push(`table ${table.name}, created by this run, could not be dropped: ${errorText(error)}`);
        }
      }
    } finally {
      if (cleaner !== this.connection) await cleaner.end().catch(() => undefined);
    }
    return { connectionLost, droppedTables, notRestored };
  }

  /** The error to report for a run that stopped on `error`: where it was, what happened, and what was put back. */
  failure(error: unknown, undo: Undo): CliError {
    const where = this.position
      ? `${this.position.path}${this.position.line === undefined ? '' : `:${this.position.line}:1`} (${this.position.table})`
      : undefined;
    if (error instanceof UnreadableInputError) {
      const located = formatError({ path: error.path, line: error.line, column: 1, message: error.message });
      return new InputError(`${located}; ${undoText(undo)}`, undefined, { cause: error });
    }
    if (this.committing) {
      return new EnvironmentError(
        `COMMIT failed (${errorText(error)}): whether the load was committed is unknown; look at the tables before running it again`,
        undefined,
        { cause: error },
      );
    }
    const what = undo.connectionLost ? `lost the connection to the server (${errorText(error)})` : errorText(error);
    const message = `${where ? `${where}: ` : ''}${what}; ${undoText(undo)}`;
    const classified = asCliError(error);
    return undo.connectionLost || classified instanceof EnvironmentError
      ? new EnvironmentError(message, classified.details, { cause: error })
      : new CheckFailedError(message, classified.details, { cause: error });
  }
}

/** Opens every input before anything else is touched; the first that cannot be opened is an input error. */
async function openInputs(files: readonly TableFile[]): Promise<Map<TableFile, InputFile>> {
  const inputs = new Map<TableFile, InputFile>();
  try {
    for (const file of files) inputs.set(file, await openInput(file.path));
    return inputs;
  } catch (error) {
    await Promise.all([...inputs.values()].map((input) => input.handle.close()));
    if (!(error instanceof UnreadableInputError)) throw error;
    const table = files.find((f) => f.path === error.path)?.table.name;
    const located = formatError({ path: error.path, line: error.line, column: 1, message: error.message });
    throw new InputError(`${located}${table ? ` (the ${table} file)` : ''}; nothing was changed`, undefined, { cause: error });
  }
}

/**
 * Loads the clinic's CSV exports into MySQL so that a failure at any point leaves the database as it was:
 *
 * 1. every file is opened and the existing schema compared with the contract before anything is written; a
 *    different schema is refused;
 * 2. in one transaction, parents first, each file is validated in chunks (on validation threads for large inputs)
 *    and each chunk's keys checked here (unique within the file, every reference among its parent's keys) before the
 *    chunk is sent: straight into its table when that table is empty (the bulk first load, with the server's own key
 *    checks off, as every key was already proven), otherwise into a session-private staging table whose changed rows
 *    then update the table and whose new rows are inserted (and, on request, absent rows pruned);
 * 3. any invalid row or key stops writing at once and rolls everything back, reporting each error as
 *    `path:line:column`; an unreadable file, a lost connection or a server error does the same and is thrown, saying
 *    where the run was and what it put back.
 *
 * Creating missing tables is DDL, which MySQL cannot roll back: tables created by a run that then fails are dropped
 * again, through a new connection when the run's own was lost.
 */
export async function loadClinicData(options: LoadOptions): Promise<LoadReport> {
  const started = process.hrtime.bigint();
  const dryRun = options.dryRun ?? false;
  const order = options.tables.map((t) => t.name);
  const files = [...options.files].sort((a, b) => order.indexOf(a.table.name) - order.indexOf(b.table.name));
  const report = (ok: boolean, extra: Partial<LoadReport> = {}): LoadReport => ({
    ok,
    dryRun,
    tables: files.map(emptyTableReport),
    errors: [],
    schemaDifferences: [],
    createdTables: [],
    droppedTables: [],
    notRestored: [],
    seconds: elapsed(started),
    ...extra,
  });

  const inputs = await openInputs(files);
  let validation: ChunkValidation = onThisThread;
  try {
    const schema = await checkSchema(options.connection, options.database, options.tables);
    if (schema.differences.length > 0) return report(false, { schemaDifferences: schema.differences });
    const sizes = await Promise.all([...inputs.values()].map(async (input) => (await input.handle.stat()).size));
    const threads = options.threads ?? (sizes.reduce((a, b) => a + b, 0) >= PARALLEL_MIN_BYTES ? defaultThreads() : 0);
    if (threads > 0) validation = validationThreads(threads);
    const load = new ClinicLoad(options, files, inputs, validation, schema.missing);
    // Interrupted (Ctrl-C, SIGTERM): the run's connection is closed first, so that the interrupted work cannot send
    // another statement, and the server rolls its transaction back; then the tables this run created are dropped.
    const unregister = registerCleanup(
      `undo the seed load into ${options.database}`,
      async () => {
        options.connection.destroy();
        await load.undo();
      },
      () => options.connection.destroy(),
    );
    let outcome: Awaited<ReturnType<ClinicLoad['run']>>;
    try {
      outcome = await load.run();
    } catch (error) {
      throw load.failure(error, await load.undo());
    } finally {
      unregister();
    }
    if (outcome.errors.length === 0) return report(true, { tables: outcome.tables, createdTables: dryRun ? [] : outcome.createdTables });
    const undo = await load.undo();
    return report(false, {
      tables: outcome.tables,
      errors: outcome.errors,
      droppedTables: undo.droppedTables,
      notRestored: undo.notRestored,
    });
  } finally {
    await validation.close();
    await Promise.all([...inputs.values()].map((input) => input.handle.close()));
  }
}
