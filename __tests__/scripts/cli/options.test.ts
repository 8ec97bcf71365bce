import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { debugOption, decimal, existingDirectory, existingFile, integer, jsonOption, listOf, repeated } from '../../../scripts/cli/options';

/** Runs a parser that must refuse `value`: the error must be commander's, so the handler reports it as a usage error. */
function refusal(parse: (value: string) => unknown, value: string): InvalidArgumentError {
  try {
    parse(value);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe('integer', () => {
  const parse = integer({ min: -5, max: 10 });

  test.each([
    ['1', 1],
    ['10', 10],
    ['-5', -5],
    [' 7 ', 7],
    ['007', 7],
  ])('%j is %i', (value, expected) => {
    expect(parse(value)).toBe(expected);
  });

  test.each([
    ['abc', '"abc" is not a whole number.'],
    ['2.5', '"2.5" is not a whole number.'],
    ['1e3', '"1e3" is not a whole number.'],
    ['', '"" is not a whole number.'],
    ['0x10', '"0x10" is not a whole number.'],
    ['11', '11 is outside -5..10.'],
    ['-6', '-6 is outside -5..10.'],
  ])('%j is refused: %s', (value, message) => {
    expect(refusal(parse, value).message).toBe(message);
  });
});

describe('decimal', () => {
  const parse = decimal({ min: 0, max: 1 });

  test.each([
    ['0', 0],
    ['0.25', 0.25],
    ['1', 1],
    ['1e-1', 0.1],
    [' .5 ', 0.5],
  ])('%j is %d', (value, expected) => {
    expect(parse(value)).toBe(expected);
  });

  test.each([
    ['abc', '"abc" is not a number.'],
    ['', '"" is not a number.'],
    ['   ', '"   " is not a number.'],
    ['Infinity', '"Infinity" is not a number.'],
    ['NaN', '"NaN" is not a number.'],
    ['1.5', '1.5 is outside 0..1.'],
    ['-0.1', '-0.1 is outside 0..1.'],
  ])('%j is refused: %s', (value, message) => {
    expect(refusal(parse, value).message).toBe(message);
  });
});

describe('listOf', () => {
  const parse = listOf(['source', 'dms', 'glue'] as const);

  test.each([
    ['dms', ['dms']],
    ['source, glue', ['source', 'glue']],
    ['glue,,dms,', ['glue', 'dms']],
  ])('%j is %j', (value, expected) => {
    expect(parse(value)).toEqual(expected);
  });

  test.each([
    ['lakes', 'unknown "lakes"; choose from source, dms, glue.'],
    ['dms,lake,crawl', 'unknown "lake", "crawl"; choose from source, dms, glue.'],
    ['', 'empty list; choose from source, dms, glue.'],
    [' , ', 'empty list; choose from source, dms, glue.'],
  ])('%j is refused: %s', (value, message) => {
    expect(refusal(parse, value).message).toBe(message);
  });
});

describe('repeated', () => {
  test('collects every value in order without changing the earlier list', () => {
    const first = repeated('a', undefined);
    const second = repeated('b', first);
    expect(first).toEqual(['a']);
    expect(second).toEqual(['a', 'b']);
  });
});

describe('existingFile and existingDirectory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'options-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'outputs.json');
  writeFileSync(file, '{}');
  const missing = join(dir, 'missing.json');
  const underAFile = join(file, 'inside');

  test('a file is an existing file and a folder an existing folder, returned as given', () => {
    expect(existingFile(file)).toBe(file);
    expect(existingDirectory(dir)).toBe(dir);
  });

  test.each([
    ['a folder', 'existingFile', dir, `${dir} is a folder, not a file.`],
    ['a missing path', 'existingFile', missing, `${missing} does not exist.`],
    ['a device', 'existingFile', '/dev/null', '/dev/null is not a regular file.'],
    ['a path under a file', 'existingFile', underAFile, `${underAFile} is not readable.`],
    ['a file', 'existingDirectory', file, `${file} is a file, not a folder.`],
    ['a missing path', 'existingDirectory', missing, `${missing} does not exist.`],
    ['a device', 'existingDirectory', '/dev/null', '/dev/null is not a folder.'],
  ] as const)('%s is refused by %s, naming the path', (_case, parser, path, message) => {
    expect(refusal({ existingFile, existingDirectory }[parser], path).message).toBe(message);
  });
});

describe('the options every command has', () => {
  test.each([
    ['jsonOption', jsonOption, '--json', /one JSON document/],
    ['debugOption', debugOption, '--debug', /stack traces/],
  ])('%s declares %s as a switch', (_name, make, flag, description) => {
    const option = make();
    expect(option.long).toBe(flag);
    expect(option.required || option.optional).toBe(false);
    expect(option.description).toMatch(description);
  });
});
