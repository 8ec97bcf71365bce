import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLINIC_TABLES } from '../../../contract/clinic';
import { csvField, generateSeed } from '../../../scripts/seed/generator';
import { SEED_DIR } from '../../helpers/mariadb';

describe('seed generator', () => {
  const generate = async (scale: number, seed?: number): Promise<string> => {
    const dir = mkdtempSync(join(tmpdir(), 'generated-'));
    await generateSeed({ outDir: dir, scale, seed });
    return dir;
  };
  const read = (dir: string, table: string): string => readFileSync(join(dir, `${table}.csv`), 'utf8');

  test('the committed seed is exactly what the generator makes at scale 1 with the default seed', async () => {
    const dir = await generate(1);
    for (const table of CLINIC_TABLES) expect(read(dir, table.name)).toBe(read(SEED_DIR, table.name));
  });

  test('a different seed gives different data with the same shape', async () => {
    const dir = await generate(1, 7);
    expect(read(dir, 'patient')).not.toBe(read(SEED_DIR, 'patient'));
    expect(read(dir, 'patient').split('\n')).toHaveLength(read(SEED_DIR, 'patient').split('\n').length);
  });

  test.each([
    ['insurance', 5, 5], ['employee', 25, 75], ['patient', 500, 1500], ['appointment', 100, 300], ['encounter', 250, 750], ['account', 250, 750],
  ])('%s has %i rows at scale 1 and %i at scale 3', async (table, one, three) => {
    const rows = (text: string): number => text.trim().split('\n').length - 1;
    expect(rows(read(SEED_DIR, table))).toBe(one);
    expect(rows(read(await generate(3), table))).toBe(three);
  });

  test('the seed carries the details of real exports', () => {
    const patients = read(SEED_DIR, 'patient');
    expect(patients).toMatch(/^PER1,/m);
    expect(patients).toMatch(/,[1-9]\/[1-9]\/[0-9]{4},/);
    expect(patients).toMatch(/,0[0-9]{4},INS/);
    expect(patients).toMatch(/"[^"]* [^"]*@/);
    expect(read(SEED_DIR, 'employee').split('\n').filter((l) => l.endsWith(',physician'))).toHaveLength(6);
    expect(read(SEED_DIR, 'appointment')).toMatch(/"[1-9]:[0-5][0-9] [AP]M"/);
    expect(read(SEED_DIR, 'account')).toMatch(/,\$[0-9]+\.[0-9]{2}$/m);
  });

  test.each([
    ['plain', 'plain'], ['Di Bartolomeo', '"Di Bartolomeo"'], ["O'Heyne", "O'Heyne"], ['say "hi"', '"say ""hi"""'], ['a,b', '"a,b"'],
  ])('csvField(%j) = %s', (value, quoted) => {
    expect(csvField(value)).toBe(quoted);
  });
});
