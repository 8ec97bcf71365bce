import type { Connection } from 'mysql2/promise';
import { Table, isSeeded } from '../../contract/clinic';
import { ReaderPersona, SOURCE_SCHEMA } from '../../contract/lake';
import { changeLogDatabaseOf } from '../../contract/merge';
import { quoteIdentifier } from '../../contract/mysql';
import { CheckFailedError } from '../cli/errors';
import { registerCleanup } from '../cli/interrupts';
import { selectInputFiles } from '../seed/input-files';
import { LoadReport, loadClinicData } from '../seed/loader';
import { MysqlEngine } from '../smoke/engines';
import { LakeReader, SmokeResult, StepName, runSmoke } from '../smoke/steps';
import { Deadline, realClock } from '../smoke/waiting';
import { CapturedChanges, exportChangesLikeDms, installChangeCapture } from './change-capture';
import { ChangeScript, applyChangeScript } from './change-script';
import { ChangeLogProblem, DuckDbLake, LakeDatabases, MergeCounts, exportLikeDms } from './duckdb-lake';
import { GrantedColumns } from './personas';

/**
 * The smoke steps a local rehearsal can run: there is no DMS task, merge execution, crawler run or Redshift schema to
 * start, and no probe row to time (the rehearsal merges after the change script, not on a schedule).
 */
export const LOCAL_STEPS: readonly StepName[] = ['source', 'glue', 'reconcile', 'governance'];

/** The local catalog's two databases, named as Glue names them: `<db>` and `<db>_changes`. */
export const LOCAL_DATABASES: LakeDatabases = { current: SOURCE_SCHEMA, changeLog: changeLogDatabaseOf(SOURCE_SCHEMA) };

/** Changes to apply after the full load, and how to open the session they run on. */
export interface RehearsedChanges {
  readonly script: ChangeScript;
  /** Opens a new session to the rehearsal's database: the script runs on a session of its own. */
  readonly connect: () => Promise<Connection>;
}

export interface SeedAndExportOptions {
  readonly connection: Connection;
  readonly database: string;
  readonly tables: readonly Table[];
  /** Folder of `<table>.csv` exports. */
  readonly inputDir: string;
  readonly lakeDir: string;
  readonly workDir: string;
  /** Applied and captured after the full load; without them the lake holds the full load only. */
  readonly changes?: RehearsedChanges;
  readonly log?: (line: string) => void;
}

export interface SeedAndExportResult {
  readonly load: LoadReport;
  /** Full-load rows per table. */
  readonly exported: Record<string, number>;
  /** Changes captured per table, when a change script ran. */
  readonly changes?: Record<string, CapturedChanges>;
}

/**
 * Loads the exports with the real seed loader and writes the full load the way the DMS task would; then, given a
 * change script, captures its changes with triggers while it runs and writes them as DMS's CDC files. The triggers
 * and their change table are dropped again whatever happens.
 */
export async function seedAndExport(options: SeedAndExportOptions): Promise<SeedAndExportResult> {
  const log = options.log ?? (() => undefined);
  const { files, errors } = selectInputFiles(options.tables, options.inputDir, []);
  if (errors.length > 0) throw new Error(errors.join('\n'));
  // Pruned, so the database is the exports before the changes even when a server of the user's ran them before.
  const load = await loadClinicData({
    connection: options.connection,
    database: options.database,
    tables: options.tables,
    files,
    prune: true,
  });
  if (!load.ok) return { load, exported: {} };
  // The tables the exports do not hold (the smoke probe) are made equal to them too: empty. The rehearsal's own
  // database only (a server that is RDS was refused before anything was written).
  for (const table of options.tables.filter((t) => !isSeeded(t)))
    await options.connection.query(`DELETE FROM ${quoteIdentifier(table.name)}`);
  log(`seeded ${load.tables.map((t) => `${t.table} ${t.read}`).join(', ')}`);
  const exportOptions = { source: options.connection, tables: options.tables, lakeDir: options.lakeDir, workDir: options.workDir };
  const exported = await exportLikeDms({
    ...exportOptions,
    onTable: (table, rows) => log(`exported the full load of ${table}: ${rows} rows`),
  });
  if (!options.changes) return { load, exported };

  const capture = await installChangeCapture(options.connection, options.tables);
  try {
    log(`applying ${options.changes.script.path} (${options.changes.script.statements.length} statements)`);
    const session = await options.changes.connect();
    // On an interrupt the session goes first: its open transaction would hold the locks dropping the triggers needs.
    const unregister = registerCleanup(
      'close the change script session',
      () => session.destroy(),
      () => session.destroy(),
    );
    try {
      await applyChangeScript(options.changes.script, { script: session, observer: options.connection }, capture.count);
    } finally {
      unregister();
      await session.end();
    }
    const changes = await exportChangesLikeDms({
      ...exportOptions,
      onTable: (table, count) => log(`exported the changes of ${table}: ${count}`),
    });
    return { load, exported, changes };
  } finally {
    await capture.remove();
  }
}

