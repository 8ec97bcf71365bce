/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TSX, runInProcess, runTool } from '../../helpers/cli';
import { processesLeft } from '../../helpers/processes';

const CHANGES = join(ROOT, '__tests__', 'fixtures', 'changes');

describe('npm run local (the embedded default)', () => {
  test('rehearses the whole flow on a throwaway MariaDB with the default changes and exits 0 with every check passed', async () => {
    const { code, stdout } = await runTool('local', ['--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(true);
    expect(report.exported.patient).toBe(500);
    expect(report.changes.account).toMatchObject({ inserts: 0, updates: 2, deletes: 0 });
    expect(report.merge.find((m: { table: string }) => m.table === 'patient')).toMatchObject({
      changes: { inserted: 1, updated: 1, deleted: 0 },
      again: { inserted: 0, updated: 0, deleted: 0 },
    });
    expect(report.checks.length).toBeGreaterThan(30);
  });

  test('--changes FILE.sql: applies that script, reports the merge and exits 0', async () => {
    const { code, stdout } = await runTool('local', ['--changes', join(CHANGES, 'rolled-back.sql')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^employee\s+25\s+0\s+1\s+0\s+1\s+0\s+1\s+0\s+no change$/m);
    expect(stdout).toMatch(/^insurance\s+5\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+no change$/m);
    expect(stdout).toContain('merge: 1 changes captured');
    expect(stdout).toMatch(/^local rehearsal: all \d+ checks passed/m);
  });

  test('--no-changes rehearses the full load only', async () => {
    const { code, stdout } = await runTool('local', ['--no-changes', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.changes).toEqual({});
    expect(report.ok).toBe(true);
  });

  test('a statement the server refuses exits 2 naming the file, the statement and the line', async () => {
    const file = join(CHANGES, 'syntax-error.sql');
    const { code, stderr } = await runTool('local', ['--changes', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`local: ${file}:7: statement 3: You have an error in your SQL syntax`);
  });

  test('a statement that is not a row change is refused before anything starts (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-changes-'));
    try {
      writeFileSync(join(dir, 'truncate.sql'), 'COMMIT;\nTRUNCATE TABLE account;\n');
      const { code, stderr } = await runInProcess('local', ['--changes', join(dir, 'truncate.sql')]);
      expect(code).toBe(2);
      expect(stderr).toContain(`${join(dir, 'truncate.sql')}:2: statement 2: TRUNCATE is not a row change`);
      expect(stderr).not.toMatch(/MariaDB|synthesizing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['while the data folder is initialized', /initializing the MariaDB data folder/],
    ['right after mariadbd is spawned', /mariadbd started/],
    ['while the seed loads', /validate patient|seeded/],
  ])('Ctrl-C %s leaves no process and no temporary folder', async (_moment, marker) => {
    const privateTmp = mkdtempSync(join(tmpdir(), 'local-interrupt-'));
    try {
      const run = spawn(TSX, [join(ROOT, 'scripts', 'run.ts'), 'local', '--json'], {
        cwd: ROOT,
        env: { ...process.env, TMPDIR: privateTmp, FORCE_COLOR: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let stdout = '';
      run.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        run.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (marker.test(stderr)) resolve();
        });
        void exited.then(() => reject(new Error(`local exited before ${marker}: ${stderr}`)));
      });
      run.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(JSON.parse(stdout)).toMatchObject({ ok: false, error: { message: 'interrupted by SIGINT' } });
      expect(await processesLeft(privateTmp, 5_000)).toEqual([]);
      // tsx keeps its compile cache in TMPDIR (tsx-<uid>); everything else must be gone.
      expect(readdirSync(privateTmp).filter((name) => !name.startsWith('tsx-'))).toEqual([]);
    } finally {
      rmSync(privateTmp, { recursive: true, force: true });
    }
  });
});
