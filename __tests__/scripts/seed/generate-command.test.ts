import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CLINIC_TABLES, isSeeded } from '../../../contract/clinic';
import { runInProcess } from '../../helpers/cli';

describe('npm run generate-seed (the command)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'generate-seed-command-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const seeded = CLINIC_TABLES.filter(isSeeded);
  const tableFiles = seeded.map((t) => `${t.name}.csv`).sort();
  const records = (file: string): number => {
    const parsed: string[][] = parse(readFileSync(file, 'utf8'), { bom: true });
    return parsed.length - 1;
  };

  test('writes the six table files into a new folder, and no staging folder is left behind', async () => {
    const out = join(scratch, 'new', 'seed');
    const { code, stdout } = await runInProcess('generate-seed', ['--out', out]);
    expect(code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(tableFiles);
    for (const table of seeded) expect(stdout).toMatch(new RegExp(`^${table.name}\\s+[0-9,]+$`, 'm'));
    expect(stdout).toContain(`wrote ${out} in `);
  });

  test('an existing folder keeps its other files; only .csv files are added', async () => {
    const out = mkdtempSync(join(scratch, 'existing-'));
    writeFileSync(join(out, 'README.md'), 'notes');
    expect((await runInProcess('generate-seed', ['--out', out])).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['README.md', ...tableFiles].sort());
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toBe('notes');
    expect(readdirSync(out).some((name) => name.startsWith('.generate-seed-'))).toBe(false);
  });

  test('--json is one document with the rows written per table', async () => {
    const out = join(scratch, 'json');
    const { code, stdout } = await runInProcess('generate-seed', ['--out', out, '--scale', '2', '--seed', '7', '--json']);
    expect(code).toBe(0);
    const document = JSON.parse(stdout);
    expect(document).toMatchObject({ ok: true, command: 'generate-seed', out, scale: 2, seed: 7 });
    expect(Object.keys(document.rows).sort()).toEqual(seeded.map((t) => t.name).sort());
    for (const table of seeded)
      expect([table.name, document.rows[table.name]]).toEqual([table.name, records(join(out, `${table.name}.csv`))]);
  });

  test('the same seed and scale write the same bytes', async () => {
    const [a, b] = [join(scratch, 'same-a'), join(scratch, 'same-b')];
    await runInProcess('generate-seed', ['--out', a, '--seed', '11']);
    await runInProcess('generate-seed', ['--out', b, '--seed', '11']);
    for (const file of tableFiles) expect(readFileSync(join(b, file))).toEqual(readFileSync(join(a, file)));
  });

  test.each([
    ['a path under /proc', () => '/proc/unicornhealth-generate-seed/out'],
    [
      'a path under a file',
      () => {
        const file = join(scratch, 'a-file');
        writeFileSync(file, '');
        return join(file, 'seed');
      },
    ],
  ])('--out to %s is an input error (exit 2) naming it, and nothing is written', async (_case, path) => {
    const out = path();
    const { code, stdout, stderr } = await runInProcess('generate-seed', ['--out', out]);
    expect(code).toBe(2);
    expect(stderr).toContain(`--out ${out}: cannot write there (`);
    expect(stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});
