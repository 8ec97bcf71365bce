import { Column, SqlType, Table } from '../../contract/clinic';

/**
 * SQL dialects of the engines the smoke checks run on. Each turns a column into the same canonical text, hashes a
 * row's text with MD5, and sums the first 2 × 32 bits of the hashes: an order-independent checksum that every engine
 * computes identically for identical data.
 */
export interface Dialect {
  readonly name: string;
  /** Identifier as the engine expects it (lake engines see lower-case column names). */
  identifier(name: string): string;
  /**
   * Canonical text of a column value: dates `YYYY-MM-DD`, times `HH:MM:SS`, date-times `YYYY-MM-DD HH:MM:SS` (the
   * lake's timestamps carry fractions the source's DATETIME has not), decimals with their scale.
   */
  canonical(column: string, type: SqlType): string;
  /** Concatenation of text expressions. */
  concat(parts: string[]): string;
  /** The 32-bit unsigned integer in hex digits [from, from+8) of the MD5 of a text, as a 64-bit integer. */
  md5Part(text: string, from: 1 | 9): string;
  /** A table reference. */
  table(name: string): string;
}

const NULL_MARKER = "'~NULL~'";

export const mysqlDialect: Dialect = {
  name: 'mysql',
  identifier: (name) => `\`${name}\``,
  canonical: (column, type) => {
    if (type.kind === 'date') return `DATE_FORMAT(${column}, '%Y-%m-%d')`;
    if (type.kind === 'time') return `TIME_FORMAT(${column}, '%H:%i:%s')`;
    if (type.kind === 'datetime') return `DATE_FORMAT(${column}, '%Y-%m-%d %H:%i:%s')`;
    return `CAST(${column} AS CHAR)`;
  },
  concat: (parts) => `CONCAT(${parts.join(', ')})`,
  md5Part: (text, from) => `CAST(CONV(SUBSTRING(MD5(${text}), ${from}, 8), 16, 10) AS UNSIGNED)`,
  table: (name) => `\`${name}\``,
};

/** Athena (Trino). */
export const trinoDialect: Dialect = {
  name: 'trino',
  identifier: (name) => `"${name.toLowerCase()}"`,
  canonical: (column, type) => (type.kind === 'datetime' ? `date_format(${column}, '%Y-%m-%d %H:%i:%s')` : `CAST(${column} AS varchar)`),
  concat: (parts) => parts.join(' || '),
  md5Part: (text, from) => `from_base(substr(lower(to_hex(md5(to_utf8(${text})))), ${from}, 8), 16)`,
  table: (name) => `"${name.toLowerCase()}"`,
};

/** DuckDB, the local stand-in for Athena and Redshift (views over the exported Parquet files). */
export const duckdbDialect = (schema?: string): Dialect => ({
  name: 'duckdb',
  identifier: (name) => `"${name.toLowerCase()}"`,
  canonical: (column, type) => (type.kind === 'datetime' ? `strftime(${column}, '%Y-%m-%d %H:%M:%S')` : `CAST(${column} AS VARCHAR)`),
  concat: (parts) => parts.join(' || '),
  md5Part: (text, from) => `CAST(('0x' || substr(md5(${text}), ${from}, 8)) AS UBIGINT)`,
  table: (name) => (schema ? `${schema}."${name.toLowerCase()}"` : `"${name.toLowerCase()}"`),
});

/** Redshift, over the external schema of the lake. */
export const redshiftDialect = (schema: string): Dialect => ({
  name: 'redshift',
  identifier: (name) => `"${name.toLowerCase()}"`,
  canonical: (column, type) => {
    if (type.kind === 'date') return `TO_CHAR(${column}, 'YYYY-MM-DD')`;
    if (type.kind === 'datetime') return `TO_CHAR(${column}, 'YYYY-MM-DD HH24:MI:SS')`;
    return `CAST(${column} AS VARCHAR)`;
  },
  concat: (parts) => parts.join(' || '),
  md5Part: (text, from) => `STRTOL(SUBSTRING(MD5(${text}), ${from}, 8), 16)`,
  table: (name) => `${schema}."${name.toLowerCase()}"`,
});

/**
 * `SELECT row_count, checksum_a, checksum_b FROM <table>`: the reconciliation query of one table in one dialect, over
 * all its columns or over a projection (the columns a persona may read), in contract order.
 */
export function checksumSql(table: Table, dialect: Dialect, columns: readonly Column[] = table.columns): string {
  const parts: string[] = [];
  columns.forEach((column, index) => {
    if (index > 0) parts.push("'|'");
    parts.push(`COALESCE(${dialect.canonical(dialect.identifier(column.name), column.type)}, ${NULL_MARKER})`);
  });
  const row = dialect.concat(parts);
  return (
    `SELECT COUNT(*) AS row_count, COALESCE(SUM(${dialect.md5Part(row, 1)}), 0) AS checksum_a, ` +
    `COALESCE(SUM(${dialect.md5Part(row, 9)}), 0) AS checksum_b FROM ${dialect.table(table.name)}`
  );
}

export interface TableFingerprint {
  readonly rows: number;
  /** The two 32-bit sums joined, as text: exact whatever the engine's integer width. */
  readonly checksum: string;
}

export function fingerprintOf(row: Record<string, unknown>): TableFingerprint {
  const value = (key: string): string => {
    const found = row[key] ?? row[key.toUpperCase()];
    return typeof found === 'string' || typeof found === 'number' || typeof found === 'bigint' ? String(found) : '0';
  };
  return {
    rows: Number(value('row_count')),
    checksum: `${BigInt(value('checksum_a')).toString(16)}-${BigInt(value('checksum_b')).toString(16)}`,
  };
}
