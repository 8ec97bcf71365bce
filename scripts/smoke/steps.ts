import {
  DatabaseMigrationServiceClient,
  DescribeReplicationTasksCommand,
  ReplicationTask,
  StartReplicationTaskCommand,
  TableStatistics,
  paginateDescribeTableStatistics,
} from '@aws-sdk/client-database-migration-service';
import { GetCrawlerCommand, GlueClient, StartCrawlerCommand, Table as GlueTable, paginateGetTables } from '@aws-sdk/client-glue';
import { Column, Table } from '../../contract/clinic';
import { GOVERNED_PERSONAS, READABLE_COLUMNS, ReaderPersona } from '../../contract/lake';
import { CatalogColumn, changeLogCatalogColumns, changeLogDatabaseOf, currentCatalogColumns } from '../../contract/merge';
import { TableFingerprint, checksumSql, fingerprintOf } from './checksum';
import { QueryFailed, SqlEngine } from './engines';
import { Clock, Deadline, PollOptions, collectAll, mapConcurrent, pollUntil } from './waiting';

export const STEPS = ['source', 'dms', 'glue', 'redshift-schema', 'reconcile', 'governance'] as const;
export type StepName = (typeof STEPS)[number];

export interface Check {
  readonly step: StepName;
  readonly check: string;
  readonly expected: string;
  readonly actual: string;
  readonly pass: boolean;
  readonly seconds: number;
}

/** A service said no (a failed task, crawler or query): the run stops with the service's own reason. */
export class StepFailed extends Error {
  override name = 'StepFailed';
}

export interface SmokeNames {
  readonly dmsTaskArn: string;
  readonly crawlerName: string;
  /** The main database: the current-state tables analysts, Redshift and the smoke runner read. */
  readonly glueDatabase: string;
  /** The database of the change-log tables DMS writes. @default `changeLogDatabaseOf(glueDatabase)`, `<db>_changes` */
  readonly changeLogDatabase?: string;
  /** The idempotent `CREATE EXTERNAL SCHEMA` statement. */
  readonly externalSchemaSql: string;
}

/** A catalog table as the checks compare it: its database, name and columns with Glue (Hive) types. */
export interface CatalogTable {
  readonly database: string;
  readonly name: string;
  readonly columns: readonly CatalogColumn[];
}

export interface SmokeContext {
  readonly tables: readonly Table[];
  readonly clock: Clock;
  /** Bounds the whole run (`--timeout`). */
  readonly deadline: Deadline;
  readonly names: SmokeNames;
  readonly source: SqlEngine;
  /**
   * Who reads the lake, each through the engine and identity that reads it in AWS (the smoke runner's Athena, the
   * analyst's Athena, Redshift through its role, or local stand-ins): every reconciliation and governance query runs
   * as its persona.
   */
  readonly readers: readonly LakeReader[];
  /** Runs a statement that returns nothing (the external schema); absent when there is no warehouse. */
  readonly executeOnWarehouse?: (sql: string, deadline: Deadline) => Promise<unknown>;
  readonly dms?: DatabaseMigrationServiceClient;
  readonly glue?: GlueClient;
  /** The catalog as a stand-in sees it (local rehearsal), used when there is no Glue client. */
  readonly catalog?: () => Promise<CatalogTable[]>;
  /** @default 4 */
  readonly concurrency?: number;
  /** Wait limits in ms. */
  readonly waits?: { readonly dms?: number; readonly crawler?: number; readonly query?: number };
  /** Told when each step starts, for progress. */
  readonly onStep?: (step: StepName) => void;
  /** Polling backoff. */
  readonly backoff?: { readonly baseMs?: number; readonly capMs?: number };
}

/** A persona reading the lake through one engine. */
export interface LakeReader {
  readonly persona: ReaderPersona;
  readonly engine: SqlEngine;
}

interface StepState {
  /** Source fingerprints by projection (`projectionKey`), all taken in the source step. */
  sourceFingerprints?: Map<string, TableFingerprint>;
}

