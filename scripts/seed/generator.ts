import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Faker, en } from '@faker-js/faker';
import { stringify } from 'csv-stringify';
import { CLINIC_TABLES, Column, Table, isSeeded, tableNamed } from '../../contract/clinic';

/** Row counts at scale 1; every table but insurance is multiplied by the scale. */
export const SCALE_1_COUNTS = {
  insurance: 5,
  employee: 25,
  physicians: 6,
  patient: 500,
  appointment: 100,
  encounter: 250,
  account: 250,
} as const;

export const DEFAULT_SEED = 20221;

/** Largest `scale`: 5 million patients, about 11 million rows in all. */
export const MAX_SCALE = 10_000;

/** Insurance plans are a fixed list: a clinic bills a handful of plans whatever its size. */
const UNSCALED_TABLES: ReadonlySet<string> = new Set(['insurance']);

export interface GenerateOptions {
  readonly outDir: string;
  /** A whole number from 1 to `MAX_SCALE`. @default 1 */
  readonly scale?: number;
  /** A non-negative integer. @default DEFAULT_SEED */
  readonly seed?: number;
  /** The contract to generate, parents before children; tables the clinic does not export are left out. @default CLINIC_TABLES */
  readonly tables?: readonly Table[];
}

/**
 * The clinic exporter's quoting rule: a field is quoted when it holds a space, a comma, a quote or a line break
 * (csv-stringify alone would leave fields with spaces bare). Not global, so `test` keeps no state between fields.
 */
