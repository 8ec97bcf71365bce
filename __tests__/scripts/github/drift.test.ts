import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DRIFT_LABEL,
  DRIFT_MARKER,
  DriftResult,
  overallState,
  planLine,
  readDriftResults,
  reconcileDriftIssue,
  renderDriftIssue,
  withMissing,
} from '../../../scripts/github/drift';
import { GITHUB_COMMENT_LIMIT, lengthOf } from '../../../scripts/policy/plan-summary';
import { FakeGitHub } from './fake-github';

const IN_SYNC = 'No changes. Your infrastructure matches the configuration.';
const drifted = (changes: number, lines = 3): string =>
  [
    'Note: Objects have changed outside of Terraform',
    '',
    ...Array.from({ length: lines }, (_, i) => `  ~ resource "aws_s3_bucket_policy" "storage_lake_policy" { line ${i} }`),
    '',
    `Plan: 0 to add, ${changes} to change, 0 to destroy.`,
  ].join('\n');

const results = (dev: DriftResult['exitCode'], prod: DriftResult['exitCode']): DriftResult[] => [
  { stack: 'unicornhealth-dev', exitCode: dev, planText: dev === 2 ? drifted(2) : dev === 0 ? IN_SYNC : 'Error: AccessDenied' },
  { stack: 'unicornhealth-prod', exitCode: prod, planText: prod === 2 ? drifted(1) : prod === 0 ? IN_SYNC : 'Error: AccessDenied' },
];
const options = { runUrl: 'https://github.com/o/r/actions/runs/42', checkedAt: new Date('2026-11-30T05:17:00.123Z') };

describe('drift results', () => {
  test('are read from one folder per stack: exit code and plan output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drift-'));
    try {
      for (const [stack, code, text] of [
        ['unicornhealth-prod', '2\n', drifted(1)],
        ['unicornhealth-dev', '0', IN_SYNC],
      ]) {
        mkdirSync(join(dir, stack));
        writeFileSync(join(dir, stack, 'exitcode'), code);
        writeFileSync(join(dir, stack, 'plan.txt'), text);
      }
      expect(readDriftResults(dir)).toEqual([
        { stack: 'unicornhealth-dev', exitCode: 0, planText: IN_SYNC },
        { stack: 'unicornhealth-prod', exitCode: 2, planText: drifted(1) },
      ]);
      mkdirSync(join(dir, 'unicornhealth-account-prod'));
      expect(() => readDriftResults(dir)).toThrow(
        'unicornhealth-account-prod/exitcode is missing: the plan of unicornhealth-account-prod did not finish',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an expected stack without a result is an error, never in sync', () => {
    const all = withMissing([{ stack: 'unicornhealth-dev', exitCode: 0 }], ['unicornhealth-dev', 'unicornhealth-prod']);
    expect(all.map((r) => [r.stack, r.exitCode])).toEqual([
      ['unicornhealth-dev', 0],
      ['unicornhealth-prod', 1],
    ]);
    expect(overallState(all)).toBe('error');
  });

  test('overall: an error outweighs drift, drift outweighs in sync', () => {
    expect(overallState(results(0, 0))).toBe('in sync');
    expect(overallState(results(0, 2))).toBe('drift');
    expect(overallState(results(1, 2))).toBe('error');
  });

  test("the plan's summary line is found", () => {
    expect(planLine(drifted(3))).toBe('Plan: 0 to add, 3 to change, 0 to destroy.');
    expect(planLine(IN_SYNC)).toBe(IN_SYNC);
    expect(planLine(undefined)).toBeUndefined();
  });
});

