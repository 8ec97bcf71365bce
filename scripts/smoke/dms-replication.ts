import {
  DatabaseMigrationServiceClient,
  DescribeReplicationsCommand,
  Replication,
  StartReplicationCommand,
  TableStatistics,
  paginateDescribeReplicationTableStatistics,
} from '@aws-sdk/client-database-migration-service';
import { Table } from '../../contract/clinic';
import { Clock, Deadline, collectAll, pollUntil } from './waiting';

/*
 * The smoke run's DMS step for a DMS Serverless replication (`migration.capacity.kind` 'serverless'): the same checks
 * as for a replication task, through the serverless API (StartReplication, DescribeReplications,
 * DescribeReplicationTableStatistics).
 */

/** A DMS Serverless replication configuration's ARN (`arn:aws:dms:<region>:<account>:replication-config:<id>`), not a task's. */
export function isReplicationConfigArn(arn: string): boolean {
  return /^arn:aws[a-z-]*:dms:[^:]*:[0-9]*:replication-config:/.test(arn);
}

/** The replication failed, or stopped for another reason than a finished full load: the run stops with DMS's reason. */
export class ReplicationFailed extends Error {
  override name = 'ReplicationFailed';
}

/**
 * Statuses of a serverless replication on its way to running: DMS connects to the source, sizes and provisions capacity
 * (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Serverless.Components.html; the values as the API returns
 * them, hashicorp/terraform-provider-aws internal/service/dms/consts.go).
 */
const STARTING = new Set([
  'ready',
  'initializing',
  'preparing_metadata_resources',
  'testing_connection',
  'fetching_metadata',
  'calculating_capacity',
  'provisioning_capacity',
  'replication_starting',
  'running',
  'stopping',
]);

export interface ServerlessLoadContext {
  readonly dms: DatabaseMigrationServiceClient;
  readonly replicationConfigArn: string;
  readonly tables: readonly Table[];
  readonly clock: Clock;
  /** Bounds the step. */
  readonly deadline: Deadline;
  readonly backoff?: { readonly baseMs?: number; readonly capMs?: number };
  /** The source's row count of a table, when the source step read it. */
  readonly sourceRows: (table: Table) => number | undefined;
}

/** A check of the DMS step, in the smoke report's shape. */
export interface DmsCheck {
  readonly step: 'dms';
  readonly check: string;
  readonly expected: string;
  readonly actual: string;
  readonly pass: boolean;
  readonly seconds: number;
}

export interface ServerlessLoad {
  readonly checks: DmsCheck[];
  /** Whether this run loaded the tables again (a start or a reload), rather than joining a running replication. */
  readonly loaded: boolean;
}

/**
 * DMS's statistics of each table against the source: present, in state `Table completed`, and with as many full-load
 * rows as the source has (when the source step counted them). A replication task and a serverless replication report
 * the same `TableStatistics`, so both DMS steps check them here.
 */