/** What the merge did to one current-state table, run by run. */
export interface TableMerge {
  readonly table: string;
  /** The first scheduled run, over the full load (nothing when the tables are rebuilt from the whole log). */
  readonly fullLoad: MergeCounts;
  /** The next run, over the change log as it is now. */
  readonly changes: MergeCounts;
  /** The same run again: it must change nothing. */
  readonly again: MergeCounts;
}

export interface RehearsalResult extends SmokeResult {
  /** One entry per table with a change log. */
  readonly merge: readonly TableMerge[];
}

/** The change log cannot be merged truthfully: the run stops (exit 1) naming each table and problem. */
export class ChangeLogProblemsError extends CheckFailedError {
  constructor(readonly problems: readonly ChangeLogProblem[]) {
    const each = problems.map((p) => `${p.table}: ${p.problem} (key ${p.key ?? 'NULL'}: ${JSON.stringify(p.detail)})`);
    super(`the change log cannot be merged: ${each.join('; ')}`, { problems });
  }
}

const changedNothing = (counts: MergeCounts): boolean => counts.inserted + counts.updated + counts.deleted === 0;

/** The tables whose second merge changed something (the merge must be idempotent). */
export const unstableMerges = (merge: readonly TableMerge[]): TableMerge[] => merge.filter((m) => !changedNothing(m.again));

/**
 * Builds the current-state tables from the change log the way the scheduled merge does in AWS: the change log is
 * checked first (a problem stops the run), then each table is merged as the full load left the log (unless it is
 * rebuilt), again over the whole log, and a third time, which must change nothing.
 */
async function mergeLikeTheSchedule(lake: DuckDbLake, rebuild: boolean): Promise<TableMerge[]> {
  const problems = await lake.changeLogProblems();
  if (problems.length > 0) throw new ChangeLogProblemsError(problems);
  const merges: TableMerge[] = [];
  for (const table of lake.logged) {
    const fullLoad = rebuild ? { inserted: 0, updated: 0, deleted: 0 } : await lake.merge(table, 'full load');
    const changes = await lake.merge(table, 'change log');
    merges.push({ table: table.name, fullLoad, changes, again: await lake.merge(table, 'change log') });
  }
  return merges;
}

/**
 * The merge and the smoke checks against the local lake: the current-state tables built by the generated merge in
 * DuckDB, then the MariaDB source (after the changes), DuckDB standing in for Athena and Redshift over the current
 * tables (the same SQL through the same engine interface), the catalog of both databases, and every query run as
 * the persona that runs it in AWS, each persona seeing exactly what the synthesized Lake Formation grants give it.
 */
export async function checkLocalLake(options: {
  connection: Connection;
  tables: readonly Table[];
  lakeDir: string;
  /** What each persona was granted, from the synthesized stack (`grantsByPersona`). */
  grants: ReadonlyMap<ReaderPersona, GrantedColumns>;
  /** Where DuckDB may spill beyond its memory limit (DuckDB's default is `.tmp` in the working folder). */
  workDir?: string;
  /**
   * Build the current tables from the whole change log at once, as the merge does into a current table that a
   * contract change re-created (nothing applied yet), or with `{"rebuild": true}`: a full load written before a
   * column was added cannot be merged alone under the new contract.
   * @default false: first the full load, then the whole log, as the schedule would
   */
  rebuild?: boolean;
  timeoutMs?: number;
}): Promise<RehearsalResult> {
  const lake = await DuckDbLake.open({ lakeDir: options.lakeDir, tables: options.tables, workDir: options.workDir });
  try {
    const merge = await mergeLikeTheSchedule(lake, options.rebuild ?? false);
    const readers: LakeReader[] = [];
    for (const persona of LOCAL_PERSONAS) {
      const schema = persona.replace(/-/g, '_');
      await lake.createPersonaSchema(schema, options.grants.get(persona) ?? new Map());
      readers.push({ persona, engine: lake.engine(`${PERSONA_ENGINE[persona]} (duckdb)`, schema) });
    }
    const smoke = await runSmoke(
      {
        tables: options.tables,
        clock: realClock,
        deadline: Deadline.in(realClock, options.timeoutMs ?? 10 * 60_000),
        names: {
          dmsTaskArn: '',
          crawlerNames: {},
          mergeStateMachineArn: '',
          glueDatabase: LOCAL_DATABASES.current,
          changeLogDatabase: LOCAL_DATABASES.changeLog,
          externalSchemaSql: '',
        },
        source: new MysqlEngine(options.connection),
        readers,
        catalog: () => lake.catalog(LOCAL_DATABASES),
      },
      LOCAL_STEPS,
    );
    return { ...smoke, ok: smoke.ok && unstableMerges(merge).length === 0, merge };
  } finally {
    lake.close();
  }
}

/** The personas the smoke run reads the lake as, in AWS and here. */
const LOCAL_PERSONAS: readonly ReaderPersona[] = ['smoke-runner', 'analyst', 'redshift'];
/** The engine each persona reads through in AWS, which DuckDB stands in for here. */
const PERSONA_ENGINE: Readonly<Record<ReaderPersona, string>> = { 'smoke-runner': 'athena', analyst: 'athena', redshift: 'redshift' };
