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

  test('do not pad the last column when there is no terminal, so one very long reason costs only its own length', () => {
    const long = 'aws_glue_crawler.x, '.repeat(2_000);
    const rows = Array.from({ length: 2_000 }, (_, i) => [`UH-${i}`, address, 'PASS', i === 0 ? long : 'fine']);
    const lines = formatTable(columns, rows).split('\n');
    expect(lines).toHaveLength(2_001);
    expect(lines[1].endsWith(long.trimEnd())).toBe(true);
    expect(Math.max(...lines.slice(2).map((l) => l.length))).toBeLessThan(100);
  });

  test('keep a multi-line cell on its own lines, the other columns aligned', () => {
    expect(formatTable([{ header: 'a' }, { header: 'b' }], [['x', 'one\ntwo']])).toBe('a  b\nx  one\n   two');
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
