import { formatMergeReport, rehearsalVerdict } from '../../../scripts/local/report';
import { RehearsalResult, TableMerge } from '../../../scripts/local/rehearsal';

const none = { inserted: 0, updated: 0, deleted: 0 };
const MERGE: TableMerge[] = [
  { table: 'insurance', fullLoad: { ...none, inserted: 5 }, changes: { ...none, inserted: 1 }, again: none },
  { table: 'account', fullLoad: { ...none, inserted: 250 }, changes: { ...none, updated: 1 }, again: none },
];
const CHANGES = {
  insurance: { inserts: 1, updates: 0, deletes: 0, files: ['20261130-101500123.parquet'] },
  account: { inserts: 0, updates: 2, deletes: 0, files: ['20261130-101500124.parquet', '20261130-101500125.parquet'] },
};
const PASSED: RehearsalResult = {
  ok: true,
  seconds: 0.1,
  merge: MERGE,
  checks: [{ step: 'source', check: 'account snapshot', expected: 'readable', actual: '250 rows', pass: true, seconds: 0 }],
};

const cells = (text: string, table: string): string[] =>
  text
    .split('\n')
    .find((line) => line.startsWith(`${table} `))!
    .split(/\s{2,}/);

describe('the merge report', () => {
  test('one line per table: full load, changes captured, rows merged, and the second merge', () => {
    const text = formatMergeReport(MERGE, CHANGES);
    expect(text.split('\n')[1].split(/\s{2,}/)).toEqual([
      'table',
      'full load',
      'inserts',
      'updates',
      'deletes',
      'cdc files',
      'inserted',
      'updated',
      'deleted',
      'second merge',
    ]);
    expect(cells(text, 'account')).toEqual(['account', '250', '0', '2', '0', '2', '0', '1', '0', 'no change']);
    expect(cells(text, 'insurance')).toEqual(['insurance', '5', '1', '0', '0', '1', '1', '0', '0', 'no change']);
    expect(text).toMatch(/^merge: 3 changes captured in 3 CDC files; a second merge changed nothing$/m);
  });

  test('without changes it says the lake holds the full load only', () => {
    const text = formatMergeReport(MERGE, undefined);
    expect(cells(text, 'account')).toEqual(['account', '250', '0', '0', '0', '0', '0', '1', '0', 'no change']);
    expect(text).toContain('merge: the full load only (--no-changes)');
  });

  test('a second merge that changed rows is shown on its table and in the summary', () => {
    const unstable = [MERGE[0], { ...MERGE[1], again: { inserted: 0, updated: 2, deleted: 1 } }];
    const text = formatMergeReport(unstable, CHANGES);
    expect(cells(text, 'account').slice(-1)).toEqual(['3 CHANGED']);
    expect(text).toContain('a second merge CHANGED account');
  });
});

describe('the rehearsal verdict', () => {
  test('every check passed and the merge changed nothing the second time: the smoke verdict', () => {
    expect(rehearsalVerdict(PASSED)).toBe('local rehearsal: all 1 checks passed in 0.1 s');
  });

  test('a second merge that changed rows fails the rehearsal first, even with every check passed', () => {
    const result = { ...PASSED, ok: false, merge: [{ ...MERGE[1], again: { ...none, deleted: 1 } }] };
    expect(rehearsalVerdict(result).split('\n')).toEqual([
      'local rehearsal: a second merge changed account (it must change nothing)',
      'local rehearsal: all 1 checks passed in 0.1 s',
    ]);
  });
});
