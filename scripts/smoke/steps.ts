import {
  DatabaseMigrationServiceClient,
  DescribeReplicationTasksCommand,
  ReplicationTask,
  StartReplicationTaskCommand,
  TableStatistics,
  paginateDescribeTableStatistics,
} from '@aws-sdk/client-database-migration-service';
import { randomUUID } from 'node:crypto';
import {
  BatchGetCrawlersCommand,
  Crawler,
  GlueClient,
  StartCrawlerCommand,
  Table as GlueTable,
  paginateGetTables,
} from '@aws-sdk/client-glue';
import { DescribeExecutionCommand, DescribeExecutionOutput, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DEFAULT_FRESHNESS_TARGET_MINUTES } from '../../config/types';
import { Column, SMOKE_PROBE_COLUMNS, SMOKE_PROBE_TABLE, Table, isSeeded } from '../../contract/clinic';
import { GOVERNED_PERSONAS, READABLE_COLUMNS, ReaderPersona } from '../../contract/lake';
import { CatalogColumn, changeLogCatalogColumns, changeLogDatabaseOf, currentCatalogColumns } from '../../contract/merge';
import { quoteIdentifier } from '../../contract/mysql';
import { REBUILD_INPUT } from '../../stacks/core/athena-workflows';
import { TableFingerprint, checksumSql, fingerprintOf } from './checksum';
import { isReplicationConfigArn, runServerlessFullLoad, tableStatisticsChecks } from './dms-replication';
import { QueryFailed, SourceEngine, SqlEngine } from './engines';
import { Clock, Deadline, DeadlineExceeded, PollOptions, collectAll, mapConcurrent, pollUntil } from './waiting';

export const STEPS = ['source', 'probe', 'dms', 'merge', 'glue', 'redshift-schema', 'freshness', 'reconcile', 'governance'] as const;
/** The steps that read or write the source database; the rest work from what they recorded. */
const SOURCE_STEPS: readonly StepName[] = ['source', 'probe'];
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
  /** The DMS replication task, or the DMS Serverless replication configuration (a `replication-config` ARN). */
  readonly dmsTaskArn: string;
  /** The crawler of each change-log table, by contract table name (the `glue_crawler_names` output). */
  readonly crawlerNames: Readonly<Record<string, string>>;
  /** The state machine that merges the change log into the current state (the `merge_state_machine_arn` output). */
  readonly mergeStateMachineArn: string;
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
  readonly source: SourceEngine;
  /**
   * Called once no step left in the run reads the source, so its connection (through a port forward that may close
   * after an hour) is not held idle through the long waits that follow.
   */
  readonly releaseSource?: () => Promise<void>;
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
  readonly sfn?: SFNClient;
  /** The catalog as a stand-in sees it (local rehearsal), used when there is no Glue client. */
  readonly catalog?: () => Promise<CatalogTable[]>;
  /** @default 4 */
  readonly concurrency?: number;
  /**
   * Wait limits in ms. `freshness` is the target itself: the probe row must be queryable this long after it was
   * written (default `DEFAULT_FRESHNESS_TARGET_MINUTES`).
   */
  readonly waits?: {
    readonly dms?: number;
    readonly crawler?: number;
    readonly query?: number;
    readonly merge?: number;
    readonly freshness?: number;
  };
  /** New unique ids, for the probe row and the merge execution's name. @default randomUUID */
  readonly newId?: () => string;
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
  /** The probe row written to the source, and when (the run's clock, just before the INSERT). */
  probe?: { readonly id: string; readonly writtenAt: number };
  /**
   * The DMS step started the task or reloaded the target: the change log then starts with a new full load, which the
   * merge applies only when rebuilding (its rows carry no change sequence).
   */
  dmsLoaded?: boolean;
}

/**
 * The tables the run compares with the source: every table but those the platform writes itself (the probe, which
 * the run writes after the snapshot).
 */
const reconciledTables = (ctx: SmokeContext): Table[] => ctx.tables.filter(isSeeded);

