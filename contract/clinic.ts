/**
 * The clinic's data contract: every table, column, type, key, CSV format and privacy classification, defined once.
 * The MySQL DDL, the CSV loader's validation, DMS table mappings, Lake Formation column grants and the smoke
 * checks' expected schemas are all derived from `CLINIC_TABLES`; nothing else lists the tables.
 */

/** How sensitive a column is. Lake Formation hides `direct-identifier` columns from every non-admin reader. */
export type Classification =
  /** Names, e-mail, date of birth, street address, zip: identify a patient on their own (HIPAA Safe Harbor). */
  | 'direct-identifier'
  /** Health or payment information about a patient, or a key that links to one, without identifying them alone. */
  | 'phi'
  /** Personal data of staff. */
  | 'staff-pii'
  | 'non-sensitive';

export type SqlType =
  | { readonly kind: 'varchar'; readonly length: number }
  | { readonly kind: 'char'; readonly length: number }
  | { readonly kind: 'date' }
  | { readonly kind: 'time' }
  /** A date and time of day to the second, without a time zone (MySQL `DATETIME`); the platform writes it in UTC. */
  | { readonly kind: 'datetime' }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] };

/** How a value is written in the clinic's CSV exports. */
export type CsvFormat =
  /** A prefix of letters and a number with no fixed width: PER1, E0001, APPO12. */
  | { readonly kind: 'id'; readonly prefix: string }
  /** Free text (trimmed of nothing: spaces and apostrophes are data). */
  | { readonly kind: 'text' }
  /** An e-mail address; the local part may contain spaces or apostrophes. */
  | { readonly kind: 'email' }
  /** Text that must match a pattern exactly, described for error messages. */
  | { readonly kind: 'pattern'; readonly pattern: RegExp; readonly description: string }
  /** `M/D/YYYY`, not zero-padded, a real calendar date. */
  | { readonly kind: 'date-mdy' }
  /** `H:MM AM` / `H:MM PM`, hour not zero-padded. */
  | { readonly kind: 'time-12h' }
  /** Money such as `$2419.20` (a minus sign and thousands commas are accepted). */
  | { readonly kind: 'money' }
  /** One of the column's enum values, exactly. */
  | { readonly kind: 'enum' };

export interface ForeignKey {
  readonly table: string;
  readonly column: string;
}

export interface Column {
  readonly name: string;
  readonly type: SqlType;
  readonly nullable: boolean;
  readonly csv: CsvFormat;
  readonly classification: Classification;
  readonly references?: ForeignKey;
  /**
   * The value MySQL gives a row that has none (`DEFAULT`), written as MySQL reads it for the type (`'0.00'`,
   * `'2024-01-31'`, an enum value). What lets a NOT NULL column be added to a deployed table: its existing rows
   * take this value (`npm run seed -- --migrate`). The CSV exports still carry the column.
   * @default no default
   */
  readonly default?: string;
  readonly description: string;
}

export interface Table {
  readonly name: string;
  readonly description: string;
  readonly primaryKey: string;
  /** Columns in the order of the CSV export and of the MySQL table. */
  readonly columns: readonly Column[];
  /**
   * `false` for a table the clinic does not export, which the platform writes itself (the smoke run's probe): the
   * seed generator makes no file for it and the seed loader needs none, but it is created, captured by DMS, merged
   * and catalogued like every other table.
   * @default true
   */
  readonly seeded?: false;
}

type ColumnSpec = Omit<Column, 'name'>;

/** A required column of a type written in one CSV format; the helpers below are its common cases. */
const required =
  (type: SqlType, csv: CsvFormat) =>
  (classification: Classification, description: string): ColumnSpec => ({ type, nullable: false, csv, classification, description });

const id = (prefix: string, classification: Classification, description: string): ColumnSpec =>
  required({ kind: 'varchar', length: 16 }, { kind: 'id', prefix })(classification, description);

const reference = (table: string, column: string, prefix: string, classification: Classification, description: string): ColumnSpec => ({
  ...id(prefix, classification, description),
  references: { table, column },
});

const text = (length: number, classification: Classification, description: string, nullable = false): ColumnSpec => ({
  ...required({ kind: 'varchar', length }, { kind: 'text' })(classification, description),
  nullable,
});

const email = required({ kind: 'varchar', length: 254 }, { kind: 'email' });
const date = required({ kind: 'date' }, { kind: 'date-mdy' });
const time = required({ kind: 'time' }, { kind: 'time-12h' });
const oneOf = (values: readonly string[], classification: Classification, description: string): ColumnSpec =>
  required({ kind: 'enum', values }, { kind: 'enum' })(classification, description);

function table(name: string, description: string, columns: Record<string, ColumnSpec>, options: Pick<Table, 'seeded'> = {}): Table {
  const list = Object.entries(columns).map(([columnName, column]) => ({ name: columnName, ...column }));
  return { name, description, primaryKey: list[0].name, columns: list, ...options };
}

/** The table the release's smoke run writes a probe row into, to measure how soon a change reaches the lake. */
export const SMOKE_PROBE_TABLE = 'smoke_probe';
/** The probe table's columns, which the smoke run writes and reads back. */
export const SMOKE_PROBE_COLUMNS = { id: 'probe_id', writtenAt: 'written_at', note: 'note' } as const;

