import { mockClient } from 'aws-sdk-client-mock';
import {
  DatabaseMigrationServiceClient,
  DescribeReplicationTableStatisticsCommand,
  DescribeReplicationsCommand,
  Replication,
  StartReplicationCommand,
} from '@aws-sdk/client-database-migration-service';
import { CLINIC_TABLES } from '../../../contract/clinic';
import { isReplicationConfigArn, runServerlessFullLoad, startTypeFor } from '../../../scripts/smoke/dms-replication';
import { Deadline } from '../../../scripts/smoke/waiting';
import { VirtualClock } from '../../helpers/smoke';

const ARN = 'arn:aws:dms:us-east-1:111111111111:replication-config:ABCDEFGHIJKLMNOPQRSTU';
const ROWS: Record<string, number> = Object.fromEntries(CLINIC_TABLES.map((t, i) => [t.name, 10 * (i + 1)]));

/** A replication as DescribeReplications returns it. */
const replication = (status: string, extra: Partial<Replication> = {}): Replication => ({
  ReplicationConfigIdentifier: 'unicornhealth-dev-dms-to-raw',
  ReplicationConfigArn: ARN,
  ReplicationType: 'full-load',
  Status: status,
  ...extra,
});

interface Scenario {
  /** The replication's statuses, one per DescribeReplications after the first; the last repeats. */
  readonly before?: Replication;
  readonly after?: (clock: VirtualClock) => Replication[];
  readonly rows?: Record<string, number>;
  readonly missing?: string;
}

function setUp(scenario: Scenario = {}) {
  const clock = new VirtualClock();
  const dms = mockClient(DatabaseMigrationServiceClient);
  const before = scenario.before ?? replication('created');
  const after = scenario.after?.(clock) ?? [
    replication('initializing'),
    replication('calculating_capacity'),
    replication('provisioning_capacity', { ProvisionData: { ProvisionState: 'provisioning', ProvisionedCapacityUnits: 1 } }),
    replication('running', { ReplicationStats: { FullLoadProgressPercent: 40 } }),
  ];
  let calls = 0;
  dms.on(StartReplicationCommand).resolves({ Replication: replication('initializing') });
  // The first call is the step's look before it starts anything; the others are its polls.
  dms.on(DescribeReplicationsCommand).callsFake(async () => {
    calls += 1;
    if (calls === 1) return { Replications: [before] };
    if (calls - 1 <= after.length) return { Replications: [after[calls - 2]] };
    return {
      Replications: [
        replication('stopped', {
          StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED',
          ReplicationLastStopTime: new Date(clock.now()),
          ProvisionData: { ProvisionState: 'provisioned', ProvisionedCapacityUnits: 1 },
          ReplicationStats: { FullLoadProgressPercent: 100, TablesLoaded: CLINIC_TABLES.length },
        }),
      ],
    };
  });
  dms.on(DescribeReplicationTableStatisticsCommand).callsFake(async (input) => {
    const stats = CLINIC_TABLES.filter((t) => t.name !== scenario.missing).map((t) => ({
      SchemaName: 'unicornhealth',
      TableName: t.name,
      FullLoadRows: (scenario.rows ?? ROWS)[t.name],
      TableState: 'Table completed',
    }));
    return input.Marker
      ? { ReplicationConfigArn: ARN, ReplicationTableStatistics: stats.slice(3) }
      : { ReplicationConfigArn: ARN, ReplicationTableStatistics: stats.slice(0, 3), Marker: 'page-2' };
  });
  const run = () =>
    runServerlessFullLoad({
      dms: new DatabaseMigrationServiceClient({ region: 'us-east-1' }),
      replicationConfigArn: ARN,
      tables: CLINIC_TABLES,
      clock,
      deadline: Deadline.in(clock, 60 * 60_000),
      backoff: { baseMs: 1000, capMs: 1000 },
      sourceRows: (table) => ROWS[table.name],
    });
  return { dms, clock, run };
}

