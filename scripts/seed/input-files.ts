import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Table } from '../../contract/clinic';
import { TableFile } from './loader';

export interface InputSelection {
  readonly files: TableFile[];
  /** Files in the folder that are not `<table>.csv` of a contract table. */
  readonly ignored: string[];
  readonly errors: string[];
}

/**
 * Picks the file of each table: `<table>.csv` in `dir`, overridden or added by `table=path` mappings for exports
 * whose names do not match the tables.
 */
export function selectInputFiles(tables: readonly Table[], dir: string | undefined, mappings: readonly string[]): InputSelection {
  const byTable = new Map<string, string>();
  const ignored: string[] = [];
  const errors: string[] = [];
  if (dir) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      errors.push(`--dir ${dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (error as Error).message}`);
    }
    for (const name of names) {
      const table = tables.find((t) => `${t.name}.csv` === name);
      if (table && statSync(join(dir, name)).isFile()) byTable.set(table.name, join(dir, name));
      else ignored.push(join(dir, name));
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
    byTable.set(name, path);
  }
  const files = tables.filter((t) => byTable.has(t.name)).map((table) => ({ table, path: byTable.get(table.name)! }));
  if (files.length === 0 && errors.length === 0) errors.push('no input files: give --dir DIR with <table>.csv files or --file TABLE=PATH');
  return { files, ignored: ignored.filter((p) => !files.some((f) => f.path === p)), errors };
}