describe('the drift issue body', () => {
  test('starts with the marker and has a row per stack with its state and plan line', () => {
    const body = renderDriftIssue(results(0, 2), options);
    expect(body.startsWith(DRIFT_MARKER)).toBe(true);
    expect(body).toContain('Checked 2026-11-30T05:17:00Z by [this run](https://github.com/o/r/actions/runs/42)');
    expect(body).toContain(`| unicornhealth-dev | in sync | ${IN_SYNC} |`);
    expect(body).toContain('| unicornhealth-prod | drift | Plan: 0 to add, 1 to change, 0 to destroy. |');
    expect(body).toContain('<details><summary>unicornhealth-prod</summary>');
    expect(body).not.toContain('<details><summary>unicornhealth-dev</summary>');
  });

  test('a failed plan is shown with its output', () => {
    const body = renderDriftIssue(results(1, 0), options);
    expect(body).toContain('| unicornhealth-dev | error | plan failed (exit 1) |');
    expect(body).toContain('Error: AccessDenied');
  });

  test('huge plans are cut at line boundaries to fit an issue, saying where the whole output is', () => {
    const huge: DriftResult[] = [
      { stack: 'unicornhealth-dev', exitCode: 2, planText: drifted(400, 4_000) },
      { stack: 'unicornhealth-prod', exitCode: 2, planText: drifted(1) },
    ];
    const body = renderDriftIssue(huge, options);
    expect(lengthOf(body)).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body).toContain('_Cut to fit the issue; the whole output is in the artifacts of [this run]');
    // The small plan is whole; every shown line of the big one is a whole line of it.
    expect(body).toContain(drifted(1));
    const shown = body.split('\n').filter((line) => line.includes('{ line '));
    expect(shown.length).toBeGreaterThan(100);
    for (const line of shown) expect(line).toMatch(/^ {2}~ resource "aws_s3_bucket_policy" "storage_lake_policy" \{ line \d+ \}$/);
  });
});

describe('the one drift issue', () => {
  test('is opened, labelled, when a stack drifts', async () => {
    const github = new FakeGitHub();
    expect(await reconcileDriftIssue(github, results(0, 2), options)).toEqual({ action: 'opened', issue: 1 });
    expect(github.issues[0]).toMatchObject({ state: 'open', labels: [DRIFT_LABEL], title: expect.stringContaining('unicornhealth-prod') });
  });

  test('is updated, not duplicated, on the next run that still finds drift', async () => {
    const github = new FakeGitHub();
    await reconcileDriftIssue(github, results(0, 2), options);
    expect(await reconcileDriftIssue(github, results(2, 2), options)).toEqual({ action: 'updated', issue: 1 });
    expect(github.issues).toHaveLength(1);
    expect(github.issues[0].title).toContain('unicornhealth-dev, unicornhealth-prod');
    expect(github.issues[0].body).toContain('| unicornhealth-dev | drift |');
  });

  test('is closed with a comment once every stack is in sync', async () => {
    const github = new FakeGitHub();
    await reconcileDriftIssue(github, results(2, 0), options);
    expect(await reconcileDriftIssue(github, results(0, 0), options)).toEqual({ action: 'closed', issue: 1 });
    expect(github.issues[0].state).toBe('closed');
    expect((await github.listComments(1))[0].body).toContain('Every stack is in sync again');
  });

  test('nothing happens when all is in sync and no issue is open', async () => {
    const github = new FakeGitHub();
    expect(await reconcileDriftIssue(github, results(0, 0), options)).toEqual({ action: 'none' });
    expect(github.writes).toEqual([]);
  });

  test('a failed plan opens the issue too: the state could not be compared', async () => {
    const github = new FakeGitHub();
    expect((await reconcileDriftIssue(github, results(1, 0), options)).action).toBe('opened');
  });

  test('an issue with the label but without the marker is not the drift issue; a closed one is not reopened', async () => {
    const github = new FakeGitHub();
    await github.createIssue({ title: 'Drift in the docs', body: 'a person wrote this', labels: [DRIFT_LABEL] });
    await reconcileDriftIssue(github, results(0, 2), options);
    await reconcileDriftIssue(github, results(0, 0), options);
    expect(github.issues.map((i) => [i.number, i.state])).toEqual([
      [1, 'open'],
      [2, 'closed'],
    ]);
    expect((await reconcileDriftIssue(github, results(0, 2), options)).action).toBe('opened');
    expect(github.issues).toHaveLength(3);
  });
});
