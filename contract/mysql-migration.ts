import { Column, Table } from './clinic';
import { ActualColumn, columnConstraints, columnDefinition, columnType, createTableSql, quoteIdentifier } from './mysql';

/**
 * How a deployed database is brought to the contract: the differences between what `information_schema` holds and
 * what the contract says, split into the additive ones, which ALTER statements apply without touching a stored value,
 * and the ones refused because they would lose or rewrite data or cannot be applied safely.
 *
 * Additive: a new table; a new column that is nullable or has a default (existing rows read NULL or the default),
 * appended at the end of its table; a VARCHAR or CHAR made longer. DMS captures `ADD COLUMN` from MySQL only at the
 * end of a table ("Columns are always added to the end of the table",
 * https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.MySQL.html#CHAP_Source.MySQL.Limitations), so a new
 * column anywhere else is refused, as is every change DMS does not capture there (nullability, defaults).
 *
 * Refused: a table or column the contract no longer has (dropped), a shorter or different type, a new NOT NULL column
 * without a default, a changed primary key or foreign key, a changed NULL/NOT NULL, columns in another order.
 */

/** One difference, named the way the messages say it: `table.column: what (from → to)`. */
export interface SchemaChange {
  readonly table: string;
  readonly column?: string;
  readonly kind:
    | 'new table'
    | 'new column'
    | 'wider type'
    | 'dropped table'
    | 'dropped column'
    | 'narrower type'
    | 'type change'
    | 'nullability change'
    | 'new NOT NULL column without a default'
    | 'key change'
    | 'foreign key change'
    | 'column order'
    | 'new column not at the end';
  readonly from?: string;
  readonly to?: string;
  /** What to do instead, for a refused change. */
  readonly hint?: string;
}

export interface MigrationPlan {
  /** Changes the statements below apply. */
  readonly additive: readonly SchemaChange[];
  /** Changes nothing applies; any of them refuses the whole migration. */
  readonly refused: readonly SchemaChange[];
  /** The DDL, in contract order (parents first), one statement per table. */
  readonly statements: readonly string[];
}

/** What a database holds: every base table's name, and the columns of the contract's tables. */
export interface DeployedSchema {
  readonly tables: readonly string[];
  readonly columns: readonly ActualColumn[];
}

/** `patient.preferred_name: new column (→ varchar(50) NULL)`, the line a person reads. */
export function describeChange(change: SchemaChange): string {
  const where = change.column ? `${change.table}.${change.column}` : change.table;
  const fromTo = change.from !== undefined || change.to !== undefined ? ` (${change.from ?? 'none'} → ${change.to ?? 'none'})` : '';
  return `${where}: ${change.kind}${fromTo}${change.hint ? `: ${change.hint}` : ''}`;
}

const declared = (column: Column): string =>
  `${columnType(column.type)} ${column.nullable ? 'NULL' : 'NOT NULL'}${column.default === undefined ? '' : ` DEFAULT '${column.default}'`}`;

const lengthOf = (type: string): { kind: string; length: number } | undefined => {
  const match = /^(varchar|char)\((\d+)\)$/i.exec(type);
  return match ? { kind: match[1].toLowerCase(), length: Number(match[2]) } : undefined;
};

/** A type change of a column both sides have: wider text is additive, anything else refused. */
function typeChange(table: Table, column: Column, found: ActualColumn): SchemaChange | undefined {
  const from = found.columnType.toLowerCase();
  const to = columnType(column.type);
  if (from === to) return undefined;
  const [before, after] = [lengthOf(from), lengthOf(to)];
  const base = { table: table.name, column: column.name, from, to };
  if (!before || !after || before.kind !== after.kind) return { ...base, kind: 'type change', hint: 'a new column and a copy, by hand' };
  return after.length > before.length ? { ...base, kind: 'wider type' } : { ...base, kind: 'narrower type', hint: 'values could be cut' };
}

