/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TSX, runTool } from '../../helpers/cli';
import { processesLeft } from '../../helpers/processes';

describe('npm run local (the embedded default)', () => {
  test('rehearses the whole flow on a throwaway MariaDB and exits 0 with every check passed', async () => {
    const { code, stdout } = await runTool('local', ['--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(true);
    expect(report.exported.patient).toBe(500);
    expect(report.checks.length).toBeGreaterThan(30);
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
