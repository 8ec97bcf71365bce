import { Progress } from '../../../scripts/cli/progress';

const sink = (isTTY: boolean) => {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 60, write: (text: string) => writes.push(text) } };
};

describe('progress', () => {
  test('on a terminal, one line rewritten in place with its label, counts and elapsed time', () => {
    const { writes, stream } = sink(true);
    const progress = new Progress(stream);
    progress.update('validate patient', { rows: 100_000 });
    expect(writes[0].replace(/ \d+\.\d s/, ' T s')).toBe('\rvalidate patient  100,000 rows  T s\x1b[K');
    progress.update('validate patient', { rows: 200_000 });
    expect(writes).toHaveLength(1);
    progress.log('patient done');
    expect(writes.slice(1)).toEqual(['\r\x1b[K', 'patient done\n']);
  });

  test('elsewhere, a plain line per stage, not per count', () => {
    const { writes, stream } = sink(false);
    const progress = new Progress(stream);
    progress.update('validate patient', { rows: 1 });
    progress.update('validate patient', { rows: 2 });
    progress.update('merge patient');
    expect(writes.map((w) => w.replace(/ {2}\d+\.\d s\n$/, ''))).toEqual(['validate patient  1 rows', 'merge patient']);
  });

  test('never writes past the terminal width', () => {
    const { writes, stream } = sink(true);
    new Progress(stream).update('x'.repeat(200));
    expect(writes[0].replace('\r', '').replace('\x1b[K', '').length).toBeLessThan(60);
  });
});
