import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLINIC_TABLES, isSeeded } from '../../../contract/clinic';
import { selectInputFiles } from '../../../scripts/seed/input-files';
import { seedCopy } from '../../helpers/mariadb';
import { unreadableFile } from '../../helpers/unreadable';

describe('choosing the input file of each table', () => {
  test('other files in the folder are listed as ignored; odd names map with --file', () => {
    const dir = seedCopy();
    writeFileSync(join(dir, 'README.txt'), 'notes');
    renameSync(join(dir, 'patient.csv'), join(dir, 'paient500.csv'));
    const selection = selectInputFiles(CLINIC_TABLES, dir, [`patient=${join(dir, 'paient500.csv')}`]);
    expect(selection.errors).toEqual([]);
    expect(selection.ignored).toEqual([join(dir, 'README.txt')]);
    // Every table the clinic exports; the smoke probe has no file, and needs none.
    expect(selection.files.map((f) => f.table.name)).toEqual(CLINIC_TABLES.filter(isSeeded).map((t) => t.name));
  });

  test('a --file mapping replaces the folder file of its table', () => {
    const dir = seedCopy();
    const other = join(dir, 'patients-export.csv');
    renameSync(join(dir, 'patient.csv'), other);
    writeFileSync(join(dir, 'patient.csv'), 'stale');
    const selection = selectInputFiles(CLINIC_TABLES, dir, [`patient=${other}`]);
    expect(selection.errors).toEqual([]);
    expect(selection.files.find((f) => f.table.name === 'patient')?.path).toBe(other);
  });

  test.each([
    [
      'a folder named like a table file',
      (dir: string) => (mkdirSync(join(dir, 'x.csv')), [`patient=${join(dir, 'x.csv')}`]),
      /is a folder, not a file/,
    ],
    [
      'a table given twice',
      (dir: string) => [`patient=${join(dir, 'patient.csv')}`, `patient=${join(dir, 'patient.csv')}`],
      /table patient is already given/,
    ],
    ['a missing file', (dir: string) => [`patient=${join(dir, 'nope.csv')}`], /does not exist/],
    ['a file this process may not read', (dir: string) => [`patient=${unreadableFile(dir)}`], /is not readable/],
    ['an unknown table', (dir: string) => [`patients=${join(dir, 'patient.csv')}`], /unknown table "patients"/],
    ['a mapping without =', () => ['patient.csv'], /expected TABLE=PATH/],
  ])('%s is an error, never a silent skip', (_case, mappings, message) => {
    const dir = seedCopy();
    const selection = selectInputFiles(CLINIC_TABLES, undefined, mappings(dir));
    expect(selection.errors.join('\n')).toMatch(message);
  });

  test('an unknown table file is refused by name, listing the tables', () => {
    expect(selectInputFiles(CLINIC_TABLES, undefined, ['doctors=/tmp/doctors.csv']).errors).toEqual([
      '--file doctors=/tmp/doctors.csv: unknown table "doctors" (tables: insurance, employee, patient, appointment, encounter, account, smoke_probe)',
    ]);
  });

  test('a folder named <table>.csv inside --dir is an error, not an ignored file', () => {
    const dir = seedCopy();
    renameSync(join(dir, 'patient.csv'), join(dir, 'moved.csv'));
    mkdirSync(join(dir, 'patient.csv'));
    const selection = selectInputFiles(CLINIC_TABLES, dir, []);
    expect(selection.errors.join('\n')).toMatch(/patient\.csv is a folder, not a file/);
  });
});
