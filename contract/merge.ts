import { Table } from './clinic';
import { glueType } from './lake';

/**
 * The change log and the current state, generated from the contract.
 *
 * DMS writes every table as a change log (the raw zone): the full load and every later change, each row carrying the
 * operation, DMS's commit time and its change sequence (`$AR_H_CHANGE_SEQ`, added by a transformation rule: a
 * fixed-width, strictly increasing string, so two changes of one row inside one transaction are ordered). The
 * current-state tables (Apache Iceberg) hold one row per primary key as the source has it now, plus the sequence of
 * the last change applied to it. The merge below applies the change log to them: the latest change per key wins, a
 * delete removes the row. It is idempotent (a second run changes nothing) and incremental (it reads only changes
 * newer than the newest one already applied).
 */

/** Columns DMS adds to every change-log row, as the catalog names them (lower case). */
export const CHANGE_LOG_COLUMNS = {
  /** `I`, `U` or `D` (`includeOpForFullLoad` gives full-load rows `I` too). */
  operation: 'op',
  /** DMS's commit time of the change (`TimestampColumnName`), text `yyyy-MM-dd HH:mm:ss.SSSSSS`. */
  commitTime: 'dms_commit_ts',
  /** `$AR_H_CHANGE_SEQ`: orders every change; empty for full-load rows, which come before any change. */
  changeSequence: 'dms_change_seq',
} as const;

/** The column of a current-state table holding the change sequence of the last change applied to the row. */
export const LAST_CHANGE_SEQUENCE = 'last_change_seq';

/**
 * The Glue database of the change-log tables, beside the main database `<db>` that holds the current-state tables
 * under the same names: readable only by the merge and lake admins, so analysts never see deleted rows or old images.
 */
export const changeLogDatabaseOf = (database: string): string => `${database}_changes`;

/** A column as the Glue catalog records it: lower-case name and Glue (Hive) type. */
export interface CatalogColumn {
  readonly name: string;
  readonly type: string;
}

const contractCatalogColumns = (table: Table): CatalogColumn[] =>
  table.columns.map((c) => ({ name: c.name.toLowerCase(), type: glueType(c.type) }));

/** A change-log table in the catalog: DMS's three columns (all text), then the row image. */
export const changeLogCatalogColumns = (table: Table): CatalogColumn[] => [
  ...Object.values(CHANGE_LOG_COLUMNS).map((name) => ({ name, type: 'string' })),
  ...contractCatalogColumns(table),
];

/** A current-state table in the catalog: the contract's columns, then the sequence of the last change applied. */
export const currentCatalogColumns = (table: Table): CatalogColumn[] => [
  ...contractCatalogColumns(table),
  { name: LAST_CHANGE_SEQUENCE, type: 'string' },
];

/** The operations a change-log row may carry. */
export const OPERATIONS = ['I', 'U', 'D'] as const;

/** Where the merge reads and writes, as the engine names the tables (Athena: `db.table`; DuckDB: `schema.table`). */
export interface MergeTables {
  readonly changeLog: (table: Table) => string;
  readonly current: (table: Table) => string;
}

const quote = (name: string): string => `"${name.toLowerCase()}"`;

/**
 * The newest change of each key that is newer than everything already applied: the whole log on the first run
 * (nothing applied yet), otherwise only changes whose sequence is above the newest applied one. Re-reading a change
 * already applied is harmless (the latest change per key still wins), so the window only has to start no later than
 * the first unapplied change.
 */
function newestChangesSql(table: Table, tables: MergeTables): string {
  const { operation, changeSequence } = CHANGE_LOG_COLUMNS;
  const key = quote(table.primaryKey);
  const applied = `(SELECT max(${LAST_CHANGE_SEQUENCE}) FROM ${tables.current(table)})`;
  const columns = [operation, changeSequence, ...table.columns.map((c) => c.name.toLowerCase())].map(quote).join(', ');
  return (
    `SELECT ${columns} FROM (` +
    `SELECT ${columns}, row_number() OVER (PARTITION BY ${key} ORDER BY ${quote(changeSequence)} DESC) AS newest ` +
    `FROM ${tables.changeLog(table)} ` +
    `WHERE ${applied} IS NULL OR ${quote(changeSequence)} > ${applied}` +
    `) WHERE newest = 1`
  );
}