describe('the DMS step on a DMS Serverless replication', () => {
  afterEach(() => mockClient(DatabaseMigrationServiceClient).restore());

  test('a replication-config ARN is told from a task ARN', () => {
    expect(isReplicationConfigArn(ARN)).toBe(true);
    expect(isReplicationConfigArn('arn:aws:dms:us-east-1:111111111111:task:ABCDEFGHIJKLMNOP')).toBe(false);
    expect(isReplicationConfigArn('')).toBe(false);
  });

  test('a replication never run is started, waited for through provisioning, and its table statistics match the source', async () => {
    const { dms, run } = setUp();
    const result = await run();
    expect(dms.commandCalls(StartReplicationCommand).map((c) => c.args[0].input)).toEqual([
      { ReplicationConfigArn: ARN, StartReplicationType: 'start-replication' },
    ]);
    expect(result.loaded).toBe(true);
    expect(result.checks.filter((c) => !c.pass)).toEqual([]);
    expect(result.checks[0]).toMatchObject({
      check: 'replication',
      expected: 'full load finished',
      actual: 'stopped (start-replication, 1 DCU)',
    });
    const names = result.checks.map((c) => c.check);
    for (const table of CLINIC_TABLES) {
      expect(names).toContain(`${table.name} full-load rows`);
      expect(names).toContain(`${table.name} table state`);
    }
    // Both pages of the statistics were read (the paginator follows the Marker).
    expect(dms.commandCalls(DescribeReplicationTableStatisticsCommand)).toHaveLength(2);
    expect(result.checks.filter((c) => c.check.endsWith('table state'))).toHaveLength(CLINIC_TABLES.length);
  });

  test.each([
    ['a finished full load', replication('stopped', { StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED' }), 'reload-target'],
    ['a failed full load', replication('failed'), 'reload-target'],
    ['stopped change capture', replication('stopped', { ReplicationType: 'full-load-and-cdc' }), 'resume-processing'],
    ['a replication on its way', replication('provisioning_capacity'), undefined],
    ['a running replication', replication('running'), undefined],
    ['no replication yet', undefined, 'start-replication'],
  ] as const)('%s: %s', (_name, before, startType) => {
    expect(startTypeFor(before)).toBe(startType);
  });

  test('a deleting replication is neither started nor joined', () => {
    expect(() => startTypeFor(replication('deleting'))).toThrow(/is deleting: nothing to start or join/);
  });

  test('a finished load is reloaded, and the run waits for the stop of this load, not the previous one', async () => {
    const previousStop = new Date(0);
    const { dms, run } = setUp({
      before: replication('stopped', { StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED', ReplicationLastStopTime: previousStop }),
      after: () => [
        replication('stopped', { StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED', ReplicationLastStopTime: previousStop }),
        replication('running'),
      ],
    });
    const result = await run();
    expect(dms.commandCalls(StartReplicationCommand)[0].args[0].input.StartReplicationType).toBe('reload-target');
    expect(dms.commandCalls(DescribeReplicationsCommand).length).toBeGreaterThanOrEqual(4);
    expect(result.checks[0].actual).toMatch(/^stopped \(reload-target/);
  });

  test('a running replication is joined without a start', async () => {
    const { dms, run } = setUp({ before: replication('running'), after: () => [] });
    const result = await run();
    expect(dms.commandCalls(StartReplicationCommand)).toHaveLength(0);
    expect(result.loaded).toBe(false);
    expect(result.checks[0].actual).toMatch(/already running/);
  });

  test('a failed replication stops the step with DMS’s own messages', async () => {
    const { run } = setUp({
      after: () => [
        replication('testing_connection'),
        replication('failed', {
          FailureMessages: ['Test connection failed for endpoint unicornhealth-dev-dms-mysql-source'],
          StopReason: 'Stop Reason FATAL_ERROR',
        }),
      ],
    });
    await expect(run()).rejects.toThrow(
      'DMS Serverless replication failed: Test connection failed for endpoint unicornhealth-dev-dms-mysql-source; Stop Reason FATAL_ERROR',
    );
  });

  test('a replication that stops for another reason than a finished full load fails the step', async () => {
    const { run } = setUp({
      after: (clock) => [
        replication('stopped', { StopReason: 'Stop Reason STOPPED_DUE_TO_LOW_MEMORY', ReplicationLastStopTime: new Date(clock.now() + 1) }),
      ],
    });
    await expect(run()).rejects.toThrow(/stopped: Stop Reason STOPPED_DUE_TO_LOW_MEMORY/);
  });

  test('a row count that differs from the source, and a table DMS did not load, are failed checks', async () => {
    const first = CLINIC_TABLES[0].name;
    const { run } = setUp({ rows: { ...ROWS, [first]: ROWS[first] - 1 }, missing: CLINIC_TABLES[1].name });
    const failed = (await run()).checks.filter((c) => !c.pass).map((c) => `${c.check}: ${c.expected} / ${c.actual}`);
    expect(failed).toEqual([
      `${first} full-load rows: ${ROWS[first]} / ${ROWS[first] - 1}`,
      `${CLINIC_TABLES[1].name} statistics: present / missing`,
    ]);
  });

  test('a replication that never finishes runs into the deadline', async () => {
    const { run } = setUp({ after: () => Array.from({ length: 100_000 }, () => replication('running')) });
    await expect(run()).rejects.toThrow(/waiting for the DMS Serverless full load/);
  });
});