function probeTableOf(ctx: SmokeContext): Table {
  const table = ctx.tables.find((t) => t.name === SMOKE_PROBE_TABLE);
  if (!table) throw new StepFailed(`the contract has no ${SMOKE_PROBE_TABLE} table to write the probe row into`);
  return table;
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
 * Row count and checksum of every table the run reconciles, and of every projection a reader will reconcile (the
 * columns its persona may read), all read from the source in one transaction over one consistent snapshot, before
 * anything else runs: a clinic still writing meanwhile cannot make two tables disagree.
 */
async function sourceStep(ctx: SmokeContext, state: StepState): Promise<Check[]> {
  const fingerprints = new Map<string, TableFingerprint>();
  const checks = await ctx.source.inSnapshot(() =>
    mapConcurrent(reconciledTables(ctx), ctx.concurrency ?? 4, async (table) => {
      const started = ctx.clock.now();
      const projections = new Map(
        [wholeTable(table), ...ctx.readers.map((r) => projection(r.persona, table))]
          .filter((p) => p.columns.length > 0)
          .map((p) => [p.key, p.columns]),
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
    }),
  );
  state.sourceFingerprints = fingerprints;
  return checks;
}

/**
 * Writes one row with a new id into the probe table of the source, after the snapshot: the freshness step waits for
 * exactly this row in the current tables. The row says nothing about anyone; the id is random.
 */
async function probeStep(ctx: SmokeContext, state: StepState): Promise<Check[]> {
  const table = probeTableOf(ctx);
  const id = (ctx.newId ?? randomUUID)();
  const { id: idColumn, writtenAt, note } = SMOKE_PROBE_COLUMNS;
  const columns = [idColumn, writtenAt, note].map(quoteIdentifier).join(', ');
  const writtenAtMs = ctx.clock.now();
  await ctx.source.execute(
    `INSERT INTO ${quoteIdentifier(table.name)} (${columns}) VALUES ('${id}', UTC_TIMESTAMP(), 'release smoke run')`,
  );
  state.probe = { id, writtenAt: writtenAtMs };
  return [
    {
      step: 'probe',
      check: `${table.name} row`,
      expected: 'written',
      actual: `written, ${idColumn} ${id}`,
      pass: true,
      seconds: seconds(ctx.clock, writtenAtMs),
    },
  ];
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
  const sourceRows = (table: Table): number | undefined => state.sourceFingerprints?.get(wholeTable(table).key)?.rows;
  if (isReplicationConfigArn(ctx.names.dmsTaskArn)) {
    const load = await runServerlessFullLoad({ ...ctx, dms: ctx.dms!, replicationConfigArn: ctx.names.dmsTaskArn, deadline, sourceRows });
    state.dmsLoaded = load.loaded;
    return load.checks;
  }
  const task = await describeTask(ctx, deadline);
  const cdc = task.MigrationType === 'full-load-and-cdc';
  let startType: string | undefined;
  if (task.Status === 'ready') startType = 'start-replication';
  else if (task.Status === 'stopped' || task.Status === 'failed') startType = cdc ? 'resume-processing' : 'reload-target';
  state.dmsLoaded = startType === 'start-replication' || startType === 'reload-target';
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
  checks.push(...tableStatisticsChecks(ctx.tables, statistics, sourceRows));
  // No DMS validation state is expected: DMS validates an S3 target by running Athena queries through Glue objects
  // it creates, which needs permissions, grants and network paths this platform does not give it; the reconcile
  // step compares every table with the source instead.
  return checks;
}

/** An execution's end as the report names it: its status, then Step Functions' error and cause, when it has them. */
function executionEnd(execution: DescribeExecutionOutput): string {
  const reason = [execution.error, execution.cause].filter(Boolean).join(': ');
  return `${execution.status?.toLowerCase() ?? 'ended'}: ${reason || 'no reason given'}`;
}

/**
 * Starts the merge state machine and waits for its execution to end: with `{"rebuild": true}` when the DMS step has
 * just (re)loaded the change log, which only a rebuild applies, otherwise `{}`, the scheduled incremental merge. A
 * run that fails, times out or is aborted stops the smoke run with Step Functions' error and cause. A scheduled merge
 * running at the same time is harmless: the merge is idempotent, and Athena retries a lost Iceberg commit race.
 */
async function mergeStep(ctx: SmokeContext, state: StepState): Promise<Check[]> {
  if (!ctx.sfn) throw new StepFailed('no Step Functions client to start the merge');
  const started = ctx.clock.now();
  const deadline = ctx.deadline.within(ctx.waits?.merge ?? 30 * 60_000);
  const rebuild = state.dmsLoaded === true;
  deadline.check('starting the merge');
  const { executionArn } = await ctx.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: ctx.names.mergeStateMachineArn,
      // Execution names are unique per state machine (90 days); this one says who started it.
      name: `smoke-${(ctx.newId ?? randomUUID)()}`,
      input: JSON.stringify(rebuild ? REBUILD_INPUT : {}),
    }),
  );
  const ended = await pollUntil(
    async () => {
      const execution = await ctx.sfn!.send(new DescribeExecutionCommand({ executionArn }));
      return execution.status === 'RUNNING' ? undefined : execution;
    },
    pollOptions(
      ctx,
      deadline,
      `waiting for the merge execution ${executionArn ?? ''} (it goes on running; the schedule's next merge follows it)`,
    ),
  );
  if (ended.status !== 'SUCCEEDED') throw new StepFailed(`merge execution ${executionEnd(ended)}`);
  return [
    {
      step: 'merge',
      check: 'execution',
      expected: 'SUCCEEDED',
      actual: `SUCCEEDED (${rebuild ? 'rebuilt from the whole change log' : 'incremental'})`,
      pass: true,
      seconds: seconds(ctx.clock, started),
    },
  ];
}