/**
 * `MERGE INTO` of one current-state table from its change log, in the SQL that Athena (Trino, on Iceberg) and DuckDB
 * both accept: the newest change per key updates or inserts the row, or deletes it.
 */
export function mergeSql(table: Table, tables: MergeTables): string {
  const { operation, changeSequence } = CHANGE_LOG_COLUMNS;
  const key = quote(table.primaryKey);
  const values = table.columns.map((c) => quote(c.name));
  const others = table.columns.filter((c) => c.name !== table.primaryKey).map((c) => quote(c.name));
  return [
    `MERGE INTO ${tables.current(table)} AS t`,
    `USING (${newestChangesSql(table, tables)}) AS s`,
    `ON t.${key} = s.${key}`,
    `WHEN MATCHED AND s.${quote(operation)} = 'D' THEN DELETE`,
    `WHEN MATCHED THEN UPDATE SET ${[...others.map((c) => `${c} = s.${c}`), `${LAST_CHANGE_SEQUENCE} = s.${quote(changeSequence)}`].join(', ')}`,
    `WHEN NOT MATCHED AND s.${quote(operation)} <> 'D' THEN INSERT (${[...values, LAST_CHANGE_SEQUENCE].join(', ')}) ` +
      `VALUES (${[...values.map((c) => `s.${c}`), `s.${quote(changeSequence)}`].join(', ')})`,
  ].join('\n');
}

/**
 * Rows of a change log that the merge cannot apply truthfully, each with its problem: an unknown operation, a change
 * (`U`, `D`) without a sequence, a key missing, or two changes of one key with the same sequence (the order between
 * them is lost). The merge runs only when this returns nothing.
 */
export function changeLogProblemsSql(table: Table, tables: MergeTables): string {
  const { operation, changeSequence } = CHANGE_LOG_COLUMNS;
  const key = quote(table.primaryKey);
  const op = quote(operation);
  const seq = quote(changeSequence);
  const log = tables.changeLog(table);
  return [
    `SELECT 'unknown operation' AS problem, CAST(${key} AS varchar) AS row_key, CAST(${op} AS varchar) AS detail FROM ${log} WHERE ${op} IS NULL OR ${op} NOT IN (${OPERATIONS.map((o) => `'${o}'`).join(', ')})`,
    `SELECT 'change without a sequence', CAST(${key} AS varchar), ${op} FROM ${log} WHERE ${op} IN ('U', 'D') AND (${seq} IS NULL OR ${seq} = '')`,
    `SELECT 'row without a key', CAST(${key} AS varchar), ${seq} FROM ${log} WHERE ${key} IS NULL`,
    `SELECT 'two changes with one sequence', CAST(${key} AS varchar), ${seq} FROM ${log} WHERE ${seq} <> '' GROUP BY ${key}, ${seq} HAVING count(*) > 1`,
  ].join('\nUNION ALL\n');
}

/**
 * DMS transformation rules that add the change sequence to every table's rows (`add-column` with the
 * `$AR_H_CHANGE_SEQ` header), one per contract table, numbered after the selection rules.
 */
export function changeSequenceRules(tables: readonly Table[], schema: string, firstRuleId: number): object[] {
  return tables.map((table, index) => ({
    'rule-type': 'transformation',
    'rule-id': String(firstRuleId + index),
    'rule-name': `add-change-sequence-${table.name}`,
    'rule-target': 'column',
    'object-locator': { 'schema-name': schema, 'table-name': table.name },
    'rule-action': 'add-column',
    value: CHANGE_LOG_COLUMNS.changeSequence,
    expression: '$AR_H_CHANGE_SEQ',
    'data-type': { type: 'string', length: 50 },
  }));
}