/** The columns a persona may read of a table, and the key its source fingerprint is kept under. */
const projection = (persona: ReaderPersona, table: Table): { columns: Column[]; key: string } => {
  const columns = READABLE_COLUMNS[persona](table);
  return { columns, key: `${table.name}(${columns.map((c) => c.name).join(',')})` };
};
const wholeTable = (table: Table): { columns: readonly Column[]; key: string } => ({
  columns: table.columns,
  key: `${table.name}(${table.columns.map((c) => c.name).join(',')})`,
});

const seconds = (clock: Clock, since: number): number => Math.round((clock.now() - since) / 10) / 100;

function pollOptions(ctx: SmokeContext, deadline: Deadline, what: string): PollOptions {
  return { clock: ctx.clock, deadline, what, baseMs: ctx.backoff?.baseMs ?? 1000, capMs: ctx.backoff?.capMs ?? 30_000 };
}

/**
 * Row count and checksum of every table, and of every projection a reader will reconcile (the columns its persona
 * may read), all read from the source before anything else runs.
 */
async function sourceStep(ctx: SmokeContext, state: StepState): Promise<Check[]> {
  const fingerprints = new Map<string, TableFingerprint>();
  const checks = await mapConcurrent(ctx.tables, ctx.concurrency ?? 4, async (table) => {
    const started = ctx.clock.now();
    const projections = new Map(
      [wholeTable(table), ...ctx.readers.map((r) => projection(r.persona, table))].map((p) => [p.key, p.columns]),
    );
    for (const [key, columns] of projections) {
      const [row] = await ctx.source.query(checksumSql(table, ctx.source.dialect, columns), ctx.deadline);
      fingerprints.set(key, fingerprintOf(row));
    }
    const whole = fingerprints.get(wholeTable(table).key)!;
    return {
      step: 'source' as const,
      check: `${table.name} snapshot`,
      expected: 'readable',
      actual: `${whole.rows} rows, checksum ${whole.checksum}`,
      pass: true,
      seconds: seconds(ctx.clock, started),
    };
  });
  state.sourceFingerprints = fingerprints;
  return checks;
}

async function describeTask(ctx: SmokeContext, deadline: Deadline): Promise<ReplicationTask> {
  deadline.check('describing the DMS task');
  const { ReplicationTasks } = await ctx.dms!.send(
    new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [ctx.names.dmsTaskArn] }] }),
  );
  const task = ReplicationTasks?.[0];
  if (!task) throw new StepFailed(`DMS task ${ctx.names.dmsTaskArn} does not exist`);
  return task;
}

async function allTableStatistics(ctx: SmokeContext, deadline: Deadline): Promise<TableStatistics[]> {
  const pages = paginateDescribeTableStatistics({ client: ctx.dms! }, { ReplicationTaskArn: ctx.names.dmsTaskArn });
  return collectAll(pages, (page) => page.TableStatistics, deadline, 'reading DMS table statistics');
}

/**
 * Starts, resumes or reloads the task as its state requires, waits for the full load to finish, then compares
 * DMS's own table statistics with the source snapshot.
 */
