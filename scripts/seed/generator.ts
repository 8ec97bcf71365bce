import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { Faker, en } from '@faker-js/faker';
import { CLINIC_TABLES } from '../../contract/clinic';

/** Row counts at scale 1; every table but insurance is multiplied by the scale. */
export const SCALE_1_COUNTS = { insurance: 5, employee: 25, physicians: 6, patient: 500, appointment: 100, encounter: 250, account: 250 } as const;

export const DEFAULT_SEED = 20221;

/** Quotes a field the way the clinic's exporter does: when it holds a space, a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[ ",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const mdy = (date: Date): string => `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()}`;
const hm = (minutesAfterMidnight: number): string => {
  const hour = Math.floor(minutesAfterMidnight / 60);
  const minute = minutesAfterMidnight % 60;
  return `${hour % 12 === 0 ? 12 : hour % 12}:${String(minute).padStart(2, '0')} ${hour < 12 ? 'AM' : 'PM'}`;
};
const padded = (prefix: string, n: number, width: number): string => `${prefix}${String(n).padStart(width, '0')}`;

/** Surnames of several words, which real exports carry and faker's list lacks. */
const MULTI_WORD_SURNAMES = ['Di Bartolomeo', 'Van der Berg', 'De la Cruz', "O'Heyne", 'St. John', 'Mac Donald'];
/** Reserved example domains (RFC 2606): realistic addresses that can never reach anyone. */
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.com'];
const PLAN_NAMES = ['Blue Shield PPO', 'Aetna Choice', 'Medicare Part B', 'Medicaid', 'Blue Shield PPO'];

export interface GenerateOptions {
  readonly outDir: string;
  /** @default 1 */
  readonly scale?: number;
  /** @default DEFAULT_SEED */
  readonly seed?: number;
}

/** Writes rows to `<table>.csv` with the contract's header, awaiting the stream when it is full. */
class CsvFile {
  private readonly stream;
  constructor(path: string, header: string[]) {
    this.stream = createWriteStream(path, { encoding: 'utf8' });
    this.stream.write(`${header.join(',')}\n`);
  }
  async row(fields: string[]): Promise<void> {
    if (!this.stream.write(`${fields.map(csvField).join(',')}\n`)) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

/**
 * Generates the six exports deterministically (same seed and scale, same bytes) with consistent keys and the
 * details real exports have: unpadded dates and hours, ids without fixed width, quoted fields with spaces,
 * apostrophes and several-word names, e-mail local parts with spaces or apostrophes, zip codes with leading zeros.
 */
export async function generateSeed(options: GenerateOptions): Promise<Record<string, number>> {
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`--scale ${scale} must be a whole number >= 1`);
  const faker = new Faker({ locale: [en] });
  faker.seed(options.seed ?? DEFAULT_SEED);
  await mkdir(options.outDir, { recursive: true });
  const open = (table: string): CsvFile =>
    new CsvFile(join(options.outDir, `${table}.csv`), CLINIC_TABLES.find((t) => t.name === table)!.columns.map((c) => c.name));
  const counts: Record<string, number> = {};
  const day = (from: string, to: string): Date => faker.date.between({ from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` });
  const surname = (): string => (faker.number.int(40) === 0 ? faker.helpers.arrayElement(MULTI_WORD_SURNAMES) : faker.person.lastName());
  const email = (first: string, last: string): string => {
    const domain = faker.helpers.arrayElement(EMAIL_DOMAINS);
    const style = faker.number.int(30);
    if (style === 0) return `${first} ${last}@${domain}`.toLowerCase();
    if (style === 1) return `${first}.o'${last}@${domain}`.toLowerCase().replace(/ /g, '');
    return `${first}.${last}`.toLowerCase().replace(/[^a-z0-9.']/g, '') + `@${domain}`;
  };

  const insurance = open('insurance');
  const insuranceIds = PLAN_NAMES.map((_, i) => `INS${i + 1}`);
  for (const [i, plan] of PLAN_NAMES.entries()) await insurance.row([insuranceIds[i], plan]);
  await insurance.close();
  counts.insurance = PLAN_NAMES.length;

  const employee = open('employee');
  const employees = SCALE_1_COUNTS.employee * scale;
  const physicians = SCALE_1_COUNTS.physicians * scale;
  const physicianIds: string[] = [];
  const schedulers: string[] = [];
  for (let i = 1; i <= employees; i += 1) {
    const id = padded('E', i, 4);
    const title = i <= physicians ? 'physician' : faker.helpers.arrayElement(['admin', 'assistant', 'nurse']);
    const first = faker.person.firstName();
    const last = surname();
    if (title === 'physician') physicianIds.push(id);
    if (title === 'admin' || title === 'assistant') schedulers.push(first);
    await employee.row([id, first, last, email(first, last), faker.string.numeric(3) + '-' + faker.string.numeric(3) + '-' + faker.string.numeric(4), title]);
  }
  await employee.close();
  counts.employee = employees;

  const patient = open('patient');
  const patients = SCALE_1_COUNTS.patient * scale;
  for (let i = 1; i <= patients; i += 1) {
    const first = faker.person.firstName();
    const last = surname();
    await patient.row([
      `PER${i}`, first, last, email(first, last), mdy(day('1930-01-01', '2022-12-31')), faker.location.streetAddress(),
      faker.string.numeric({ length: 5, allowLeadingZeros: true }), faker.helpers.arrayElement(insuranceIds),
    ]);
  }
  await patient.close();
  counts.patient = patients;

  const appointment = open('appointment');
  const appointments = SCALE_1_COUNTS.appointment * scale;
  for (let i = 1; i <= appointments; i += 1) {
    await appointment.row([
      `APPO${i}`, faker.helpers.arrayElement(physicianIds), mdy(day('2024-01-01', '2026-12-31')),
      hm(8 * 60 + 15 * faker.number.int(35)), schedulers.length > 0 ? faker.helpers.arrayElement(schedulers) : 'Front desk',
    ]);
  }
  await appointment.close();
  counts.appointment = appointments;

  const encounter = open('encounter');
  const encounters = SCALE_1_COUNTS.encounter * scale;
  for (let i = 1; i <= encounters; i += 1) {
    await encounter.row([
      `ENC${i}`, `PER${faker.number.int({ min: 1, max: patients })}`, hm(8 * 60 + 5 * faker.number.int(107)),
      faker.number.int(9) === 0 ? 'no show' : 'completed',
    ]);
  }
  await encounter.close();
  counts.encounter = encounters;

  const account = open('account');
  const accounts = SCALE_1_COUNTS.account * scale;
  for (let i = 1; i <= accounts; i += 1) {
    const lastPayment = day('2024-01-01', '2026-10-31');
    const due = new Date(lastPayment.getTime() + faker.number.int({ min: 14, max: 60 }) * 86_400_000);
    await account.row([
      padded('ACC', i, 4), faker.helpers.arrayElement(insuranceIds), mdy(lastPayment), mdy(due),
      `$${(faker.number.int({ min: 0, max: 900_000 }) / 100).toFixed(2)}`,
    ]);
  }
  await account.close();
  counts.account = accounts;
  return counts;
}
