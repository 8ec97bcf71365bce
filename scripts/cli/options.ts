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

/** A path that must be an existing regular file. */
export function existingFile(value: string): string {
  const kind = pathKind(value);
  if (kind !== 'file')
    throw new InvalidArgumentError(
      `${value} ${kind === 'directory' ? 'is a folder, not a file' : kind === 'missing' ? 'does not exist' : 'is not a readable file'}.`,
    );
  return value;
}

/** A path that must be an existing folder. */
export function existingDirectory(value: string): string {
  const kind = pathKind(value);
  if (kind !== 'directory')
    throw new InvalidArgumentError(
      `${value} ${kind === 'file' ? 'is a file, not a folder' : kind === 'missing' ? 'does not exist' : 'is not a readable folder'}.`,
    );
  return value;
}

/** Options every command has: `--json` and `--debug`. */
export const jsonOption = (): Option<'--json', undefined, undefined, undefined, false, undefined> =>
  new Option('--json', 'print exactly one JSON document on stdout (on failure too); progress stays on stderr');
export const debugOption = (): Option<'--debug', undefined, undefined, undefined, false, undefined> =>
  new Option('--debug', 'show stack traces of unexpected errors');
