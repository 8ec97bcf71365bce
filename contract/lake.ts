import { CLINIC_TABLES, Column, SqlType, Table, isSeeded } from './clinic';

/** The schema (MySQL database) DMS reads, which is also the folder under the raw-zone prefix. */
export const SOURCE_SCHEMA = 'unicornhealth';

/**
 * DMS table mappings: one selection rule per contract table, so DMS copies exactly the contract's tables and a
 * table added to the database by hand is not silently exported.
 */
export function dmsTableMappings(tables: readonly Table[] = CLINIC_TABLES, schema = SOURCE_SCHEMA): object {
  return {
    rules: tables.map((table, index) => ({
      'rule-type': 'selection',
      'rule-id': String(index + 1),
      'rule-name': `include-${table.name}`,
      'object-locator': { 'schema-name': schema, 'table-name': table.name },
      'rule-action': 'include',
    })),
  };
}

/**
 * The type a Parquet column written by DMS has in the Glue catalog (Hive DDL spelling): text and enums are strings,
 * dates stay dates, date-times are timestamps, money stays an exact decimal. TIME has no Athena column type and is
 * carried as a string.
 */
export function glueType(type: SqlType): string {
  return type.kind === 'decimal' ? `decimal(${type.precision},${type.scale})` : GLUE_TYPES[type.kind];
}

/** Glue types of the contract's types other than decimal (which carries its precision and scale). */
const GLUE_TYPES: Record<Exclude<SqlType['kind'], 'decimal'>, string> = {
  varchar: 'string',
  char: 'string',
  enum: 'string',
  time: 'string',
  date: 'date',
  // DMS writes a DATETIME as a Parquet timestamp, in milliseconds with `ParquetTimestampInMillisecond`, the precision
  // Athena and Glue read (https://docs.aws.amazon.com/dms/latest/APIReference/API_S3Settings.html).
  datetime: 'timestamp',
};

/** Key of one table's objects under the lake bucket: `<raw prefix>/<schema>/<table>/`. */
export const rawTablePrefix = (rawPrefix: string, table: Table): string => `${rawPrefix}/${SOURCE_SCHEMA}/${table.name}/`;

/**
 * Key of one current-state table (Apache Iceberg: `data/` and `metadata/` beneath it) under the lake bucket:
 * `<current prefix>/<table>/`.
 */
export const currentTablePrefix = (currentPrefix: string, table: Table): string => `${currentPrefix}/${table.name}/`;

/** Columns a reader without access to direct identifiers is granted (an allow-list: new columns start hidden). */
export const grantableColumns = (table: Table): Column[] => table.columns.filter((c) => c.classification !== 'direct-identifier');

/**
 * What analysts read of a table: the grantable columns of the clinic's tables, nothing of the tables the platform
 * writes for itself (the smoke probe), which are not clinic data.
 */
const clinicDataColumns = (table: Table): Column[] => (isSeeded(table) ? grantableColumns(table) : []);

/** The personas that read the lake in AWS, each through its own role and engine. */
export type ReaderPersona = 'smoke-runner' | 'analyst' | 'redshift';

/**
 * The columns each persona's Lake Formation grants give it. The stacks grant exactly these and the smoke checks
 * expect exactly these: the release's smoke runner reconciles every column, analysts and Redshift never see a direct
 * identifier, and analysts never the smoke probe. A persona with no column of a table gets no grant on it at all.
 */
export const READABLE_COLUMNS: Readonly<Record<ReaderPersona, (table: Table) => Column[]>> = {
  'smoke-runner': (table) => [...table.columns],
  analyst: clinicDataColumns,
  // Redshift also reads the smoke probe (no identifier in it), so that each release proves a change reaches Redshift
  // within the freshness target, not only Athena.
  redshift: grantableColumns,
};

/** Personas that must be refused every direct identifier: the governance checks query each one as them. */
export const GOVERNED_PERSONAS: readonly ReaderPersona[] = ['analyst', 'redshift'];

/** The IAM role of each persona is named `<project>-<environment>-<suffix>`. */
export const PERSONA_ROLE_SUFFIX: Readonly<Record<ReaderPersona, string>> = {
  'smoke-runner': 'smoke-runner',
  analyst: 'analyst',
  redshift: 'redshift-spectrum',
};