/** The changes of one table both sides have, and the clauses of its ALTER TABLE. */
function compareTable(table: Table, present: readonly ActualColumn[]): { changes: SchemaChange[]; clauses: string[] } {
  const changes: SchemaChange[] = [];
  const clauses: string[] = [];
  const contractNames = table.columns.map((c) => c.name);
  const found = new Map(present.map((c) => [c.column, c]));

  for (const column of present.filter((c) => !contractNames.includes(c.column))) {
    changes.push({
      table: table.name,
      column: column.column,
      kind: 'dropped column',
      from: column.columnType,
      hint: 'the contract no longer has it; drop it by hand once nothing reads it',
    });
  }
  const kept = present.map((c) => c.column).filter((name) => contractNames.includes(name));
  const keptInContract = contractNames.filter((name) => found.has(name));
  if (kept.join(',') !== keptInContract.join(',')) {
    changes.push({ table: table.name, kind: 'column order', from: kept.join(', '), to: keptInContract.join(', ') });
  }
  // New columns may only follow every existing one: DMS captures columns added at the end of a table only.
  const lastExisting = Math.max(...table.columns.map((c, index) => (found.has(c.name) ? index : -1)));

  table.columns.forEach((column, index) => {
    const actual = found.get(column.name);
    const base = { table: table.name, column: column.name };
    if (!actual) {
      if (column.name === table.primaryKey) changes.push({ ...base, kind: 'key change', to: `primary key ${column.name}` });
      else if (!column.nullable && column.default === undefined) {
        changes.push({
          ...base,
          kind: 'new NOT NULL column without a default',
          to: declared(column),
          hint: 'existing rows would have no value; make it nullable or give it a default',
        });
      } else if (index < lastExisting) {
        changes.push({
          ...base,
          kind: 'new column not at the end',
          to: declared(column),
          hint: 'DMS captures columns added at the end of a table only; move it after the last column',
        });
      } else {
        changes.push({ ...base, kind: 'new column', to: declared(column) });
        clauses.push(`ADD COLUMN ${columnDefinition(column)}`, ...columnConstraints(table, column).map((c) => `ADD ${c}`));
      }
      return;
    }
    const type = typeChange(table, column, actual);
    if (type) {
      changes.push(type);
      if (type.kind === 'wider type') clauses.push(`MODIFY COLUMN ${columnDefinition(column)}`);
    }
    if (actual.nullable !== column.nullable) {
      changes.push({
        ...base,
        kind: 'nullability change',
        from: actual.nullable ? 'NULL' : 'NOT NULL',
        to: column.nullable ? 'NULL' : 'NOT NULL',
      });
    }
    const isKey = column.name === table.primaryKey;
    if (actual.primaryKey !== isKey) {
      changes.push({
        ...base,
        kind: 'key change',
        from: actual.primaryKey ? 'primary key' : 'not a key',
        to: isKey ? 'primary key' : 'not a key',
      });
    }
    const reference = column.references ? `${column.references.table}.${column.references.column}` : undefined;
    if (actual.references !== reference) changes.push({ ...base, kind: 'foreign key change', from: actual.references, to: reference });
  });
  return { changes, clauses };
}

const ADDITIVE: ReadonlySet<SchemaChange['kind']> = new Set(['new table', 'new column', 'wider type']);

/**
 * The migration from a deployed schema to the contract. A database holding none of the contract's tables needs none
 * (the loader creates them on its first load); otherwise every difference is either applied by `statements` or refused.
 */
export function planMigration(tables: readonly Table[], deployed: DeployedSchema): MigrationPlan {
  const contractNames = new Set(tables.map((t) => t.name));
  const changes: SchemaChange[] = deployed.tables
    .filter((name) => !contractNames.has(name))
    .map((name) => ({ table: name, kind: 'dropped table', hint: 'the contract no longer has it; drop it by hand once nothing reads it' }));
  const statements: string[] = [];
  if (!tables.some((t) => deployed.tables.includes(t.name))) return { additive: [], refused: changes, statements };

  for (const table of tables) {
    if (!deployed.tables.includes(table.name)) {
      changes.push({ table: table.name, kind: 'new table' });
      statements.push(createTableSql(table));
      continue;
    }
    const present = deployed.columns.filter((c) => c.table === table.name).sort((a, b) => a.position - b.position);
    const { changes: tableChanges, clauses } = compareTable(table, present);
    changes.push(...tableChanges);
    if (clauses.length > 0) statements.push(`ALTER TABLE ${quoteIdentifier(table.name)}\n  ${clauses.join(',\n  ')}`);
  }
  return {
    additive: changes.filter((c) => ADDITIVE.has(c.kind)),
    refused: changes.filter((c) => !ADDITIVE.has(c.kind)),
    statements,
  };
}

/** Every base table of a database, for `DeployedSchema.tables`. */
export const BASE_TABLES_SQL = `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`;
