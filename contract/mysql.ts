import { Column, SqlType, Table } from './clinic';

/** Collation of every clinic table: binary, so comparisons, keys and checksums agree on MySQL and MariaDB alike. */
export const TABLE_CHARSET = 'utf8mb4';
export const TABLE_COLLATION = 'utf8mb4_bin';

export const quoteIdentifier = (name: string): string => `\`${name.replace(/`/g, '``')}\``;
const quoteString = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** The column type as MySQL's `information_schema.COLUMNS.COLUMN_TYPE` spells it. */
export function columnType(type: SqlType): string {
  switch (type.kind) {
    case 'varchar':
      return `varchar(${type.length})`;
    case 'char':
      return `char(${type.length})`;
    case 'date':
      return 'date';
    case 'time':
      return 'time';
    case 'datetime':
      return 'datetime';
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'enum':
      return `enum(${type.values.map(quoteString).join(',')})`;
  }
}

/** A column as `CREATE TABLE` and `ALTER TABLE ... ADD COLUMN` declare it: name, type, NULL, default, comment. */
export function columnDefinition(column: Column): string {
  const defaultValue = column.default === undefined ? '' : ` DEFAULT ${quoteString(column.default)}`;
  return `${quoteIdentifier(column.name)} ${columnType(column.type)} ${column.nullable ? 'NULL' : 'NOT NULL'}${defaultValue} COMMENT ${quoteString(
    `${column.classification}: ${column.description}`,
  )}`;
}

/** The named constraints of one column: its foreign key, and a CHECK for patterned text. */
export function columnConstraints(table: Table, column: Column): string[] {
  const constraints: string[] = [];
  if (column.references) {
    constraints.push(
      `CONSTRAINT ${quoteIdentifier(`fk_${table.name}_${column.name}`)} FOREIGN KEY (${quoteIdentifier(column.name)}) ` +
        `REFERENCES ${quoteIdentifier(column.references.table)} (${quoteIdentifier(column.references.column)})`,
    );
  }
  // Patterned text only: a DATETIME written in a pattern is already checked by its type.
  if (column.csv.kind === 'pattern' && (column.type.kind === 'char' || column.type.kind === 'varchar')) {
    constraints.push(
      `CONSTRAINT ${quoteIdentifier(`chk_${table.name}_${column.name}`)} CHECK (${quoteIdentifier(column.name)} REGEXP ${quoteString(column.csv.pattern.source)})`,
    );
  }
  return constraints;
}

/** `CREATE TABLE` for one contract table: keys, foreign keys and CHECK constraints for patterned text. */
export function createTableSql(table: Table): string {
  const lines = [
    ...table.columns.map(columnDefinition),
    `PRIMARY KEY (${quoteIdentifier(table.primaryKey)})`,
    ...table.columns.flatMap((column) => columnConstraints(table, column)),
  ];
  return (
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table.name)} (\n  ${lines.join(',\n  ')}\n) ` +
    `ENGINE=InnoDB DEFAULT CHARSET=${TABLE_CHARSET} COLLATE=${TABLE_COLLATION} COMMENT=${quoteString(table.description)}`
  );
}

/** The whole schema, parents before children. */
export function schemaDdl(tables: readonly Table[]): string[] {
  return tables.map(createTableSql);
}

/** One row of `information_schema.COLUMNS` for a clinic table. */
export interface ActualColumn {
  readonly table: string;
  readonly column: string;
  readonly position: number;
  readonly columnType: string;
  readonly nullable: boolean;
  readonly primaryKey: boolean;
  readonly references?: string;
}

/**
 * Differences between the contract and what a database holds, as readable sentences; empty when they agree. A
 * table the database lacks is not a difference (the loader creates it); `missing` lists those tables.
 */
export function compareSchema(tables: readonly Table[], actual: readonly ActualColumn[]): { differences: string[]; missing: string[] } {
  const differences: string[] = [];
  const missing: string[] = [];
  for (const table of tables) {
    const present = actual.filter((c) => c.table === table.name).sort((a, b) => a.position - b.position);
    if (present.length === 0) {
      missing.push(table.name);
      continue;
    }
    const expectedNames = table.columns.map((c) => c.name);
    const actualNames = present.map((c) => c.column);
    if (expectedNames.join(',') !== actualNames.join(',')) {
      differences.push(`${table.name}: columns are (${actualNames.join(', ')}), the contract has (${expectedNames.join(', ')})`);
      continue;
    }
    table.columns.forEach((column, index) => {
      const found = present[index];
      const where = `${table.name}.${column.name}`;
      if (found.columnType.toLowerCase() !== columnType(column.type)) {
        differences.push(`${where}: type is ${found.columnType}, the contract has ${columnType(column.type)}`);
      }
      if (found.nullable !== column.nullable) {
        differences.push(
          `${where}: ${found.nullable ? 'allows' : 'forbids'} NULL, the contract ${column.nullable ? 'allows' : 'forbids'} it`,
        );
      }
      if (found.primaryKey !== (table.primaryKey === column.name)) {
        differences.push(`${where}: ${found.primaryKey ? 'is' : 'is not'} the primary key, unlike the contract`);
      }
      const expectedReference = column.references ? `${column.references.table}.${column.references.column}` : undefined;
      if (found.references !== expectedReference) {
        differences.push(`${where}: references ${found.references ?? 'nothing'}, the contract says ${expectedReference ?? 'nothing'}`);
      }
    });
  }
  return { differences, missing };
}

/** Reads the actual columns, keys and foreign keys of the given tables from `information_schema`. */
export const ACTUAL_COLUMNS_SQL = `
SELECT c.TABLE_NAME AS \`table\`, c.COLUMN_NAME AS \`column\`, c.ORDINAL_POSITION AS position, c.COLUMN_TYPE AS columnType,
       c.IS_NULLABLE = 'YES' AS nullable, c.COLUMN_KEY = 'PRI' AS primaryKey,
       (SELECT CONCAT(k.REFERENCED_TABLE_NAME, '.', k.REFERENCED_COLUMN_NAME) FROM information_schema.KEY_COLUMN_USAGE k
         WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME
           AND k.REFERENCED_TABLE_NAME IS NOT NULL LIMIT 1) AS \`references\`
  FROM information_schema.COLUMNS c
 WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME IN (?)
 ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`;
