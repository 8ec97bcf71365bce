import { statSync } from 'node:fs';
import { InvalidArgumentError, Option } from '@commander-js/extra-typings';

/**
 * Value parsers for command options. Each checks the value before the command runs, so a bad number or path is a
 * usage error (exit 2) naming the flag, and nothing has been touched yet.
 */
export function integer(range: { min: number; max: number }): (value: string) => number {
  return (value) => {
    if (!/^-?[0-9]+$/.test(value.trim())) throw new InvalidArgumentError(`"${value}" is not a whole number.`);
    const n = Number(value);
    if (n < range.min || n > range.max) throw new InvalidArgumentError(`${n} is outside ${range.min}..${range.max}.`);
    return n;
  };
}

export function decimal(range: { min: number; max: number }): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`"${value}" is not a number.`);
    if (n < range.min || n > range.max) throw new InvalidArgumentError(`${n} is outside ${range.min}..${range.max}.`);
    return n;
  };
}

/** A comma-separated list whose every item is one of `allowed`. */
export function listOf<const T extends string>(allowed: readonly T[]): (value: string) => T[] {
  return (value) => {
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
    if (unknown.length > 0)
      throw new InvalidArgumentError(`unknown ${unknown.map((u) => `"${u}"`).join(', ')}; choose from ${allowed.join(', ')}.`);
    if (items.length === 0) throw new InvalidArgumentError(`empty list; choose from ${allowed.join(', ')}.`);
    return items as T[];
  };
}

/** Collects a repeatable option into an array. */
export function repeated(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function pathKind(path: string): 'file' | 'directory' | 'other' | 'missing' | 'unreadable' {
  try {
    const stat = statSync(path);
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
}

const WHY_NOT: Record<'file' | 'directory', Record<ReturnType<typeof pathKind>, string>> = {
  file: {
    file: '',
    directory: 'is a folder, not a file',
    other: 'is not a regular file',
    missing: 'does not exist',
    unreadable: 'is not readable',
  },
  directory: {
    directory: '',
    file: 'is a file, not a folder',
    other: 'is not a folder',
    missing: 'does not exist',
    unreadable: 'is not readable',
  },
};

/** A parser for a path that must already exist as a regular file or as a folder. */
const existing =
  (wanted: 'file' | 'directory') =>
  (value: string): string => {
    const kind = pathKind(value);
    if (kind !== wanted) throw new InvalidArgumentError(`${value} ${WHY_NOT[wanted][kind]}.`);
    return value;
  };

/** A path that must be an existing regular file. */
export const existingFile = existing('file');

/** A path that must be an existing folder. */
export const existingDirectory = existing('directory');

/** Options every command has: `--json` and `--debug`. */
export const jsonOption = (): Option<'--json', undefined, undefined, undefined, false, undefined> =>
  new Option('--json', 'print exactly one JSON document on stdout (on failure too); progress stays on stderr');
export const debugOption = (): Option<'--debug', undefined, undefined, undefined, false, undefined> =>
  new Option('--debug', 'show stack traces of unexpected errors');