async function allGlueTables(ctx: SmokeContext, database: string, deadline: Deadline): Promise<GlueTable[]> {
  const pages = paginateGetTables({ client: ctx.glue! }, { DatabaseName: database });
  return collectAll(pages, (page) => page.TableList, deadline, `reading the Glue catalog ${database}`);
}

/** A crawler's name as AWS calls it, and the contract table it crawls (its label in the report). */
interface CrawlerRun {
  readonly table: string;
  readonly name: string;
  /** Seen not READY since it was started: READY again means its crawl ended. */
  sawRunning: boolean;
  ended?: Crawler['LastCrawl'];
  seconds?: number;
}

/** Clock difference between this machine and AWS that a crawl's start time may show. */
const CLOCK_SKEW_MS = 30_000;

/** READY with a last crawl that began after we started it: a crawl that ended between two polls. */
function crawledSince(lastCrawl: Crawler['LastCrawl'], startedMs: number): boolean {
  const startTime = lastCrawl?.StartTime;
  return startTime !== undefined && startTime.getTime() >= startedMs - CLOCK_SKEW_MS;
}

/**
 * Starts every crawler (joining a crawl already running), then waits for all of them under one deadline, polling
 * them together; one check per crawler. A crawl that fails or is cancelled stops the step with Glue's reason, after
 * all have ended, naming each.
 */