async function dmsStep(ctx: SmokeContext, state: StepState): Promise<Check[]> {
  const started = ctx.clock.now();
  const deadline = ctx.deadline.within(ctx.waits?.dms ?? 45 * 60_000);
  const task = await describeTask(ctx, deadline);
  const cdc = task.MigrationType === 'full-load-and-cdc';
  let startType: string | undefined;
  if (task.Status === 'ready') startType = 'start-replication';
  else if (task.Status === 'stopped' || task.Status === 'failed') startType = cdc ? 'resume-processing' : 'reload-target';
  const runStartedAt = ctx.clock.now();
  if (startType) {
    await ctx.dms!.send(
      new StartReplicationTaskCommand({
        ReplicationTaskArn: ctx.names.dmsTaskArn,
        StartReplicationTaskType: startType as 'start-replication',
      }),
    );
  }
  const finished = await pollUntil(
    async () => {
      const current = await describeTask(ctx, deadline);
      const stopDate = current.ReplicationTaskStats?.StopDate?.getTime() ?? 0;
      if (current.Status === 'failed')
        throw new StepFailed(`DMS task failed: ${current.LastFailureMessage ?? current.StopReason ?? 'no reason given'}`);
      if (!cdc && current.Status === 'stopped' && (!startType || stopDate >= runStartedAt)) {
        if (!/FULL_LOAD_ONLY_FINISHED/.test(current.StopReason ?? ''))
          throw new StepFailed(`DMS task stopped: ${current.StopReason ?? 'no reason given'}`);
        return current;
      }
      if (cdc && current.Status === 'running' && current.ReplicationTaskStats?.FullLoadProgressPercent === 100) return current;
      return undefined;
    },
    pollOptions(ctx, deadline, 'waiting for the DMS full load'),
  );

  const checks: Check[] = [
    {
      step: 'dms',
      check: 'task',
      expected: cdc ? 'running, full load 100%' : 'full load finished',
      actual: `${finished.Status} (${startType ?? 'already running'})`,
      pass: true,
      seconds: seconds(ctx.clock, started),
    },
  ];
  const statistics = await allTableStatistics(ctx, deadline);
  for (const table of ctx.tables) {
    const stats = statistics.find((s) => s.TableName === table.name);
    const source = state.sourceFingerprints?.get(wholeTable(table).key);
    if (!stats) {
      checks.push({ step: 'dms', check: `${table.name} statistics`, expected: 'present', actual: 'missing', pass: false, seconds: 0 });
      continue;
    }
    if (source) {
      checks.push({
        step: 'dms',
        check: `${table.name} full-load rows`,
        expected: String(source.rows),
        actual: String(stats.FullLoadRows ?? 0),
        pass: stats.FullLoadRows === source.rows,
        seconds: 0,
      });
    }
    checks.push({
      step: 'dms',
      check: `${table.name} table state`,
      expected: 'Table completed',
      actual: stats.TableState ?? 'unknown',
      pass: stats.TableState === 'Table completed',
      seconds: 0,
    });
  }
  // No DMS validation state is expected: DMS validates an S3 target by running Athena queries through Glue objects
  // it creates, which needs permissions, grants and network paths this platform does not give it; the reconcile
  // step compares every table with the source instead.
  return checks;
}

async function allGlueTables(ctx: SmokeContext, database: string, deadline: Deadline): Promise<GlueTable[]> {
  const pages = paginateGetTables({ client: ctx.glue! }, { DatabaseName: database });
  return collectAll(pages, (page) => page.TableList, deadline, `reading the Glue catalog ${database}`);
}

/** Runs the crawler (or joins a running crawl) and waits for READY; resolves with the crawl's duration check. */
async function crawl(ctx: SmokeContext, deadline: Deadline): Promise<Check> {
  const started = ctx.clock.now();
  try {
    await ctx.glue!.send(new StartCrawlerCommand({ Name: ctx.names.crawlerName }));
  } catch (error) {
    if ((error as Error).name !== 'CrawlerRunningException') throw error;
  }
  let sawRunning = false;
  const last = await pollUntil(
    async () => {
      const { Crawler } = await ctx.glue!.send(new GetCrawlerCommand({ Name: ctx.names.crawlerName }));
      if (Crawler?.State !== 'READY') {
        sawRunning = true;
        return undefined;
      }
      if (!sawRunning) return undefined;
      return Crawler.LastCrawl;
    },
    pollOptions(ctx, deadline, 'waiting for the crawler'),
  );
  if (last.Status !== 'SUCCEEDED')
    throw new StepFailed(`crawler ${last.Status?.toLowerCase() ?? 'ended'}: ${last.ErrorMessage ?? 'no reason given'}`);
  return { step: 'glue', check: 'crawl', expected: 'SUCCEEDED', actual: last.Status, pass: true, seconds: seconds(ctx.clock, started) };
}

/**
 * The two catalog databases and what each must hold per contract table: the current-state tables (the contract's
 * columns and the last change sequence) and the change-log tables DMS writes (its three columns, then the row image).
 * Check names: `<table> columns` for a current table, `<table> change-log columns` for a change-log table.
 */
function catalogDatabases(ctx: SmokeContext): { database: string; label: string; columns: (table: Table) => CatalogColumn[] }[] {
  return [
    { database: ctx.names.glueDatabase, label: '', columns: currentCatalogColumns },
    {
      database: ctx.names.changeLogDatabase ?? changeLogDatabaseOf(ctx.names.glueDatabase),
      label: ' change-log',
      columns: changeLogCatalogColumns,
    },
  ];
}