const NEEDS_QUOTES = /[ ,"\r\n]/;

const mdy = (date: Date): string => `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()}`;
const parseMdy = (text: string): Date => {
  const [month, day, year] = text.split('/').map(Number);
  return new Date(Date.UTC(year, month - 1, day));
};
const hm = (minutesAfterMidnight: number): string => {
  const hour = Math.floor(minutesAfterMidnight / 60);
  const minute = minutesAfterMidnight % 60;
  return `${hour % 12 === 0 ? 12 : hour % 12}:${String(minute).padStart(2, '0')} ${hour < 12 ? 'AM' : 'PM'}`;
};
const DAY_MS = 86_400_000;

/** Surnames of several words, which real exports carry and faker's list lacks. */
const MULTI_WORD_SURNAMES = ['Di Bartolomeo', 'Van der Berg', 'De la Cruz', "O'Heyne", 'St. John', 'Mac Donald'];
/** Reserved example domains (RFC 2606): realistic addresses that can never reach anyone. */
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.com'];
/** Plan names repeat in the real export (two plans of the same name), so they do here. */
const PLAN_NAMES = ['Blue Shield PPO', 'Aetna Choice', 'Medicare Part B', 'Medicaid', 'Blue Shield PPO'];
/** Keys the real exports zero-pad (E0001, ACC0007); the padding is a minimum width, larger numbers grow past it. */
const ZERO_PADDED_KEYS: Readonly<Record<string, number>> = { 'employee.employee_id': 4, 'account.accountId': 4 };

/** One generation run, as the column generators see it. */
interface SeedRun {
  readonly scale: number;
  /** The primary key of row `rowNumber` of the table named `tableName`. */
  keyOf(tableName: string, rowNumber: number): string;
  /** First names of the employees who book appointments (admins and assistants), noted while writing employees. */
  readonly schedulerFirstNames: string[];
}

/** The row being generated, as its column generators see it. */
interface RowInProgress {
  readonly table: Table;
  readonly run: SeedRun;
  /** 1-based. */
  readonly rowNumber: number;
  /** Another column of this row, generated first if it is not yet (an e-mail is made from the names). */
  value(columnName: string): string;
}

/** Makes one column's value for one row; `random` is that column's own stream. */
type ColumnGenerator = (row: RowInProgress, random: Faker) => string;

const physicianCount = (scale: number): number => SCALE_1_COUNTS.physicians * scale;

function rowCount(table: Table, scale: number): number {
  const atScale1 = (SCALE_1_COUNTS as Readonly<Record<string, number>>)[table.name];
  if (atScale1 === undefined) throw new Error(`no row count for table "${table.name}": add it to SCALE_1_COUNTS`);
  return UNSCALED_TABLES.has(table.name) ? atScale1 : atScale1 * scale;
}

/** How `table` numbers its rows: the primary key's id prefix and the row number, padded where the exports pad. */
function keyFormat(table: Table): (rowNumber: number) => string {
  const column = table.columns.find((c) => c.name === table.primaryKey);
  if (column?.csv.kind !== 'id') throw new Error(`${table.name}.${table.primaryKey} is not an id column, so its rows cannot be numbered`);
  const { prefix } = column.csv;
  const width = ZERO_PADDED_KEYS[`${table.name}.${column.name}`] ?? 1;
  return (rowNumber) => `${prefix}${String(rowNumber).padStart(width, '0')}`;
}

const between = (random: Faker, from: string, to: string): Date =>
  random.date.between({ from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` });
const surname = (random: Faker): string =>
  random.number.int(40) === 0 ? random.helpers.arrayElement(MULTI_WORD_SURNAMES) : random.person.lastName();

/** Mostly first.last, sometimes with a space or an apostrophe in the local part, as hand-typed addresses have. */
function emailAddress(random: Faker, first: string, last: string): string {
  const domain = random.helpers.arrayElement(EMAIL_DOMAINS);
  const style = random.number.int(30);
  if (style === 0) return `${first} ${last}@${domain}`.toLowerCase();
  if (style === 1) return `${first}.o'${last}@${domain}`.toLowerCase().replace(/ /g, '');
  return `${first}.${last}`.toLowerCase().replace(/[^a-z0-9.']/g, '') + `@${domain}`;
}

const personEmail: ColumnGenerator = (row, random) => emailAddress(random, row.value('first_name'), row.value('last_name'));

/** Generators of the columns the clinic's exports have, keyed `table.column`, with the details real exports have. */
const KNOWN_COLUMNS: Readonly<Record<string, ColumnGenerator>> = {
  'insurance.plan': (row) => PLAN_NAMES[(row.rowNumber - 1) % PLAN_NAMES.length],
  'employee.first_name': (_row, random) => random.person.firstName(),
  'employee.last_name': (_row, random) => surname(random),
  'employee.email': personEmail,
  'employee.phone_number': (_row, random) => `${random.string.numeric(3)}-${random.string.numeric(3)}-${random.string.numeric(4)}`,
  'employee.title': (row, random) =>
    row.rowNumber <= physicianCount(row.run.scale) ? 'physician' : random.helpers.arrayElement(['admin', 'assistant', 'nurse']),
  'patient.first_name': (_row, random) => random.person.firstName(),
  'patient.last_name': (_row, random) => surname(random),
  'patient.email': personEmail,
  'patient.dob': (_row, random) => mdy(between(random, '1930-01-01', '2022-12-31')),
  'patient.address': (_row, random) => random.location.streetAddress(),
  'patient.zip': (_row, random) => random.string.numeric({ length: 5, allowLeadingZeros: true }),
  // The first employees are the physicians (see employee.title).
  'appointment.physician': (row, random) => row.run.keyOf('employee', random.number.int({ min: 1, max: physicianCount(row.run.scale) })),
  'appointment.app_date': (_row, random) => mdy(between(random, '2024-01-01', '2026-12-31')),
  'appointment.app_time': (_row, random) => hm(8 * 60 + 15 * random.number.int(35)),
  'appointment.scheduled_by': (row, random) =>
    row.run.schedulerFirstNames.length > 0 ? random.helpers.arrayElement(row.run.schedulerFirstNames) : 'Front desk',
  'encounter.start_time': (_row, random) => hm(8 * 60 + 5 * random.number.int(107)),
  'encounter.status': (_row, random) => (random.number.int(9) === 0 ? 'no show' : 'completed'),
  'account.last_payment': (_row, random) => mdy(between(random, '2024-01-01', '2026-10-31')),
  'account.payment_due': (row, random) =>
    mdy(new Date(parseMdy(row.value('last_payment')).getTime() + random.number.int({ min: 14, max: 60 }) * DAY_MS)),
  'account.account_balance': (_row, random) => `$${(random.number.int({ min: 0, max: 900_000 }) / 100).toFixed(2)}`,
};

/** Facts a table's rows leave for later tables, keyed by table. */
const NOTED_FOR_LATER_TABLES: Readonly<Record<string, (row: RowInProgress) => void>> = {
  employee: (row) => {
    if (['admin', 'assistant'].includes(row.value('title'))) row.run.schedulerFirstNames.push(row.value('first_name'));
  },
};

const lengthLimit = (column: Column): number | undefined =>
  column.type.kind === 'varchar' || column.type.kind === 'char' ? column.type.length : undefined;

/** Shortens the local part of an address to fit `limit`, keeping the domain and leaving no space or dot before the @. */
function fitEmail(address: string, limit: number | undefined): string {
  if (limit === undefined || address.length <= limit) return address;
  const at = address.lastIndexOf('@');
  const local = address.slice(0, Math.max(1, limit - (address.length - at))).replace(/(.)[ .]+$/, '$1');
  return local + address.slice(at);
}

/**
 * A generator for a column no one wrote one for, from its contract definition (CSV format and SQL type), so a new
 * column needs no edit here. Checked before any file is written; a `pattern` cannot be inverted, so it fails.
 */
function fallbackGenerator(table: Table, column: Column, tablesBefore: readonly Table[], scale: number): ColumnGenerator {
  const name = `${table.name}.${column.name}`;
  const limit = lengthLimit(column);
  const { csv, type } = column;
  let generate: ColumnGenerator;
  switch (csv.kind) {
    case 'id':
      if (column.name === table.primaryKey) {
        const key = keyFormat(table);
        generate = (row) => key(row.rowNumber);
      } else if (column.references) {
        const parent = tablesBefore.find((t) => t.name === column.references?.table);
        if (!parent) throw new Error(`${name} references ${column.references.table}, which is not generated before ${table.name}`);
        if (column.references.column !== parent.primaryKey) {
          throw new Error(`${name} references ${parent.name}.${column.references.column}, not its primary key: give ${name} a generator`);
        }
        const parentKey = keyFormat(parent);
        const parentRows = rowCount(parent, scale);
        generate = (_row, random) => parentKey(random.number.int({ min: 1, max: parentRows }));
      } else {
        const digits = Math.min(12, (limit ?? 16) - csv.prefix.length);
        if (digits < 1) throw new Error(`${name}: the id prefix ${csv.prefix} leaves no room for a number in ${limit} characters`);
        generate = (_row, random) => `${csv.prefix}${random.number.int({ min: 1, max: 10 ** digits - 1 })}`;
      }
      break;
    case 'text':
      generate = (_row, random) => {
        const words = random.word.words({ count: { min: 1, max: 3 } });
        return limit === undefined ? words : words.slice(0, limit).trimEnd();
      };
      break;
    case 'email':
      generate = (_row, random) => fitEmail(emailAddress(random, random.person.firstName(), surname(random)), limit);
      break;
    case 'pattern':
      throw new Error(
        `no generator for ${name}, a pattern column (${csv.description}): add one to KNOWN_COLUMNS in scripts/seed/generator.ts`,
      );
    case 'date-mdy':
      generate = (_row, random) => mdy(between(random, '1990-01-01', '2026-12-31'));
      break;
    case 'time-12h':
      generate = (_row, random) => hm(random.number.int(24 * 60 - 1));
      break;
    case 'money': {
      if (type.kind !== 'decimal') throw new Error(`${name} is money but not a DECIMAL column`);
      // Exports carry at most cents; amounts stay below 10,000 unless the precision allows less.
      const fractionDigits = Math.min(type.scale, 2);
      const largestCents = Math.min(10 ** (type.precision - type.scale), 10_000) * 10 ** fractionDigits - 1;
      generate = (_row, random) => `$${(random.number.int(largestCents) / 10 ** fractionDigits).toFixed(fractionDigits)}`;
      break;
    }
    case 'enum': {
      if (type.kind !== 'enum') throw new Error(`${name} is an enum in the CSV but not an ENUM column`);
      const { values } = type;
      generate = (_row, random) => random.helpers.arrayElement(values);
      break;
    }
  }
  if (!column.nullable) return generate;
  return (row, random) => (random.number.int(4) === 0 ? '' : generate(row, random));
}

/**
 * A column's own random stream, seeded from the seed, the table and the column: a column added to one table
 * changes no other table's file, nor the values of that table's other columns.
 */
function columnRandom(seed: number, table: Table, column: Column): Faker {
  const digest = createHash('sha256').update(`${seed}/${table.name}/${column.name}`).digest();
  const random = new Faker({ locale: [en] });
  random.seed(Array.from({ length: digest.length / 4 }, (_, i) => digest.readUInt32LE(i * 4)));
  return random;
}

interface TablePlan {
  readonly table: Table;
  readonly rows: number;
  /** One per column, in the contract's order. */
  readonly generators: readonly ColumnGenerator[];
}

/** Resolves every table's row count and column generators, so a contract the generator cannot serve fails before any file is written. */
function planTables(tables: readonly Table[], scale: number): TablePlan[] {
  return tables.map((table, index) => ({
    table,
    rows: rowCount(table, scale),
    generators: table.columns.map(
      (column) => KNOWN_COLUMNS[`${table.name}.${column.name}`] ?? fallbackGenerator(table, column, tables.slice(0, index), scale),
    ),
  }));
}

/** Marks a column whose generator is running, to report columns that need each other instead of recursing forever. */
const IN_PROGRESS = Symbol('in progress');

/** Builds the rows of one table in the contract's column order, whatever order the generators ask for values in. */
class RowBuilder implements RowInProgress {
  rowNumber = 0;
  private values: (string | typeof IN_PROGRESS | undefined)[] = [];
  private readonly columnIndex: Map<string, number>;
  private readonly randoms: Faker[];

  constructor(
    private readonly plan: TablePlan,
    readonly run: SeedRun,
    seed: number,
  ) {
    this.columnIndex = new Map(plan.table.columns.map((column, index) => [column.name, index]));
    this.randoms = plan.table.columns.map((column) => columnRandom(seed, plan.table, column));
  }

  get table(): Table {
    return this.plan.table;
  }

  value(columnName: string): string {
    const index = this.columnIndex.get(columnName);
    if (index === undefined) throw new Error(`${this.table.name} has no column "${columnName}" for another column's generator to use`);
    return this.valueAt(index);
  }

  private valueAt(index: number): string {
    const current = this.values[index];
    if (current === IN_PROGRESS)
      throw new Error(`the generators of ${this.table.name} depend on each other around ${this.table.columns[index].name}`);
    if (current !== undefined) return current;
    this.values[index] = IN_PROGRESS;
    const generated = this.plan.generators[index](this, this.randoms[index]);
    this.values[index] = generated;
    return generated;
  }

  *rows(): Generator<string[]> {
    const noteForLaterTables = NOTED_FOR_LATER_TABLES[this.table.name];
    for (this.rowNumber = 1; this.rowNumber <= this.plan.rows; this.rowNumber += 1) {
      this.values = [];
      const fields = this.table.columns.map((_column, index) => this.valueAt(index));
      noteForLaterTables?.(this);
      yield fields;
    }
  }
}

function checkOptions(scale: number, seed: number): void {
  if (!Number.isInteger(scale) || scale < 1 || scale > MAX_SCALE) {
    throw new RangeError(`scale must be a whole number from 1 to ${MAX_SCALE}, got ${scale}`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
}

/**
 * Generates one CSV export per seeded table deterministically (same seed, scale and tables, same bytes) with consistent
 * keys and the details real exports have: unpadded dates and hours, ids without fixed width, quoted fields with
 * spaces, apostrophes and several-word names, e-mail local parts with spaces or apostrophes, zip codes with
 * leading zeros. Columns are generated by name, so a column added to the contract is generated from its
 * definition. Returns the row count of each table.
 */
export async function generateSeed(options: GenerateOptions): Promise<Record<string, number>> {
  const scale = options.scale ?? 1;
  const seed = options.seed ?? DEFAULT_SEED;
  // The platform's own tables (the smoke probe) are not in the clinic's exports.
  const tables = (options.tables ?? CLINIC_TABLES).filter(isSeeded);
  checkOptions(scale, seed);
  const plans = planTables(tables, scale);
  await mkdir(options.outDir, { recursive: true });
  const keyFormats = new Map<string, (rowNumber: number) => string>();
  const run: SeedRun = {
    scale,
    keyOf: (tableName, rowNumber) => {
      let format = keyFormats.get(tableName);
      if (!format) keyFormats.set(tableName, (format = keyFormat(tableNamed(tableName, tables))));
      return format(rowNumber);
    },
    schedulerFirstNames: [],
  };
  const counts: Record<string, number> = {};
  for (const plan of plans) {
    const builder = new RowBuilder(plan, run, seed);
    await pipeline(
      Readable.from(builder.rows()),
      stringify({ header: true, columns: plan.table.columns.map((c) => c.name), quoted_match: NEEDS_QUOTES, record_delimiter: '\n' }),
      createWriteStream(join(options.outDir, `${plan.table.name}.csv`), { encoding: 'utf8' }),
    );
    counts[plan.table.name] = plan.rows;
  }
  return counts;
}
