import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Table } from '../../contract/clinic';
import { unreadableReason } from './csv-chunks';
import { TableFile } from './loader';

export interface InputSelection {
  readonly files: TableFile[];
  /** Files (not folders) in the folder that are not `<table>.csv` of a contract table. */
  readonly ignored: string[];
  /** Why the selection cannot be used; empty when it can. */
  readonly errors: string[];
}

/** Why `path` cannot be read as an input file, or undefined when it is a readable regular file. */
function notAFile(path: string): string | undefined {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) return 'is a folder, not a file';
    if (!stat.isFile()) return 'is not a regular file';
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    return unreadableReason(error);
  }
}

/**
 * Picks the file of each table: `<table>.csv` in `dir`, replaced or added by `table=path` mappings for exports whose
 * names do not match the tables. Inputs are explicit: a folder where a file is expected, a missing file, or a table given twice
 * is an error, never a silent skip or replacement.
 */
export function selectInputFiles(tables: readonly Table[], dir: string | undefined, mappings: readonly string[]): InputSelection {
  const byTable = new Map<string, { path: string; from: string }>();
  const ignored: string[] = [];
  const errors: string[] = [];
  const choose = (table: string, path: string, from: string): void => {
    const earlier = byTable.get(table);
    // A --file mapping deliberately replaces the folder's file of that table; two mappings of one table are a mistake.
    if (earlier?.from.startsWith('--file')) errors.push(`${from}: table ${table} is already given by ${earlier.from}`);
    else byTable.set(table, { path, from });
  };
  if (dir) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      errors.push(`--dir ${dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (error as Error).message}`);
    }
    for (const name of names) {
      const path = join(dir, name);
      const table = tables.find((t) => `${t.name}.csv` === name);
      if (!table) {
        // Sub-folders (such as seed/changes) are not exports; only stray files are worth listing.
        if (notAFile(path) === undefined) ignored.push(path);
        continue;
      }
      const problem = notAFile(path);
      if (problem) errors.push(`--dir ${dir}: ${path} ${problem}`);
      else choose(table.name, path, `--dir ${dir}`);
    }
  }
  for (const mapping of mappings) {
    const match = /^([^=]+)=(.+)$/.exec(mapping);
    if (!match) {
      errors.push(`--file ${mapping}: expected TABLE=PATH`);
      continue;
    }
    const [, name, path] = match;
    if (!tables.some((t) => t.name === name)) {
      errors.push(`--file ${mapping}: unknown table "${name}" (tables: ${tables.map((t) => t.name).join(', ')})`);
      continue;
    }
    const problem = notAFile(path);
    if (problem) errors.push(`--file ${mapping}: ${path} ${problem}`);
    else choose(name, path, `--file ${mapping}`);
  }
  const files = tables.filter((t) => byTable.has(t.name)).map((table) => ({ table, path: byTable.get(table.name)!.path }));
  if (files.length === 0 && errors.length === 0) errors.push('no input files: give --dir DIR with <table>.csv files or --file TABLE=PATH');
  return { files, ignored: ignored.filter((path) => !files.some((f) => f.path === path)), errors };
}
