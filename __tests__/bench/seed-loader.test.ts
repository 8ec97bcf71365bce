/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, TSX } from '../helpers/cli';

const run = promisify(execFile);

interface Run {
  readonly name: string;
  readonly seconds: number;
  readonly processSeconds?: number;
  readonly peakRssMb?: number;
}

describe('npm run bench:seed', () => {
  test('a small data set runs end to end in well under a minute: both baselines, every loader run, equal checksums', async () => {
    const started = Date.now();
    const { stdout } = await run(TSX, [join(ROOT, 'bench', 'seed-loader.ts'), '--scale', '2', '--json'], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      timeout: 170_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const seconds = (Date.now() - started) / 1000;
    const report = JSON.parse(stdout) as { ok: boolean; baselines: Run[]; runs: Run[]; differences: string[] };
    expect(report.ok).toBe(true);
    expect(report.differences).toEqual([]);
    expect(report.baselines.map((b) => b.name)).toEqual([
      'LOAD DATA LOCAL, typed SET, server checks on',
      'LOAD DATA LOCAL, typed SET, server checks off',
    ]);
    expect(report.runs).toHaveLength(4);
    for (const loader of report.runs) {
      expect(loader.seconds).toBeGreaterThan(0);
      expect(loader.processSeconds).toBeGreaterThanOrEqual(loader.seconds);
      expect(loader.peakRssMb).toBeGreaterThan(0);
    }
    // Six timed loads, each after waiting for the server to settle: waiting out a deadline instead took a minute each.
    expect(seconds).toBeLessThan(90);
  }, 180_000);
});