/**
 * Each catalog database must hold exactly one table per contract table, with the column names and types the design
 * gives it: the current-state tables in the main database, the change-log tables in their own.
 */
async function glueStep(ctx: SmokeContext): Promise<Check[]> {
  const deadline = ctx.deadline.within(ctx.waits?.crawler ?? 30 * 60_000);
  const checks: Check[] = [];
  const databases = catalogDatabases(ctx);
  let tables: CatalogTable[];
  if (ctx.glue) {
    checks.push(await crawl(ctx, deadline));
    tables = [];
    for (const { database } of databases) {
      for (const t of await allGlueTables(ctx, database, deadline)) {
        const columns = (t.StorageDescriptor?.Columns ?? []).map((c) => ({ name: c.Name ?? '', type: c.Type ?? '' }));
        tables.push({ database, name: t.Name ?? '', columns });
      }
    }
  } else if (ctx.catalog) {
    tables = await ctx.catalog();
  } else {
    throw new StepFailed('no catalog to check (neither Glue nor a local catalog)');
  }
  const expectedNames = ctx.tables.map((t) => t.name.toLowerCase()).sort();
  for (const { database, label, columns } of databases) {
    const inDatabase = tables.filter((t) => t.database === database);
    const actualNames = inDatabase.map((t) => t.name).sort();
    checks.push({
      step: 'glue',
      check: `one table per contract table in ${database}`,
      expected: expectedNames.join(','),
      actual: actualNames.join(','),
      pass: expectedNames.join(',') === actualNames.join(','),
      seconds: 0,
    });
    for (const table of ctx.tables) {
      const found = inDatabase.find((t) => t.name === table.name.toLowerCase());
      const expected = columns(table)
        .map((c) => `${c.name}:${c.type}`)
        .join(',');
      const actual = found ? found.columns.map((c) => `${c.name}:${c.type}`).join(',') : 'missing';
      checks.push({ step: 'glue', check: `${table.name}${label} columns`, expected, actual, pass: expected === actual, seconds: 0 });
    }
  }
  return checks;
}

async function redshiftSchemaStep(ctx: SmokeContext): Promise<Check[]> {
  const started = ctx.clock.now();
  if (!ctx.executeOnWarehouse) return [];
  await ctx.executeOnWarehouse(ctx.names.externalSchemaSql, ctx.deadline.within(ctx.waits?.query ?? 10 * 60_000));
  return [
    {
      step: 'redshift-schema',
      check: 'external schema',
      expected: 'exists',
      actual: 'exists',
      pass: true,
      seconds: seconds(ctx.clock, started),
    },
  ];
}

/**
 * Row counts and checksums of every table as every reader sees it, all queries concurrently (bounded): each reader
 * checksums the columns its persona may read, against the same projection of the source.
 */
async function reconcileStep(ctx: SmokeContext, state: StepState): Promise<Check[]> {
  const source = state.sourceFingerprints;
  if (!source) throw new StepFailed('reconcile needs the source step');
  const jobs = ctx.readers.flatMap((reader) => ctx.tables.map((table) => ({ reader, table })));
  const results = await mapConcurrent(jobs, ctx.concurrency ?? 4, async ({ reader, table }) => {
    const started = ctx.clock.now();
    const { columns, key } = projection(reader.persona, table);
    const { engine } = reader;
    const [row] = await engine.query(checksumSql(table, engine.dialect, columns), ctx.deadline.within(ctx.waits?.query ?? 10 * 60_000));
    const actual = fingerprintOf(row);
    const expected = source.get(key)!;
    const took = seconds(ctx.clock, started);
    const who = `${engine.name} as ${reader.persona}`;
    return [
      {
        step: 'reconcile' as const,
        check: `${who} ${table.name} rows`,
        expected: String(expected.rows),
        actual: String(actual.rows),
        pass: actual.rows === expected.rows,
        seconds: took,
      },
      {
        step: 'reconcile' as const,
        check: `${who} ${table.name} checksum`,
        expected: expected.checksum,
        actual: actual.checksum,
        pass: actual.checksum === expected.checksum,
        seconds: took,
      },
    ];
  });
  return results.flat();
}

