import { CheckResult, PreflightReport } from '../../../scripts/preflight/checks';
import { formatPreflightReport, preflightVerdict, resultLabel } from '../../../scripts/preflight/report';

const check = (id: CheckResult['id'], ok: CheckResult['ok'], extra: Partial<CheckResult> = {}): CheckResult => ({
  id,
  title: id,
  ok,
  evidence: `${id} evidence`,
  ...extra,
});

const report = (checks: CheckResult[], exitCode: PreflightReport['exitCode']): PreflightReport => ({
  environment: 'dev',
  region: 'us-east-1',
  accountId: '111122223333',
  caller: { account: '111122223333', arn: 'arn:aws:sts::111122223333:assumed-role/unicornhealth-deploy/s', userId: 'x' },
  checks,
  counts: {
    passed: checks.filter((c) => c.ok === true).length,
    failed: checks.filter((c) => c.ok === false && !c.error).length,
    errors: checks.filter((c) => c.error).length,
    warnings: checks.filter((c) => c.ok === 'warning').length,
    skipped: checks.filter((c) => c.ok === 'skipped').length,
  },
  exitCode,
});

const refused = check('quotas', false, {
  fix: 'Allow ec2:DescribeVpcs',
  error: { kind: 'environment', code: 'UnauthorizedOperation', message: 'not authorized' },
});

describe('the preflight report', () => {
  test('labels: pass, FAIL, ERROR for a check AWS refused, warning, skipped', () => {
    expect(
      [check('account', true), check('rds-ca', false), refused, check('drift', 'warning'), check('drift', 'skipped')].map(resultLabel),
    ).toEqual(['pass', 'FAIL', 'ERROR', 'warning', 'skipped']);
  });

  test('by default only failures, errors and warnings are listed, with their fixes', () => {
    const text = formatPreflightReport(
      report(
        [check('account', true), refused, check('lake-formation', 'warning', { fix: 'deploy the baseline' }), check('drift', 'skipped')],
        3,
      ),
    );
    expect(text.split('\n').map((l) => l.split(/\s{2,}/)[0])).toEqual([
      'check',
      'quotas',
      'lake-formation',
      '',
      expect.stringMatching(/^preflight dev/),
    ]);
    expect(text).toContain('deploy the baseline');
    expect(text).toMatch(/not checked: 1 passed, 0 failed, 1 could not run, 1 warning, 1 skipped$/);
  });

  test('all passing: just the verdict', () => {
    expect(formatPreflightReport(report([check('account', true)], 0))).toBe(
      'preflight dev (111122223333, us-east-1, as arn:aws:sts::111122223333:assumed-role/unicornhealth-deploy/s): ready: 1 passed, 0 failed, 0 warnings, 0 skipped',
    );
  });

  test('on a terminal width the evidence and fix wrap, the check id does not', () => {
    const long = check('lake-formation', false, { evidence: 'word '.repeat(40).trim(), fix: 'fix '.repeat(40).trim() });
    const lines = formatPreflightReport(report([long], 1), { width: 80 }).split('\n');
    expect(lines.every((l) => l.length <= 80 || l.startsWith('preflight'))).toBe(true);
    expect(lines.filter((l) => l.startsWith('lake-formation'))).toHaveLength(1);
    expect(preflightVerdict(report([long], 1))).toContain('NOT ready');
  });
});
