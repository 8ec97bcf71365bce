import { StartReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { GetTablesCommand } from '@aws-sdk/client-glue';
import { CLINIC_TABLES } from '../../../contract/clinic';
import { runSmoke } from '../../../scripts/smoke/steps';
import { CHANGE_LOG_DATABASE, GLUE_DATABASE, LAKE_FORMATION_REFUSES_IDENTIFIERS, SOURCE, smokeContext } from '../../helpers/smoke';

const failed = (result: Awaited<ReturnType<typeof runSmoke>>) =>
  result.checks.filter((c) => !c.pass).map((c) => `${c.step} ${c.check}: ${c.actual}`);

describe('smoke run on mocked AWS', () => {
  test('the happy path passes every check on Athena and Redshift, and says what it did', async () => {
    const { ctx, mocks } = smokeContext();
    const result = await runSmoke(ctx);
    expect(failed(result)).toEqual([]);
    expect(result.ok).toBe(true);
    const checks = result.checks.map((c) => `${c.step}/${c.check}`);
    for (const table of CLINIC_TABLES) {
      expect(checks).toContain(`reconcile/athena as smoke-runner ${table.name} checksum`);
      expect(checks).toContain(`reconcile/athena as analyst ${table.name} checksum`);
      expect(checks).toContain(`reconcile/redshift as redshift ${table.name} rows`);
      expect(checks).toContain(`dms/${table.name} full-load rows`);
      expect(checks).toContain(`glue/${table.name} columns`);
      expect(checks).toContain(`glue/${table.name} change-log columns`);
    }
    for (const identifier of ['first_name', 'dob', 'zip']) {
      expect(checks).toContain(`governance/athena as analyst patient.${identifier} hidden`);
      expect(checks).toContain(`governance/redshift as redshift patient.${identifier} hidden`);
    }
    expect(checks).not.toContain('governance/athena as smoke-runner patient.first_name hidden');
    expect(checks).toContain('redshift-schema/external schema');
    const dms = mocks.dmsMock as { commandCalls: (c: unknown) => { args: [{ input: { StartReplicationTaskType: string } }] }[] };
    expect(dms.commandCalls(StartReplicationTaskCommand)[0].args[0].input.StartReplicationTaskType).toBe('start-replication');
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
      /glue one table per contract table in unicornhealth_dev: account,appointment,employee,insurance,patient\nglue encounter columns: missing/,
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
  ])('%s fails the run with that check', async (_case, options, message) => {
    const { ctx } = smokeContext(options);
    const result = await runSmoke(ctx);
    expect(result.ok).toBe(false);
    expect(failed(result).join('\n')).toMatch(message);
  });

  test.each([
    [
      'the crawler failed',
      { glue: { crawlFails: 'Insufficient Lake Formation permission(s) on raw' } },
      'glue',
      /crawler failed: Insufficient Lake Formation permission/,
    ],
    [
      'the DMS task failed',
      { dms: { failWith: 'Last Error Cannot connect to the source endpoint' } },
      'dms',
      /DMS task failed: Last Error Cannot connect/,
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

  test('--only and --skip choose steps: reconcile without DMS or Glue calls', async () => {
    const { ctx, mocks } = smokeContext();
    const result = await runSmoke(ctx, ['source', 'reconcile']);
    expect(result.ok).toBe(true);
    expect(new Set(result.checks.map((c) => c.step))).toEqual(new Set(['source', 'reconcile']));
    expect((mocks.dmsMock as { calls: () => unknown[] }).calls()).toHaveLength(0);
  });

  test('the catalog step reads both databases and expects each its own columns', async () => {
    const { ctx, mocks } = smokeContext();
    const result = await runSmoke(ctx, ['glue']);
    expect(failed(result)).toEqual([]);
    const glue = mocks.glueMock as { commandCalls: (c: unknown) => { args: [{ input: { DatabaseName: string } }] }[] };
    expect(new Set(glue.commandCalls(GetTablesCommand).map((call) => call.args[0].input.DatabaseName))).toEqual(
      new Set([GLUE_DATABASE, CHANGE_LOG_DATABASE]),
    );
    const expected = (name: string) => result.checks.find((c) => c.check === name)?.expected;
    expect(expected('account columns')).toBe(
      'accountid:string,member_id:string,last_payment:date,payment_due:date,account_balance:decimal(10,2),last_change_seq:string',
    );
    expect(expected('account change-log columns')).toBe(
      'op:string,dms_commit_ts:string,dms_change_seq:string,accountid:string,member_id:string,last_payment:date,payment_due:date,account_balance:decimal(10,2)',
    );
  });

  test("without a change-log database name, the design's <db>_changes is read", async () => {
    const { ctx, mocks } = smokeContext();
    const result = await runSmoke({ ...ctx, names: { ...ctx.names, changeLogDatabase: undefined } }, ['glue']);
    expect(failed(result)).toEqual([]);
    const glue = mocks.glueMock as { commandCalls: (c: unknown) => { args: [{ input: { DatabaseName: string } }] }[] };
    expect(glue.commandCalls(GetTablesCommand).map((call) => call.args[0].input.DatabaseName)).toContain('unicornhealth_dev_changes');
  });

  test("a change-log database that does not exist stops the catalog step with Glue's reason", async () => {
    const { ctx } = smokeContext();
    const result = await runSmoke({ ...ctx, names: { ...ctx.names, changeLogDatabase: 'unicornhealth_dev_raw' } }, ['glue']);
    expect(result.stopped).toMatchObject({ step: 'glue', reason: expect.stringMatching(/Database unicornhealth_dev_raw not found/) });
  });

  test('a crawler that is already running is joined, not failed', async () => {
    const { ctx } = smokeContext({ glue: { crawlerAlreadyRunning: true } });
    const result = await runSmoke(ctx, ['glue']);
    expect(failed(result)).toEqual([]);
  });
});
