import { formatTable, left, right } from '../cli/output';
import { smokeVerdict } from '../smoke/report';
import type { CapturedChanges } from './change-capture';
import { RehearsalResult, TableMerge, unstableMerges } from './rehearsal';

/**
 * The merge as a person reads it, one line per table: the rows of the full load, the changes captured (inserts,
 * updates, deletes, and the CDC files holding them), the rows the merge of those changes inserted, updated and
 * deleted in the current table, and what a second merge changed (it must change nothing).
 */
export function formatMergeReport(
  merge: readonly TableMerge[],
  changes: Readonly<Record<string, CapturedChanges>> | undefined,
  width?: number,
): string {
  const table = formatTable(
    [
      left('table'),
      right('full load'),
      right('inserts'),
      right('updates'),
      right('deletes'),
      right('cdc files'),
      right('inserted'),
      right('updated'),
      right('deleted'),
      right('second merge'),
    ],
    merge.map((m) => {
      const captured = changes?.[m.table];
      const again = m.again.inserted + m.again.updated + m.again.deleted;
      return [
        m.table,
        String(m.fullLoad.inserted),
        ...[captured?.inserts, captured?.updates, captured?.deletes, captured?.files.length].map((n) => String(n ?? 0)),
        ...[m.changes.inserted, m.changes.updated, m.changes.deleted].map(String),
        again === 0 ? 'no change' : `${again} CHANGED`,
      ];
    }),
    width,
  );
  const all = Object.values(changes ?? {});
  const captured = changes
    ? `${all.reduce((n, c) => n + c.inserts + c.updates + c.deletes, 0)} changes captured in ${all.reduce((n, c) => n + c.files.length, 0)} CDC files`
    : 'the full load only (--no-changes)';
  const unstable = unstableMerges(merge);
  const second =
    unstable.length === 0 ? 'a second merge changed nothing' : `a second merge CHANGED ${unstable.map((m) => m.table).join(', ')}`;
  return [
    'change log merged into the current tables (the generated MERGE INTO, run by DuckDB)',
    table,
    `merge: ${captured}; ${second}`,
  ].join('\n');
}

/** The closing line: the merge's verdict when a second merge changed something, then the smoke checks'. */
export function rehearsalVerdict(result: RehearsalResult): string {
  const unstable = unstableMerges(result.merge);
  const checksPassed = result.checks.every((c) => c.pass) && !result.stopped;
  const smoke = smokeVerdict({ ...result, ok: checksPassed }, 'local rehearsal');
  if (unstable.length === 0) return smoke;
  return `local rehearsal: a second merge changed ${unstable.map((m) => m.table).join(', ')} (it must change nothing)\n${smoke}`;
}
