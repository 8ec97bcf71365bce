import { Readable } from 'node:stream';
import { StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { StartReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { BatchGetCrawlersCommand, GetTablesCommand, StartCrawlerCommand } from '@aws-sdk/client-glue';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CLINIC_TABLES, SMOKE_PROBE_TABLE, isSeeded } from '../../../contract/clinic';
import { clientSettings } from '../../../scripts/aws/clients';
import { STEPS, runSmoke } from '../../../scripts/smoke/steps';
import {
  CHANGE_LOG_DATABASE,
  CRAWLER_NAMES,
  GLUE_DATABASE,
  LAKE_FORMATION_REFUSES_IDENTIFIERS,
  MERGE_STATE_MACHINE_ARN,
  SOURCE,
  SourceLog,
  VirtualClock,
  smokeContext,
} from '../../helpers/smoke';

const failed = (result: Awaited<ReturnType<typeof runSmoke>>) =>
  result.checks.filter((c) => !c.pass).map((c) => `${c.step} ${c.check}: ${c.actual}`);

type Calls = { commandCalls: (c: unknown) => { args: [{ input: Record<string, unknown> }] }[]; calls: () => unknown[] };
const callsOf = (mock: unknown, command: unknown) => (mock as Calls).commandCalls(command).map((call) => call.args[0].input);

const clinicTables = CLINIC_TABLES.filter(isSeeded);

describe('smoke run on mocked AWS', () => {
  test('the happy path passes every check on Athena and Redshift, and says what it did', async () => {
    const { ctx, mocks } = smokeContext();
    const result = await runSmoke(ctx);
    expect(failed(result)).toEqual([]);
    expect(result.ok).toBe(true);
    expect([...new Set(result.checks.map((c) => c.step))]).toEqual([...STEPS]);
    const checks = result.checks.map((c) => `${c.step}/${c.check}`);
    for (const table of clinicTables) {
      expect(checks).toContain(`reconcile/athena as smoke-runner ${table.name} checksum`);
      expect(checks).toContain(`reconcile/athena as analyst ${table.name} checksum`);
      expect(checks).toContain(`reconcile/redshift as redshift ${table.name} rows`);
      expect(checks).toContain(`dms/${table.name} full-load rows`);
    }
    for (const table of CLINIC_TABLES) {
      expect(checks).toContain(`glue/crawl ${table.name}`);
      expect(checks).toContain(`glue/${table.name} columns`);
      expect(checks).toContain(`glue/${table.name} change-log columns`);
    }
    for (const identifier of ['first_name', 'dob', 'zip']) {
      expect(checks).toContain(`governance/athena as analyst patient.${identifier} hidden`);
      expect(checks).toContain(`governance/redshift as redshift patient.${identifier} hidden`);
    }
    expect(checks).not.toContain('governance/athena as smoke-runner patient.first_name hidden');
    expect(checks).toContain('redshift-schema/external schema');
    expect(checks).toContain(`probe/${SMOKE_PROBE_TABLE} row`);
    expect(checks).toContain('merge/execution');
    expect(checks).toContain(`freshness/probe row in ${SMOKE_PROBE_TABLE} (athena as smoke-runner)`);
    expect(callsOf(mocks.dmsMock, StartReplicationTaskCommand)[0].StartReplicationTaskType).toBe('start-replication');
  });

  test('the probe table is never reconciled with the snapshot; analysts are refused it, Redshift reads it', async () => {
    const { ctx } = smokeContext();
    const result = await runSmoke(ctx);
    const checks = result.checks.map((c) => `${c.step}/${c.check}`);
    expect(checks.filter((c) => /^(source|reconcile)\/.*smoke_probe/.test(c))).toEqual([]);
    expect(result.checks.find((c) => c.check === `athena as analyst ${SMOKE_PROBE_TABLE} hidden`)).toMatchObject({
      pass: true,
      actual: expect.stringMatching(/^refused: FAILED: TABLE_NOT_FOUND/),
    });
    expect(checks).not.toContain(`governance/redshift as redshift ${SMOKE_PROBE_TABLE} hidden`);
    expect(checks).not.toContain(`governance/athena as analyst ${SMOKE_PROBE_TABLE} allowed columns`);
    expect(checks).toContain(`freshness/probe row in ${SMOKE_PROBE_TABLE} (redshift as redshift)`);
  });

  test.each([
    [
      'a count mismatch in Athena',
      {
        athena: {
          ...LAKE_FORMATION_REFUSES_IDENTIFIERS,
          fingerprints: { ...SOURCE, patient: [499, SOURCE.patient[1], SOURCE.patient[2]] as [number, number, number] },
        },
      },
      /reconcile athena as smoke-runner patient rows: 499/,
    ],
    [
      'a checksum mismatch in Redshift',
      {
        redshift: { ...LAKE_FORMATION_REFUSES_IDENTIFIERS, fingerprints: { ...SOURCE, account: [250, 1, 2] as [number, number, number] } },
      },
      /reconcile redshift as redshift account checksum: 1-2/,
    ],
    [
      'a current table missing from the catalog',
      { glue: { tables: (db: string) => CLINIC_TABLES.map((t) => t.name).filter((n) => db !== GLUE_DATABASE || n !== 'encounter') } },
      /glue one table per contract table in unicornhealth_dev: account,appointment,employee,insurance,patient,smoke_probe\nglue encounter columns: missing/,
    ],
    [
      'a change-log table missing from the change-log database',
      { glue: { tables: (db: string) => CLINIC_TABLES.map((t) => t.name).filter((n) => db !== CHANGE_LOG_DATABASE || n !== 'account') } },
      /glue account change-log columns: missing/,
    ],
    [
      'a current table without the last change sequence (a plain table, not the merge target)',
      {
        glue: {
          columnsOf: (t: string, db: string) =>
            db === GLUE_DATABASE && t === 'insurance'
              ? [
                  { Name: 'insid', Type: 'string' },
                  { Name: 'plan', Type: 'string' },
                ]
              : undefined,
        },
      },
      /glue insurance columns: insid:string,plan:string$/m,
    ],
    [
      'a change-log table without the DMS columns (the current table in the wrong database)',
      {
        glue: {
          columnsOf: (t: string, db: string) =>
            db === CHANGE_LOG_DATABASE && t === 'insurance'
              ? [
                  { Name: 'insid', Type: 'string' },
                  { Name: 'plan', Type: 'string' },
                  { Name: 'last_change_seq', Type: 'string' },
                ]
              : undefined,
        },
      },
      /glue insurance change-log columns: insid:string,plan:string,last_change_seq:string/,
    ],
    [
      'col0 columns from a headerless crawl',
      {
        glue: {
          columnsOf: (t: string) => CLINIC_TABLES.find((x) => x.name === t)!.columns.map((_, i) => ({ Name: `col${i}`, Type: 'string' })),
        },
      },
      /glue insurance columns: col0:string,col1:string/,
    ],
    ['a DMS count that differs from the source', { dms: { fullLoadRows: { patient: 498 } } }, /dms patient full-load rows: 498/],
    [
      'a PHI query unexpectedly allowed',
      { athena: {} },
      /governance athena as analyst patient\.first_name hidden: PHI query unexpectedly allowed/,
    ],
    [
      'an analyst allowed to read the probe table',
      { athena: { failures: LAKE_FORMATION_REFUSES_IDENTIFIERS.failures!.filter(([pattern]) => !/smoke_probe/.test(pattern.source)) } },
      /governance athena as analyst smoke_probe hidden: query of an ungranted table unexpectedly allowed/,
    ],
  ])('%s fails the run with that check', async (_case, options, message) => {
    const { ctx } = smokeContext(options);
    const result = await runSmoke(ctx);
    expect(result.ok).toBe(false);
    expect(failed(result).join('\n')).toMatch(message);
  });

  test.each([
    [
      'a crawler failed',
      { glue: { crawlFails: { patient: 'Insufficient Lake Formation permission(s) on raw' } } },
      'glue',
      /^crawler unicornhealth-dev-raw-patient failed: Insufficient Lake Formation permission\(s\) on raw$/,
    ],
    [
      'two crawlers failed',
      { glue: { crawlFails: { patient: 'Insufficient Lake Formation permission(s)', account: 'Internal Service Exception' } } },
      'glue',
      /crawler unicornhealth-dev-raw-patient failed: .*; crawler unicornhealth-dev-raw-account failed: Internal Service Exception/,
    ],
    [
      'the DMS task failed',
      { dms: { failWith: 'Last Error Cannot connect to the source endpoint' } },
      'dms',
      /DMS task failed: Last Error Cannot connect/,
    ],
    [
      'the merge execution failed on change-log problems',
      {
        sfn: {
          status: 'FAILED' as const,
          error: 'ChangeLogProblems',
          cause: 'The change log of these tables has rows the merge cannot apply: [{"table":"patient","merged":false}]',
        },
      },
      'merge',
      /^merge execution failed: ChangeLogProblems: The change log of these tables has rows the merge cannot apply: \[\{"table":"patient"/,
    ],
    [
      'the merge execution failed in Athena',
      {
        sfn: {
          status: 'FAILED' as const,
          error: 'Athena.AmazonAthenaException',
          cause: 'Insufficient permissions to execute the query. Insufficient Lake Formation permission(s) on patient',
        },
      },
      'merge',
      /^merge execution failed: Athena\.AmazonAthenaException: Insufficient permissions/,
    ],
    ['the merge execution timed out', { sfn: { status: 'TIMED_OUT' as const } }, 'merge', /^merge execution timed_out: no reason given$/],
    [
      'the merge execution was aborted',
      { sfn: { status: 'ABORTED' as const, error: 'States.Aborted', cause: 'stopped by an operator' } },
      'merge',
      /^merge execution aborted: States\.Aborted: stopped by an operator$/,
    ],
    [
      'a reconciliation query failed',
      { athena: { failures: [[/row_count/, 'HIVE_BAD_DATA: Field account_balance type INT64 incompatible']] as [RegExp, string][] } },
      'reconcile',
      /athena query failed: FAILED: HIVE_BAD_DATA/,
    ],
  ])("when %s the run stops with the service's own reason", async (_case, options, step, reason) => {
    const { ctx } = smokeContext(options);
    const result = await runSmoke(ctx);
    expect(result.ok).toBe(false);
    expect(result.stopped?.step).toBe(step);
    expect(result.stopped?.reason).toMatch(reason);
  });

  test('a wait past the deadline stops the run with DeadlineExceeded', async () => {
    const { ctx } = smokeContext({ timeoutMs: 2_000, athena: { ...LAKE_FORMATION_REFUSES_IDENTIFIERS, polls: 1_000 } });
    const result = await runSmoke(ctx, ['source', 'reconcile']);
    expect(result.ok).toBe(false);
    expect(result.stopped?.reason).toMatch(/deadline exceeded while running an Athena query/);
  });

  test('--only and --skip choose steps: reconcile without DMS, merge or Glue calls', async () => {
    const { ctx, mocks } = smokeContext();
    const result = await runSmoke(ctx, ['source', 'reconcile']);
    expect(result.ok).toBe(true);
    expect(new Set(result.checks.map((c) => c.step))).toEqual(new Set(['source', 'reconcile']));
    for (const mock of [mocks.dmsMock, mocks.sfnMock, mocks.glueMock]) expect((mock as Calls).calls()).toHaveLength(0);
  });
});

describe('the source snapshot and the probe', () => {
  test('every count and checksum is read in one consistent snapshot; the probe row is written after it ends', async () => {
    const sourceLog: SourceLog = { statements: [] };
    const { ctx } = smokeContext({ sourceLog });
    const result = await runSmoke(ctx, ['source', 'probe']);
    expect(failed(result)).toEqual([]);
    const { statements } = sourceLog;
    expect(statements[0]).toBe('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const commit = statements.indexOf('COMMIT');
    expect(statements.slice(1, commit).every((s) => s.startsWith('snapshot: SELECT COUNT(*) AS row_count'))).toBe(true);
    // The whole table and each persona's projection of every clinic table; never the probe table.
    expect(statements.slice(1, commit).some((s) => s.includes(SMOKE_PROBE_TABLE))).toBe(false);
    for (const table of clinicTables) expect(statements.slice(1, commit).some((s) => s.includes(`FROM \`${table.name}\``))).toBe(true);
    expect(statements.slice(commit + 1)).toEqual([
      "INSERT INTO `smoke_probe` (`probe_id`, `written_at`, `note`) VALUES ('00000000-0000-4000-8000-000000000001', UTC_TIMESTAMP(), 'release smoke run')",
    ]);
    expect(result.checks.find((c) => c.step === 'probe')?.actual).toBe('written, probe_id 00000000-0000-4000-8000-000000000001');
  });

  test.each([
    [
      ['source', 'probe', 'dms', 'merge'],
      ['source', 'probe', 'release', 'dms', 'merge'],
    ],
    [
      ['source', 'probe'],
      ['source', 'probe'],
    ],
    [
      ['dms', 'merge'],
      ['release', 'dms', 'merge'],
    ],
  ] as const)('steps %j release the source connection once no later step reads it: %j', async (steps, expected) => {
    const { ctx } = smokeContext();
    const order: string[] = [];
    await runSmoke({ ...ctx, releaseSource: async () => void order.push('release'), onStep: (step) => order.push(step) }, steps);
    expect(order).toEqual(expected);
  });

  test('a contract without the probe table stops the probe step, naming what is missing', async () => {
    const { ctx } = smokeContext();
    const result = await runSmoke({ ...ctx, tables: clinicTables }, ['probe']);
    expect(result.stopped).toEqual({ step: 'probe', reason: 'the contract has no smoke_probe table to write the probe row into' });
  });
});

describe('the merge step', () => {
  test('after DMS (re)loaded the change log, the merge rebuilds the current state from it', async () => {
    const { ctx, mocks } = smokeContext();
    const result = await runSmoke(ctx, ['dms', 'merge']);
    expect(failed(result)).toEqual([]);
    const [start] = callsOf(mocks.sfnMock, StartExecutionCommand);
    expect(start).toEqual({
      stateMachineArn: MERGE_STATE_MACHINE_ARN,
      name: 'smoke-00000000-0000-4000-8000-000000000001',
      input: '{"rebuild":true}',
    });
    expect(result.checks.find((c) => c.step === 'merge')?.actual).toBe('SUCCEEDED (rebuilt from the whole change log)');
  });

  test('when DMS was already capturing changes, the merge is the incremental one the schedule runs', async () => {
    const { ctx, mocks } = smokeContext({ dms: { cdcRunning: true } });
    const result = await runSmoke(ctx, ['dms', 'merge']);
    expect(failed(result)).toEqual([]);
    expect(callsOf(mocks.dmsMock, StartReplicationTaskCommand)).toEqual([]);
    expect(callsOf(mocks.sfnMock, StartExecutionCommand)[0].input).toBe('{}');
    expect(result.checks.find((c) => c.step === 'merge')?.actual).toBe('SUCCEEDED (incremental)');
  });

  test('without the DMS step, the merge does not rebuild', async () => {
    const { ctx, mocks } = smokeContext();
    expect((await runSmoke(ctx, ['merge'])).ok).toBe(true);
    expect(callsOf(mocks.sfnMock, StartExecutionCommand)[0].input).toBe('{}');
  });

  test('an execution still running at the merge deadline stops the run, and is left running', async () => {
    const { ctx, clock } = smokeContext({ sfn: { runningPolls: 1_000_000 } });
    const started = clock.now();
    const result = await runSmoke({ ...ctx, waits: { merge: 120_000 } }, ['merge']);
    expect(result.stopped?.reason).toMatch(
      /^deadline exceeded while waiting for the merge execution arn:aws:states:.*:execution:unicornhealth-dev-merge:smoke-/,
    );
    expect(clock.now() - started).toBe(120_000);
    // Polls back off, capped, with jitter: never a sleep longer than the cap.
    expect(Math.max(...clock.slept)).toBeLessThanOrEqual(1_000);
  });

  test('a throttled DescribeExecution is retried by the SDK client itself, and the step passes', async () => {
    const { ctx, mocks } = smokeContext();
    (mocks.sfnMock as { restore: () => void }).restore();
    const requests: string[] = [];
    const responses = [
      { status: 200, body: { executionArn: 'arn:aws:states:us-east-1:111111111111:execution:m:smoke-1', startDate: 1_700_000_000 } },
      { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } },
      { status: 200, body: { executionArn: 'x', stateMachineArn: MERGE_STATE_MACHINE_ARN, status: 'SUCCEEDED', startDate: 1_700_000_000 } },
    ];
    const requestHandler = {
      handle: async (request: { headers: Record<string, string> }) => {
        requests.push(request.headers['x-amz-target']);
        const next = responses.shift()!;
        return {
          response: {
            statusCode: next.status,
            reason: '',
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from(JSON.stringify(next.body))]),
          },
        };
      },
    };
    const sfn = new SFNClient({
      ...clientSettings('us-east-1', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-only-secret' }),
      requestHandler,
    });
    const result = await runSmoke({ ...ctx, sfn }, ['merge']);
    expect(failed(result)).toEqual([]);
    expect(requests).toEqual([
      'AWSStepFunctions.StartExecution',
      'AWSStepFunctions.DescribeExecution',
      'AWSStepFunctions.DescribeExecution',
    ]);
  });
});

describe('the crawlers', () => {
  test('every crawler is started, all are waited for together, and each gets its check', async () => {
    const { ctx, mocks } = smokeContext({ glue: { crawlPolls: 3 } });
    const result = await runSmoke(ctx, ['glue']);
    expect(failed(result)).toEqual([]);
    expect(callsOf(mocks.glueMock, StartCrawlerCommand).map((input) => input.Name)).toEqual(Object.values(CRAWLER_NAMES));
    const polls = callsOf(mocks.glueMock, BatchGetCrawlersCommand);
    expect(polls[0].CrawlerNames).toEqual(Object.values(CRAWLER_NAMES));
    // RUNNING three polls, STOPPING one, READY: five polls of all seven, not five of each.
    expect(polls).toHaveLength(5);
    expect(result.checks.filter((c) => c.check.startsWith('crawl '))).toHaveLength(CLINIC_TABLES.length);
    expect(result.checks.find((c) => c.check === 'crawl patient')?.actual).toBe('SUCCEEDED (unicornhealth-dev-raw-patient)');
  });

  test('a crawler that is already running is joined, not failed', async () => {
    const { ctx } = smokeContext({ glue: { crawlersAlreadyRunning: [CRAWLER_NAMES.patient] } });
    const result = await runSmoke(ctx, ['glue']);
    expect(failed(result)).toEqual([]);
  });

  test('a crawl that ended before the first poll counts as ended, by its start time', async () => {
    const { ctx, mocks } = smokeContext({ glue: { crawlsEndBeforeFirstPoll: true } });
    const result = await runSmoke(ctx, ['glue']);
    expect(failed(result)).toEqual([]);
    expect(callsOf(mocks.glueMock, BatchGetCrawlersCommand)).toHaveLength(1);
  });

  test('a READY crawler whose last crawl began before the run is not taken for this run’s crawl', async () => {
    const { ctx } = smokeContext({ glue: { crawlersNeverStart: [CRAWLER_NAMES.patient] } });
    const result = await runSmoke({ ...ctx, waits: { crawler: 60_000 } }, ['glue']);
    expect(result.stopped?.reason).toBe('deadline exceeded while waiting for the crawlers (7)');
  });

  test('crawlers still running at the crawler deadline stop the run', async () => {
    const { ctx } = smokeContext({ glue: { crawlPolls: 1_000_000 } });
    const result = await runSmoke({ ...ctx, waits: { crawler: 60_000 } }, ['glue']);
    expect(result.stopped?.reason).toBe('deadline exceeded while waiting for the crawlers (7)');
  });

  test('a crawler Glue does not know stops the run naming it', async () => {
    const { ctx } = smokeContext();
    const names = { ...CRAWLER_NAMES, patient: 'unicornhealth-dev-crawler' };
    const result = await runSmoke({ ...ctx, names: { ...ctx.names, crawlerNames: names } }, ['glue']);
    expect(result.stopped?.reason).toMatch(/unicornhealth-dev-crawler does not exist/);
  });

  test('the catalog step reads both databases and expects each its own columns', async () => {
    const { ctx, mocks } = smokeContext();
    const result = await runSmoke(ctx, ['glue']);
    expect(failed(result)).toEqual([]);
    expect(new Set(callsOf(mocks.glueMock, GetTablesCommand).map((input) => input.DatabaseName))).toEqual(
      new Set([GLUE_DATABASE, CHANGE_LOG_DATABASE]),
    );
    const expected = (name: string) => result.checks.find((c) => c.check === name)?.expected;
    expect(expected('account columns')).toBe(
      'accountid:string,member_id:string,last_payment:date,payment_due:date,account_balance:decimal(10,2),last_change_seq:string',
    );
    expect(expected('account change-log columns')).toBe(
      'op:string,dms_commit_ts:string,dms_change_seq:string,accountid:string,member_id:string,last_payment:date,payment_due:date,account_balance:decimal(10,2)',
    );
    expect(expected('smoke_probe columns')).toBe('probe_id:string,written_at:timestamp,note:string,last_change_seq:string');
  });

  test("without a change-log database name, the design's <db>_changes is read", async () => {
    const { ctx, mocks } = smokeContext();
    const result = await runSmoke({ ...ctx, names: { ...ctx.names, changeLogDatabase: undefined } }, ['glue']);
    expect(failed(result)).toEqual([]);
    expect(callsOf(mocks.glueMock, GetTablesCommand).map((input) => input.DatabaseName)).toContain('unicornhealth_dev_changes');
  });

  test("a change-log database that does not exist stops the catalog step with Glue's reason", async () => {
    const { ctx } = smokeContext();
    const result = await runSmoke({ ...ctx, names: { ...ctx.names, changeLogDatabase: 'unicornhealth_dev_raw' } }, ['glue']);
    expect(result.stopped).toMatchObject({ step: 'glue', reason: expect.stringMatching(/Database unicornhealth_dev_raw not found/) });
  });
});

describe('freshness: the probe row reaches the current tables', () => {
  /** The probe row becomes queryable `afterMs` after the run starts (the probe is written at the start). */
  const visibleAfter = (clock: VirtualClock, afterMs: number): (() => boolean) => {
    const from = clock.now();
    return () => clock.now() - from >= afterMs;
  };

  test('reports the latency from the INSERT to the row being queryable as the smoke runner', async () => {
    const clock = new VirtualClock();
    const { ctx, mocks } = smokeContext({
      clock,
      athena: { ...LAKE_FORMATION_REFUSES_IDENTIFIERS, probeVisible: visibleAfter(clock, 7 * 60_000) },
    });
    const result = await runSmoke(ctx, ['probe', 'freshness']);
    expect(failed(result)).toEqual([]);
    const freshness = result.checks.find((c) => c.step === 'freshness')!;
    expect(freshness.expected).toBe('queryable within 900 s of the INSERT');
    expect(freshness.seconds).toBeGreaterThanOrEqual(420);
    expect(freshness.seconds).toBeLessThan(425);
    expect(freshness.actual).toBe(`queryable after ${freshness.seconds} s`);
    const queries = callsOf(mocks.athenaMock, StartQueryExecutionCommand);
    expect(queries[0].QueryString).toBe(
      `SELECT count(*) AS visible FROM "smoke_probe" WHERE "probe_id" = '00000000-0000-4000-8000-000000000001'`,
    );
  });

  test('past the target the check fails with the time waited, and the run goes on to reconcile', async () => {
    const clock = new VirtualClock();
    const { ctx } = smokeContext({ clock, athena: { ...LAKE_FORMATION_REFUSES_IDENTIFIERS, probeVisible: () => false } });
    const result = await runSmoke(ctx, ['source', 'probe', 'freshness', 'reconcile']);
    expect(result.ok).toBe(false);
    expect(result.stopped).toBeUndefined();
    // Redshift is asked once Athena's wait is over: its figure is measured and reported too, past the target as well.
    expect(failed(result)).toEqual([
      `freshness probe row in smoke_probe (athena as smoke-runner): not queryable after 900 s`,
      expect.stringMatching(/^freshness probe row in smoke_probe \(redshift as redshift\): queryable after 900\.\d+ s$/),
    ]);
    expect(result.checks.some((c) => c.step === 'reconcile')).toBe(true);
  });

  test('the target is configurable', async () => {
    const clock = new VirtualClock();
    const { ctx } = smokeContext({
      clock,
      athena: { ...LAKE_FORMATION_REFUSES_IDENTIFIERS, probeVisible: visibleAfter(clock, 7 * 60_000) },
    });
    const result = await runSmoke({ ...ctx, waits: { freshness: 5 * 60_000 } }, ['probe', 'freshness']);
    expect(failed(result)).toEqual([
      'freshness probe row in smoke_probe (athena as smoke-runner): not queryable after 300 s',
      expect.stringMatching(/^freshness probe row in smoke_probe \(redshift as redshift\): queryable after 300\.\d+ s$/),
    ]);
  });

  test("the run's own deadline still stops the run", async () => {
    const { ctx } = smokeContext({ timeoutMs: 60_000, athena: { ...LAKE_FORMATION_REFUSES_IDENTIFIERS, probeVisible: () => false } });
    const result = await runSmoke(ctx, ['probe', 'freshness']);
    expect(result.stopped).toEqual({
      step: 'freshness',
      reason: 'deadline exceeded while waiting for the probe row in the current tables (athena as smoke-runner)',
    });
  });

  test('freshness without the probe step has no row to wait for', async () => {
    const { ctx } = smokeContext();
    expect((await runSmoke(ctx, ['freshness'])).stopped?.reason).toBe('freshness needs the probe step');
  });
});
