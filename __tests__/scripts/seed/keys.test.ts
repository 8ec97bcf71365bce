import { Column, tableNamed } from '../../../contract/clinic';
import { KeyIndex, NOT_A_KEY, keyEncoder, sameKeyFormat } from '../../../scripts/seed/keys';

const column = (table: string, name: string): Column => tableNamed(table).columns.find((c) => c.name === name)!;

describe('key codes', () => {
  const patientKey = keyEncoder(column('patient', 'person_id'));

  test('an id is one exact number that keeps zero-padding apart', () => {
    expect(patientKey('PER1')).toBe(1 * 16 + 1);
    expect(patientKey('PER0001')).toBe(1 * 16 + 4);
    expect(patientKey('PER999999999999')).toBe(999_999_999_999 * 16 + 12);
    expect(Number.isSafeInteger(patientKey('PER999999999999'))).toBe(true);
  });

  test.each(['E1', 'PER', 'PER1x', 'PER1234567890123', 'per1'])('%s cannot be a patient key', (value) => {
    expect(patientKey(value)).toBe(NOT_A_KEY);
  });

  test('text keys compare as the PAD SPACE collation does: trailing spaces do not count', () => {
    const text: Column = { ...column('insurance', 'plan'), name: 'code' };
    expect(keyEncoder(text)('Gold  ')).toBe(keyEncoder(text)('Gold'));
    expect(keyEncoder(text)(' Gold')).not.toBe(keyEncoder(text)('Gold'));
  });

  test('only columns of one id format compare', () => {
    expect(sameKeyFormat(column('patient', 'insurance'), column('insurance', 'insid'))).toBe(true);
    expect(sameKeyFormat(column('appointment', 'physician'), column('insurance', 'insid'))).toBe(false);
    expect(sameKeyFormat(column('insurance', 'plan'), column('insurance', 'insid'))).toBe(false);
  });
});

describe('the key index', () => {
  test('finds duplicates with the line each key was first seen on, across growth', () => {
    const keys = new KeyIndex();
    for (let n = 1; n <= 100_000; n += 1) expect(keys.add(n * 16 + 1, n + 1)).toBeUndefined();
    expect(keys.add(5 * 16 + 1, 100_002)).toBe(6);
    expect(keys.has(99_999 * 16 + 1)).toBe(true);
    expect(keys.has(100_001 * 16 + 1)).toBe(false);
    expect(keys.has(NOT_A_KEY)).toBe(false);
  });

  test('holds text keys too', () => {
    const keys = new KeyIndex();
    expect(keys.add('Gold', 2)).toBeUndefined();
    expect(keys.add('Gold', 9)).toBe(2);
    expect(keys.has('Silver')).toBe(false);
  });

  test('after forgetting lines it still knows every key', () => {
    const keys = new KeyIndex();
    for (let n = 1; n <= 5000; n += 1) keys.add(n * 16 + 1, n);
    keys.forgetLines();
    expect(keys.has(4321 * 16 + 1)).toBe(true);
    expect(keys.add(4321 * 16 + 1, 1)).toBe(0);
  });
});

describe('the frozen key set', () => {
  test('knows exactly the keys the index held, numeric and text, and empties the index', () => {
    const keys = new KeyIndex();
    for (let n = 1; n <= 50_000; n += 2) keys.add(n * 16 + 1, n);
    keys.add('Gold', 2);
    const frozen = keys.freeze();
    expect(frozen.size).toBe(25_001);
    for (let n = 1; n <= 50_000; n += 1) if (frozen.has(n * 16 + 1) !== (n % 2 === 1)) throw new Error(`wrong answer for ${n}`);
    expect(frozen.has('Gold')).toBe(true);
    expect(frozen.has('Silver')).toBe(false);
    expect(frozen.has(NOT_A_KEY)).toBe(false);
    expect(keys.has(1 * 16 + 1)).toBe(false);
  });
});
