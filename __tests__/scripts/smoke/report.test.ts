import { formatSmokeReport, smokeVerdict } from '../../../scripts/smoke/report';
import { Check, SmokeResult, runSmoke } from '../../../scripts/smoke/steps';
import { smokeContext } from '../../helpers/smoke';

const check = (
  step: Check['step'],
  name: string,
  pass: boolean,
  seconds: number,
  expected = '500',
  actual = pass ? expected : '499',
): Check => ({
  step,
  check: name,
  expected,
  actual,
  pass,
  seconds,
});

const PASSED: SmokeResult = {
  ok: true,
  seconds: 12.34,
  checks: [
    check('source', 'patient rows', true, 0.5),
    check('source', 'account rows', true, 0.75),
    check('dms', 'patient full-load rows', true, 3),
  ],
};

const FAILED: SmokeResult = {
  ok: false,
  seconds: 20,
  checks: [
    check('source', 'patient rows', true, 0.5),
    check('reconcile', 'athena patient rows', false, 1.25),
    check('reconcile', 'athena patient checksum', true, 2.5, '1000002-2000002'),
    check('governance', 'athena patient.first_name hidden', false, 0.1, 'COLUMN_NOT_FOUND', 'PHI query unexpectedly allowed'),
  ],
};

const lines = (text: string): string[] => text.split('\n');

describe('the smoke report', () => {
  test('one summary line per step, in run order: checks, passed, failed and the slowest check in seconds', () => {
    const summary = lines(formatSmokeReport(FAILED)).slice(0, 4);
    expect(summary[0]).toMatch(/^step\s+checks\s+passed\s+failed\s+seconds$/);
    expect(summary.slice(1).map((line) => line.split(/\s+/))).toEqual([
      ['source', '1', '1', '0', '0.50'],
      ['reconcile', '2', '1', '1', '2.50'],
      ['governance', '1', '0', '1', '0.10'],
    ]);
  });

  test('when every check passed, the summary is the whole report', () => {
    const text = formatSmokeReport(PASSED);
    expect(lines(text)).toHaveLength(3);
    expect(lines(text)[2].split(/\s+/)).toEqual(['dms', '1', '1', '0', '3.00']);
    expect(text).not.toContain('failed step');
  });

  test('failures get a table with what was expected and what was found; passing checks are not repeated', () => {
    const text = formatSmokeReport(FAILED);
    const [, failures] = text.split('\n\n');
    expect(lines(failures)[0]).toMatch(/^failed step\s+check\s+expected\s+found$/);
    expect(lines(failures).slice(1)).toEqual([
      expect.stringMatching(/^reconcile\s+athena patient rows\s+500\s+499$/),
      expect.stringMatching(/^governance\s+athena patient\.first_name hidden\s+COLUMN_NOT_FOUND\s+PHI query unexpectedly allowed$/),
    ]);
    expect(failures).not.toContain('checksum');
  });

  test('verbose lists every check: passes with what was found, failures with both values', () => {
    const text = formatSmokeReport(FAILED, { verbose: true });
    const [, all] = text.split('\n\n');
    expect(lines(all)[0]).toMatch(/^step\s+check\s+result\s+seconds\s+detail$/);
    expect(lines(all).slice(1)).toEqual([
      expect.stringMatching(/^source\s+patient rows\s+pass\s+0\.50\s+500$/),
      expect.stringMatching(/^reconcile\s+athena patient rows\s+FAIL\s+1\.25\s+expected 500, found 499$/),
      expect.stringMatching(/^reconcile\s+athena patient checksum\s+pass\s+2\.50\s+1000002-2000002$/),
      expect.stringMatching(/^governance\s+athena patient\.first_name hidden\s+FAIL\s+0\.10\s+expected COLUMN_NOT_FOUND, found PHI query/),
    ]);
    expect(text).not.toContain('failed step');
  });

  test('at a narrow width, long details wrap instead of widening the lines', () => {
    const long: SmokeResult = {
      ...FAILED,
      checks: [check('glue', 'insurance columns', false, 1, 'insid:string,plan:string'.repeat(4), 'col0:string,col1:string'.repeat(4))],
    };
    const wide = formatSmokeReport(long);
    const narrow = formatSmokeReport(long, { width: 70 });
    expect(lines(narrow).length).toBeGreaterThan(lines(wide).length);
    for (const line of lines(narrow)) expect(line.length).toBeLessThanOrEqual(70);
  });

  test('on a real (mocked) run: the source step first, its six tables all passing', async () => {
    const { ctx } = smokeContext();
    const result = await runSmoke(ctx);
    expect(formatSmokeReport(result)).toMatch(/^step\s+checks\s+passed\s+failed\s+seconds\nsource\s+6\s+6\s+0/);
  });
});

describe('the closing line', () => {
  test.each([
    ['all passed', PASSED, 'smoke: all 3 checks passed in 12.3 s'],
    ['some failed', FAILED, 'smoke: 2 of 4 checks failed'],
    [
      'the run stopped',
      { ...FAILED, stopped: { step: 'dms' as const, reason: 'replication task failed: Error loading table patient' } },
      'smoke: 2 of 4 checks failed; stopped at dms: replication task failed: Error loading table patient',
    ],
  ])('%s', (_case, result, verdict) => {
    expect(smokeVerdict(result, 'smoke')).toBe(verdict);
  });

  test('names what was checked', () => {
    expect(smokeVerdict(PASSED, 'local rehearsal')).toMatch(/^local rehearsal: all 3 checks passed/);
  });
});
