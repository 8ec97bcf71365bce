import {
  DatabaseMigrationServiceClient,
  DescribeReplicationTasksCommand,
  ReplicationTask,
  StartReplicationTaskCommand,
  TableStatistics,
  paginateDescribeTableStatistics,
} from '@aws-sdk/client-database-migration-service';
import { GetCrawlerCommand, GlueClient, StartCrawlerCommand, Table as GlueTable, paginateGetTables } from '@aws-sdk/client-glue';
import { Table } from '../../contract/clinic';
import { glueType, grantableColumns } from '../../contract/lake';
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
  readonly glueDatabase: string;
  /** The idempotent `CREATE EXTERNAL SCHEMA` statement. */
  readonly externalSchemaSql: string;
}

/** A catalog table as the checks compare it: name and columns with Glue (Hive) types. */
export interface CatalogTable {
  readonly name: string;
  readonly columns: { readonly name: string; readonly type: string }[];
}

export interface SmokeContext {
  readonly tables: readonly Table[];
  readonly clock: Clock;
  /** Bounds the whole run (`--timeout`). */
  readonly deadline: Deadline;
  readonly names: SmokeNames;
  readonly source: SqlEngine;
  /** Engines the lake is reconciled on (Athena, Redshift, or a local stand-in). */
  readonly lakeEngines: readonly SqlEngine[];
  /** Engines that read as the governed personas (the analyst's Athena, Redshift through its role). */
  readonly governedEngines: readonly SqlEngine[];
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

interface StepState {
  sourceFingerprints?: Map<string, TableFingerprint>;
}

const seconds = (clock: Clock, since: number): number => Math.round((clock.now() - since) / 10) / 100;

function pollOptions(ctx: SmokeContext, deadline: Deadline, what: string): PollOptions {
  return { clock: ctx.clock, deadline, what, baseMs: ctx.backoff?.baseMs ?? 1000, capMs: ctx.backoff?.capMs ?? 30_000 };
}

async function sourceStep(ctx: SmokeContext, state: StepState): Promise<Check[]> {
  const fingerprints = new Map<string, TableFingerprint>();
  const checks = await mapConcurrent(ctx.tables, ctx.concurrency ?? 4, async (table) => {
    const started = ctx.clock.now();
    const [row] = await ctx.source.query(checksumSql(table, ctx.source.dialect), ctx.deadline);
    const fingerprint = fingerprintOf(row);
    fingerprints.set(table.name, fingerprint);
    return {
      step: 'source' as const,
      check: `${table.name} snapshot`,
      expected: 'readable',
      actual: `${fingerprint.rows} rows, checksum ${fingerprint.checksum}`,
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
    const source = state.sourceFingerprints?.get(table.name);
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
    checks.push({
      step: 'dms',
      check: `${table.name} validation`,
      expected: 'Validated',
      actual: stats.ValidationState ?? 'unknown',
      pass: stats.ValidationState === 'Validated',
      seconds: 0,
    });
  }
  return checks;
}

async function allGlueTables(ctx: SmokeContext, deadline: Deadline): Promise<GlueTable[]> {
  const pages = paginateGetTables({ client: ctx.glue! }, { DatabaseName: ctx.names.glueDatabase });
  return collectAll(pages, (page) => page.TableList, deadline, 'reading the Glue catalog');
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

/** The catalog must hold exactly one table per contract table, with the contract's column names and types. */
async function glueStep(ctx: SmokeContext): Promise<Check[]> {
  const deadline = ctx.deadline.within(ctx.waits?.crawler ?? 30 * 60_000);
  const checks: Check[] = [];
  let tables: CatalogTable[];
  if (ctx.glue) {
    checks.push(await crawl(ctx, deadline));
    tables = (await allGlueTables(ctx, deadline)).map((t) => ({
      name: t.Name ?? '',
      columns: (t.StorageDescriptor?.Columns ?? []).map((c) => ({ name: c.Name ?? '', type: c.Type ?? '' })),
    }));
  } else if (ctx.catalog) {
    tables = await ctx.catalog();
  } else {
    throw new StepFailed('no catalog to check (neither Glue nor a local catalog)');
  }
  const expectedNames = ctx.tables.map((t) => t.name.toLowerCase()).sort();
  const actualNames = tables.map((t) => t.name).sort();
  checks.push({
    step: 'glue',
    check: 'one table per contract table',
    expected: expectedNames.join(','),
    actual: actualNames.join(','),
    pass: expectedNames.join(',') === actualNames.join(','),
    seconds: 0,
  });
  for (const table of ctx.tables) {
    const found = tables.find((t) => t.name === table.name.toLowerCase());
    const expected = table.columns.map((c) => `${c.name.toLowerCase()}:${glueType(c.type)}`).join(',');
    const actual = found ? found.columns.map((c) => `${c.name}:${c.type}`).join(',') : 'missing';
    checks.push({ step: 'glue', check: `${table.name} columns`, expected, actual, pass: expected === actual, seconds: 0 });
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

/** Row counts and checksums of every table on every lake engine, all queries concurrently (bounded). */
async function reconcileStep(ctx: SmokeContext, state: StepState): Promise<Check[]> {
  const source = state.sourceFingerprints;
  if (!source) throw new StepFailed('reconcile needs the source step');
  const jobs = ctx.lakeEngines.flatMap((engine) => ctx.tables.map((table) => ({ engine, table })));
  const results = await mapConcurrent(jobs, ctx.concurrency ?? 4, async ({ engine, table }) => {
    const started = ctx.clock.now();
    const [row] = await engine.query(checksumSql(table, engine.dialect), ctx.deadline.within(ctx.waits?.query ?? 10 * 60_000));
    const actual = fingerprintOf(row);
    const expected = source.get(table.name)!;
    const took = seconds(ctx.clock, started);
    return [
      {
        step: 'reconcile' as const,
        check: `${engine.name} ${table.name} rows`,
        expected: String(expected.rows),
        actual: String(actual.rows),
        pass: actual.rows === expected.rows,
        seconds: took,
      },
      {
        step: 'reconcile' as const,
        check: `${engine.name} ${table.name} checksum`,
        expected: expected.checksum,
        actual: actual.checksum,
        pass: actual.checksum === expected.checksum,
        seconds: took,
      },
    ];
  });
  return results.flat();
}

/** As each governed persona: a query of a direct patient identifier must be refused, one of allowed columns must work. */
async function governanceStep(ctx: SmokeContext): Promise<Check[]> {
  const checks: Check[] = [];
  const withIdentifiers = ctx.tables.filter((t) => t.columns.some((c) => c.classification === 'direct-identifier'));
  for (const engine of ctx.governedEngines) {
    for (const table of withIdentifiers) {
      const d = engine.dialect;
      const identifier = table.columns.find((c) => c.classification === 'direct-identifier')!;
      let started = ctx.clock.now();
      let refusal: string | undefined;
      try {
        await engine.query(
          `SELECT ${d.identifier(identifier.name)} FROM ${d.table(table.name)} LIMIT 1`,
          ctx.deadline.within(ctx.waits?.query ?? 10 * 60_000),
        );
      } catch (error) {
        if (!(error instanceof QueryFailed)) throw error;
        refusal = error.reason;
      }
      checks.push({
        step: 'governance',
        check: `${engine.name} ${table.name}.${identifier.name} hidden`,
        expected: 'refused',
        actual: refusal ? `refused: ${refusal}` : 'PHI query unexpectedly allowed',
        pass: refusal !== undefined,
        seconds: seconds(ctx.clock, started),
      });
      started = ctx.clock.now();
      const allowed = grantableColumns(table)
        .map((c) => d.identifier(c.name))
        .join(', ');
      let failure: string | undefined;
      try {
        await engine.query(`SELECT ${allowed} FROM ${d.table(table.name)} LIMIT 1`, ctx.deadline.within(ctx.waits?.query ?? 10 * 60_000));
      } catch (error) {
        if (!(error instanceof QueryFailed)) throw error;
        failure = error.reason;
      }
      checks.push({
        step: 'governance',
        check: `${engine.name} ${table.name} allowed columns`,
        expected: 'readable',
        actual: failure ? `refused: ${failure}` : 'readable',
        pass: failure === undefined,
        seconds: seconds(ctx.clock, started),
      });
    }
  }
  return checks;
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
