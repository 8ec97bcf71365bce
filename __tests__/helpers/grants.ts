import { Table } from '../../contract/clinic';
import { READABLE_COLUMNS, ReaderPersona } from '../../contract/lake';
import type { GrantedColumns } from '../../scripts/local/personas';

/**
 * The grants each persona should have by the contract, as `grantsByPersona` reads them from a stack: a table the
 * persona may read no column of has no grant at all.
 */
export function grantsFromContract(tables: readonly Table[]): ReadonlyMap<ReaderPersona, GrantedColumns> {
  return new Map(
    (Object.keys(READABLE_COLUMNS) as ReaderPersona[]).map((persona) => [
      persona,
      new Map(
        tables
          .map((t): [string, string[]] => [t.name.toLowerCase(), READABLE_COLUMNS[persona](t).map((c) => c.name.toLowerCase())])
          .filter(([, columns]) => columns.length > 0),
      ),
    ]),
  );
}
