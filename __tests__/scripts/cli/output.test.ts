import { formatTable, terminalWidth } from '../../../scripts/cli/output';

const columns = [{ header: 'rule' }, { header: 'resource' }, { header: 'result' }, { header: 'reason', wrap: true }] as const;
const address = 'aws_s3_bucket.storage_access-logs_bucket_0123456789abcdef0123';
const reason = 'the bucket has no server access logging and no suppression names it, so nobody can tell who read the lake';

describe('tables', () => {
  test('fit a terminal: every line within the width, the reason wrapped, the address whole', () => {
    const text = formatTable(columns, [['UH-S3-005', address, 'FAIL', reason]], 100);
    const lines = text.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(lines.length).toBeGreaterThan(2);
    expect(text).toContain(address);
    const reasonColumn = lines[0].indexOf('reason');
    expect(lines.map((l) => l.slice(reasonColumn).trim()).join(' ')).toBe(`reason ${reason}`);
  });

  test('are plain, unwrapped lines when there is no terminal', () => {
    const text = formatTable(columns, [['UH-S3-005', address, 'FAIL', reason]]);
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^rule\s+resource\s+result\s+reason$/),
      expect.stringContaining(`${address}  FAIL    ${reason}`),
    ]);
  });

  test('align numbers to the right', () => {
    expect(
      formatTable(
        [{ header: 'table' }, { header: 'rows', align: 'right' }],
        [
          ['patient', '500'],
          ['account', '25000'],
        ],
      ),
    ).toBe('table     rows\npatient    500\naccount  25000');
  });

  test('take the width from a TTY only', () => {
    expect(terminalWidth({ isTTY: true, columns: 132 })).toBe(132);
    expect(terminalWidth({ isTTY: false, columns: 132 })).toBeUndefined();
  });
});