async function crawlAll(ctx: SmokeContext, deadline: Deadline): Promise<Check[]> {
  const started = ctx.clock.now();
  const runs: CrawlerRun[] = Object.entries(ctx.names.crawlerNames).map(([table, name]) => ({ table, name, sawRunning: false }));
  if (runs.length === 0) throw new StepFailed('no crawler names (the glue_crawler_names output is empty)');
  for (const run of runs) {
    deadline.check('starting the crawlers');
    try {
      await ctx.glue!.send(new StartCrawlerCommand({ Name: run.name }));
    } catch (error) {
      if ((error as Error).name !== 'CrawlerRunningException') throw error;
      run.sawRunning = true;
    }
  }
  await pollUntil(
    async () => {
      const pending = runs.filter((run) => run.ended === undefined);
      // BatchGetCrawlers takes up to 100 names (https://docs.aws.amazon.com/glue/latest/webapi/API_BatchGetCrawlers.html).
      const { Crawlers, CrawlersNotFound } = await ctx.glue!.send(
        new BatchGetCrawlersCommand({ CrawlerNames: pending.map((r) => r.name) }),
      );
      if (CrawlersNotFound?.length) throw new StepFailed(`no such crawler: ${CrawlersNotFound.join(', ')}`);
      for (const run of pending) {
        const crawler = Crawlers?.find((c) => c.Name === run.name);
        if (crawler?.State !== 'READY') run.sawRunning = true;
        else if (run.sawRunning || crawledSince(crawler.LastCrawl, started))
          [run.ended, run.seconds] = [crawler.LastCrawl ?? {}, seconds(ctx.clock, started)];
      }
      return runs.every((run) => run.ended !== undefined) ? true : undefined;
    },
    pollOptions(ctx, deadline, `waiting for the crawlers (${runs.length})`),
  );
  const failed = runs.filter((run) => run.ended?.Status !== 'SUCCEEDED');
  if (failed.length > 0) {
    throw new StepFailed(
      failed
        .map((run) => `crawler ${run.name} ${run.ended?.Status?.toLowerCase() ?? 'ended'}: ${run.ended?.ErrorMessage ?? 'no reason given'}`)
        .join('; '),
    );
  }
  return runs.map((run) => ({
    step: 'glue',
    check: `crawl ${run.table}`,
    expected: 'SUCCEEDED',
    actual: `SUCCEEDED (${run.name})`,
    pass: true,
    seconds: run.seconds ?? 0,
  }));
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
    checks.push(...(await crawlAll(ctx, deadline)));
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
 * Waits until the probe row is queryable in its current-state table, as the smoke runner reads it in Athena, and
 * reports how long it took from the INSERT: DMS's change batch, the next merge and the query. Past the freshness
 * target the check fails with the time it waited; the run goes on (the reconciliation still tells whether the data
 * is right, if late). The run's own deadline still stops it.
 */
async function freshnessStep(ctx: SmokeContext, state: StepState): Promise<Check[]> {
  const probe = state.probe;
  if (!probe) throw new StepFailed('freshness needs the probe step');
  const table = probeTableOf(ctx);
  // Every reader granted the probe's id: the smoke runner in Athena and Redshift, each as the identity it runs as.
  const readers = ctx.readers.filter((r) => projection(r.persona, table).columns.some((c) => c.name === SMOKE_PROBE_COLUMNS.id));
  if (!readers.some((r) => r.persona === 'smoke-runner'))
    throw new StepFailed('freshness reads as the smoke runner, and there is no smoke-runner reader');
  const target = ctx.waits?.freshness ?? DEFAULT_FRESHNESS_TARGET_MINUTES * 60_000;
  const checks: Check[] = [];
  for (const reader of readers) checks.push(await probeVisible(ctx, probe, table, reader, target));
  return checks;
}

/** Waits until the probe row is visible to one reader, and reports the time from its INSERT. */
async function probeVisible(
  ctx: SmokeContext,
  probe: NonNullable<StepState['probe']>,
  table: Table,
  reader: LakeReader,
  target: number,
): Promise<Check> {
  const deadline = ctx.deadline.within(Math.max(0, probe.writtenAt + target - ctx.clock.now()));
  const { engine } = reader;
  const d = engine.dialect;
  const sql = `SELECT count(*) AS visible FROM ${d.table(table.name)} WHERE ${d.identifier(SMOKE_PROBE_COLUMNS.id)} = '${probe.id}'`;
  const waitingFor = `waiting for the probe row in the current tables (${engine.name} as ${reader.persona})`;
  const check = {
    step: 'freshness' as const,
    check: `probe row in ${table.name} (${engine.name} as ${reader.persona})`,
    expected: `queryable within ${target / 1000} s of the INSERT`,
  };
  const visible = async (within: Deadline): Promise<true | undefined> => {
    const [row] = await engine.query(sql, within);
    return Number(row?.visible ?? 0) > 0 ? true : undefined;
  };
  try {
    // One query in any case, so that a reader asked after an earlier one used up the target still reports its figure.
    if (!(await visible(ctx.deadline))) await pollUntil(() => visible(deadline), pollOptions(ctx, deadline, waitingFor));
  } catch (error) {
    if (!(error instanceof DeadlineExceeded)) throw error;
    // The run's deadline: the run stops, naming this wait whether it ran out between polls or inside a query.
    if (ctx.deadline.remaining() <= 0) throw new DeadlineExceeded(`deadline exceeded while ${waitingFor}`);
    // The target passed: a failed check with the figure measured.
    const waited = seconds(ctx.clock, probe.writtenAt);
    return { ...check, actual: `not queryable after ${waited} s`, pass: false, seconds: waited };
  }
  const latency = seconds(ctx.clock, probe.writtenAt);
  return { ...check, actual: `queryable after ${latency} s`, pass: latency * 1000 <= target, seconds: latency };
}

/**
 * Row counts and checksums of every reconciled table (all but the probe) as every reader sees it, all queries
 * concurrently (bounded): each reader checksums the columns its persona may read, against the same projection of the
 * source snapshot.
 */
async function reconcileStep(ctx: SmokeContext, state: StepState): Promise<Check[]> {
  const source = state.sourceFingerprints;
  if (!source) throw new StepFailed('reconcile needs the source step');
  // A table a persona may read nothing of has nothing to reconcile; the governance step shows it is refused.
  const jobs = ctx.readers.flatMap((reader) =>
    reconciledTables(ctx)
      .filter((table) => projection(reader.persona, table).columns.length > 0)
      .map((table) => ({ reader, table })),
  );
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
 * the columns the persona may read must succeed. A table the persona may read nothing of (the probe) has no grant
 * at all: a query of it must be refused.
 */
async function governanceStep(ctx: SmokeContext): Promise<Check[]> {
  const jobs = ctx.readers
    .filter((reader) => GOVERNED_PERSONAS.includes(reader.persona))
    .flatMap((reader) => ctx.tables.map((table) => ({ reader, table })));
  const results = await mapConcurrent(jobs, ctx.concurrency ?? 4, async ({ reader, table }) => {
    const d = reader.engine.dialect;
    const who = `${reader.engine.name} as ${reader.persona}`;
    const allowed = projection(reader.persona, table).columns.map((c) => d.identifier(c.name));
    if (allowed.length === 0) {
      const started = ctx.clock.now();
      const refusal = await refusalOf(ctx, reader, `SELECT count(*) AS n FROM ${d.table(table.name)}`);
      return [
        {
          step: 'governance' as const,
          check: `${who} ${table.name} hidden`,
          expected: 'refused (no grant)',
          actual: refusal ? `refused: ${refusal}` : 'query of an ungranted table unexpectedly allowed',
          pass: refusal !== undefined,
          seconds: seconds(ctx.clock, started),
        },
      ];
    }
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
    probe: () => probeStep(ctx, state),
    dms: () => dmsStep(ctx, state),
    merge: () => mergeStep(ctx, state),
    glue: () => glueStep(ctx),
    'redshift-schema': () => redshiftSchemaStep(ctx),
    freshness: () => freshnessStep(ctx, state),
    reconcile: () => reconcileStep(ctx, state),
    governance: () => governanceStep(ctx),
  };
  const chosen = STEPS.filter((s) => steps.includes(s));
  let sourceReleased = false;
  for (const [index, step] of chosen.entries()) {
    const stepStarted = ctx.clock.now();
    try {
      if (!sourceReleased && !chosen.slice(index).some((s) => SOURCE_STEPS.includes(s))) {
        sourceReleased = true;
        await ctx.releaseSource?.();
      }
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