/** The clinic's six tables, parents before children (the load order), then the smoke run's probe table. */
export const CLINIC_TABLES: readonly Table[] = [
  table('insurance', 'Insurance plans the clinic bills', {
    insid: id('INS', 'non-sensitive', 'Insurance plan id'),
    plan: text(80, 'non-sensitive', 'Plan name; names may repeat'),
  }),
  table('employee', 'Clinic staff', {
    employee_id: id('E', 'non-sensitive', 'Employee id'),
    first_name: text(50, 'staff-pii', 'First name'),
    last_name: text(50, 'staff-pii', 'Last name'),
    email: email('staff-pii', 'Work e-mail'),
    phone_number: {
      type: { kind: 'char', length: 12 },
      nullable: false,
      csv: { kind: 'pattern', pattern: /^[0-9]{3}-[0-9]{3}-[0-9]{4}$/, description: 'a phone number NNN-NNN-NNNN' },
      classification: 'staff-pii',
      description: 'Phone NNN-NNN-NNNN',
    },
    title: oneOf(['admin', 'assistant', 'physician', 'nurse'], 'non-sensitive', 'Role at the clinic'),
  }),
  table('patient', 'Patients of the clinic', {
    person_id: id('PER', 'phi', 'Patient record id'),
    first_name: text(50, 'direct-identifier', 'First name'),
    last_name: text(50, 'direct-identifier', 'Last name'),
    email: email('direct-identifier', 'Contact e-mail'),
    dob: date('direct-identifier', 'Date of birth'),
    address: text(120, 'direct-identifier', 'Street address'),
    zip: {
      type: { kind: 'char', length: 5 },
      nullable: false,
      csv: { kind: 'pattern', pattern: /^[0-9]{5}$/, description: 'a 5-digit zip code' },
      classification: 'direct-identifier',
      description: 'Zip code, text so leading zeros stay',
    },
    insurance: reference('insurance', 'insid', 'INS', 'phi', 'Insurance plan of the patient'),
  }),
  table('appointment', 'Scheduled appointments', {
    appId: id('APPO', 'phi', 'Appointment id'),
    physician: reference('employee', 'employee_id', 'E', 'non-sensitive', 'Physician seen'),
    app_date: date('phi', 'Appointment date'),
    app_time: time('phi', 'Appointment time'),
    scheduled_by: text(50, 'staff-pii', 'First name of the staff member who booked it (free text)'),
  }),
  table('encounter', 'Patient encounters', {
    encounter_id: id('ENC', 'phi', 'Encounter id'),
    patient: reference('patient', 'person_id', 'PER', 'phi', 'Patient seen'),
    start_time: time('phi', 'Start time'),
    status: oneOf(['no show', 'completed'], 'phi', 'Outcome'),
  }),
  table('account', 'Billing accounts per insurance member', {
    accountId: id('ACC', 'phi', 'Account id'),
    member_id: reference('insurance', 'insid', 'INS', 'phi', 'Insurance plan the account bills'),
    last_payment: date('phi', 'Date of the last payment'),
    payment_due: date('phi', 'Date the next payment is due'),
    account_balance: {
      type: { kind: 'decimal', precision: 10, scale: 2 },
      nullable: false,
      csv: { kind: 'money' },
      classification: 'phi',
      description: 'Balance in USD',
    },
  }),
  // Nothing about patients or staff: a row per smoke run, so analysts and Redshift are granted none of it
  // (READABLE_COLUMNS) and the smoke runner alone reads it back.
  table(
    SMOKE_PROBE_TABLE,
    'One row per release smoke run, written to the source to time its way to the current tables',
    {
      [SMOKE_PROBE_COLUMNS.id]: {
        type: { kind: 'char', length: 36 },
        nullable: false,
        csv: {
          kind: 'pattern',
          pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
          description: 'a lower-case UUID',
        },
        classification: 'non-sensitive',
        description: 'Random id of the smoke run that wrote the row',
      },
      [SMOKE_PROBE_COLUMNS.writtenAt]: {
        type: { kind: 'datetime' },
        nullable: false,
        csv: {
          kind: 'pattern',
          pattern: /^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$/,
          description: 'a UTC date and time YYYY-MM-DD HH:MM:SS',
        },
        classification: 'non-sensitive',
        description: 'When the source committed the row, UTC',
      },
      [SMOKE_PROBE_COLUMNS.note]: text(200, 'non-sensitive', 'What wrote the row (the smoke run), never data about a person'),
    },
    { seeded: false },
  ),
];

/** Whether the clinic's exports hold the table (the seed loads it), rather than the platform writing it. */
export const isSeeded = (table: Table): boolean => table.seeded !== false;

export function tableNamed(name: string, tables: readonly Table[] = CLINIC_TABLES): Table {
  const found = tables.find((t) => t.name === name);
  if (!found) throw new Error(`no table "${name}" in the contract (tables: ${tables.map((t) => t.name).join(', ')})`);
  return found;
}

/** Direct-identifier columns of every table, as `{ table, columns }` (tables without any are left out). */
export function directIdentifierColumns(tables: readonly Table[] = CLINIC_TABLES): { table: string; columns: string[] }[] {
  return tables
    .map((t) => ({ table: t.name, columns: t.columns.filter((c) => c.classification === 'direct-identifier').map((c) => c.name) }))
    .filter((entry) => entry.columns.length > 0);
}