/** Runs a query as a reader; resolves with the engine's refusal reason, or undefined when the query succeeded. */
async function refusalOf(ctx: SmokeContext, reader: LakeReader, sql: string): Promise<string | undefined> {
  try {
    await reader.engine.query(sql, ctx.deadline.within(ctx.waits?.query ?? 10 * 60_000));
    return undefined;
  } catch (error) {
    if (!(error instanceof QueryFailed)) throw error;
    return error.reason;
  }
}

/**
 * As each governed persona (analysts, Redshift): a query of each direct identifier must be refused, and a query of
 * the columns the persona may read must succeed.
 */
async function governanceStep(ctx: SmokeContext): Promise<Check[]> {
  const jobs = ctx.readers
    .filter((reader) => GOVERNED_PERSONAS.includes(reader.persona))
    .flatMap((reader) => ctx.tables.map((table) => ({ reader, table })));
  const results = await mapConcurrent(jobs, ctx.concurrency ?? 4, async ({ reader, table }) => {
    const d = reader.engine.dialect;
    const who = `${reader.engine.name} as ${reader.persona}`;
    const checks: Check[] = [];
    for (const identifier of table.columns.filter((c) => c.classification === 'direct-identifier')) {
      const started = ctx.clock.now();
      const refusal = await refusalOf(ctx, reader, `SELECT ${d.identifier(identifier.name)} FROM ${d.table(table.name)} LIMIT 1`);
      checks.push({
        step: 'governance',
        check: `${who} ${table.name}.${identifier.name} hidden`,
        expected: 'refused',
        actual: refusal ? `refused: ${refusal}` : 'PHI query unexpectedly allowed',
        pass: refusal !== undefined,
        seconds: seconds(ctx.clock, started),
      });
    }
    const started = ctx.clock.now();
    const allowed = projection(reader.persona, table).columns.map((c) => d.identifier(c.name));
    const failure = await refusalOf(ctx, reader, `SELECT ${allowed.join(', ')} FROM ${d.table(table.name)} LIMIT 1`);
    checks.push({
      step: 'governance',
      check: `${who} ${table.name} allowed columns`,
      expected: 'readable',
      actual: failure ? `refused: ${failure}` : 'readable',
      pass: failure === undefined,
      seconds: seconds(ctx.clock, started),
    });
    return checks;
  });
  return results.flat();
}

export interface SmokeResult {
  readonly ok: boolean;
  readonly checks: Check[];
  /** Why the run stopped early, when it did. */
  readonly stopped?: { readonly step: StepName; readonly reason: string };
  readonly seconds: number;
}

/** Runs the chosen steps in order; a step that cannot go on stops the run, recorded as a failed check. */
export async function runSmoke(ctx: SmokeContext, steps: readonly StepName[] = STEPS): Promise<SmokeResult> {
  const started = ctx.clock.now();
  const state: StepState = {};
  const checks: Check[] = [];
  const run: Record<StepName, () => Promise<Check[]>> = {
    source: () => sourceStep(ctx, state),
    dms: () => dmsStep(ctx, state),
    glue: () => glueStep(ctx),
    'redshift-schema': () => redshiftSchemaStep(ctx),
    reconcile: () => reconcileStep(ctx, state),
    governance: () => governanceStep(ctx),
  };
  for (const step of STEPS.filter((s) => steps.includes(s))) {
    const stepStarted = ctx.clock.now();
    try {
      ctx.deadline.check(`starting ${step}`);
      ctx.onStep?.(step);
      checks.push(...(await run[step]()));
    } catch (error) {
      const reason = (error as Error).message;
      checks.push({ step, check: 'step', expected: 'completes', actual: reason, pass: false, seconds: seconds(ctx.clock, stepStarted) });
      return { ok: false, checks, stopped: { step, reason }, seconds: seconds(ctx.clock, started) };
    }
  }
  return { ok: checks.every((c) => c.pass), checks, seconds: seconds(ctx.clock, started) };
}