export function tableStatisticsChecks(
  tables: readonly Table[],
  statistics: readonly TableStatistics[],
  sourceRows: (table: Table) => number | undefined,
): DmsCheck[] {
  const checks: DmsCheck[] = [];
  for (const table of tables) {
    const stats = statistics.find((s) => s.TableName === table.name);
    if (!stats) {
      checks.push({ step: 'dms', check: `${table.name} statistics`, expected: 'present', actual: 'missing', pass: false, seconds: 0 });
      continue;
    }
    const rows = sourceRows(table);
    if (rows !== undefined) {
      checks.push({
        step: 'dms',
        check: `${table.name} full-load rows`,
        expected: String(rows),
        actual: String(stats.FullLoadRows ?? 0),
        pass: stats.FullLoadRows === rows,
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
  return checks;
}

async function describeReplication(ctx: ServerlessLoadContext): Promise<Replication | undefined> {
  ctx.deadline.check('describing the DMS Serverless replication');
  const { Replications } = await ctx.dms.send(
    new DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-arn', Values: [ctx.replicationConfigArn] }] }),
  );
  return Replications?.[0];
}

const reasonOf = (replication: Replication): string =>
  [...(replication.FailureMessages ?? []), replication.StopReason].filter(Boolean).join('; ') || 'no reason given';

/**
 * How to start the replication from its state: never run (`created`, or no replication yet) is a first start; a full
 * load that stopped or failed is loaded again (`reload-target`; `resume-processing` does not apply to a full load);
 * change capture resumes; a replication on its way or running is joined.
 */
export function startTypeFor(replication: Replication | undefined): string | undefined {
  const status = replication?.Status ?? 'created';
  if (status === 'created') return 'start-replication';
  if (status === 'stopped' || status === 'failed')
    return replication?.ReplicationType === 'full-load' ? 'reload-target' : 'resume-processing';
  if (STARTING.has(status)) return undefined;
  throw new ReplicationFailed(
    `DMS Serverless replication ${replication?.ReplicationConfigArn ?? ''} is ${status}: nothing to start or join`,
  );
}

/**
 * Starts (or reloads, or joins) the serverless replication, waits for the full load to finish, then compares DMS's
 * table statistics with the source snapshot. DMS keeps the statistics while the replication stays provisioned
 * (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Serverless.Limitations.html: deprovisioning loses them), so
 * they are read right after the load.
 */
export async function runServerlessFullLoad(ctx: ServerlessLoadContext): Promise<ServerlessLoad> {
  const started = ctx.clock.now();
  const seconds = (): number => Math.round((ctx.clock.now() - started) / 10) / 100;
  const before = await describeReplication(ctx);
  const cdc = before?.ReplicationType === 'full-load-and-cdc';
  const startType = startTypeFor(before);
  const runStartedAt = ctx.clock.now();
  if (startType) {
    await ctx.dms.send(new StartReplicationCommand({ ReplicationConfigArn: ctx.replicationConfigArn, StartReplicationType: startType }));
  }
  const finished = await pollUntil(
    async () => {
      const current = await describeReplication(ctx);
      if (!current) return undefined;
      if (current.Status === 'failed') throw new ReplicationFailed(`DMS Serverless replication failed: ${reasonOf(current)}`);
      const stoppedAt = (current.ReplicationLastStopTime ?? current.ReplicationStats?.StopDate)?.getTime() ?? 0;
      if (!cdc && current.Status === 'stopped' && (!startType || stoppedAt >= runStartedAt)) {
        if (!/FULL_LOAD_ONLY_FINISHED/.test(current.StopReason ?? ''))
          throw new ReplicationFailed(`DMS Serverless replication stopped: ${reasonOf(current)}`);
        return current;
      }
      if (cdc && current.Status === 'running' && current.ReplicationStats?.FullLoadProgressPercent === 100) return current;
      return undefined;
    },
    {
      clock: ctx.clock,
      deadline: ctx.deadline,
      what: 'waiting for the DMS Serverless full load',
      baseMs: ctx.backoff?.baseMs ?? 1000,
      capMs: ctx.backoff?.capMs ?? 30_000,
    },
  );

  const capacity = finished.ProvisionData?.ProvisionedCapacityUnits;
  const checks: DmsCheck[] = [
    {
      step: 'dms',
      check: 'replication',
      expected: cdc ? 'running, full load 100%' : 'full load finished',
      actual: `${finished.Status} (${startType ?? 'already running'}${capacity ? `, ${capacity} DCU` : ''})`,
      pass: true,
      seconds: seconds(),
    },
  ];
  const pages = paginateDescribeReplicationTableStatistics({ client: ctx.dms }, { ReplicationConfigArn: ctx.replicationConfigArn });
  const statistics: TableStatistics[] = await collectAll(
    pages,
    (page) => page.ReplicationTableStatistics,
    ctx.deadline,
    'reading DMS Serverless table statistics',
  );
  checks.push(...tableStatisticsChecks(ctx.tables, statistics, ctx.sourceRows));
  return { checks, loaded: startType === 'start-replication' || startType === 'reload-target' };
}
