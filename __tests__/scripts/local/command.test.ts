import { runScript } from '../../helpers/cli';

describe('npm run local (the embedded default)', () => {
  test('rehearses the whole flow on a throwaway MariaDB and exits 0 with every check passed', async () => {
    const { code, stdout } = await runScript('local/command.ts', ['--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(true);
    expect(report.exported.patient).toBe(500);
    expect(report.checks.length).toBeGreaterThan(30);
  });
});
