import { CLINIC_TABLES } from '../../../contract/clinic';
import { MERGE_ENGINE_VERSION, Merge } from '../../../stacks/constructs/merge';
import { maintenanceStateMachineDefinition, mergeStateMachineDefinition } from '../../../stacks/core/athena-workflows';
import {
  Json,
  SynthesizedStack,
  TEST_CATALOG_KEY_STATEMENT,
  TEST_ENV,
  TEST_PREFIX,
  fromTestAccount,
  serviceTrust,
  synthesizeWith,
  testMerge,
} from '../../helpers/synth';

describe('Merge (Step Functions and Athena)', () => {
  let merge!: Merge;
  const stack: SynthesizedStack = synthesizeWith((scope) => {
    merge = testMerge(scope);
  });
  const key = (name: string): string => stack.ref('aws_kms_key', `${name}-key`, 'arn');
  const glue = `arn:aws:glue:us-east-1:${TEST_ENV.accountId}`;
  const results = stack.ref('aws_s3_bucket', 'athena-results', 'arn');
  const workgroupArn = stack.ref('aws_athena_workgroup', 'merge_athena-workgroup', 'arn');
  const policyOf = (role: string): string => stack.one('aws_iam_role_policy', `${role}-role_`).policy;

  test('a workgroup of its own: enforced, results under merge/ encrypted with the lake key, its own cutoff, engine 3', () => {
    expect(stack.one('aws_athena_workgroup', 'merge_athena-workgroup')).toEqual({
      name: `${TEST_PREFIX}-merge`,
      description: expect.stringMatching(/merge/),
      state: 'ENABLED',
      force_destroy: false,
      configuration: {
        enforce_workgroup_configuration: true,
        publish_cloudwatch_metrics_enabled: true,
        bytes_scanned_cutoff_per_query: 10_000_000,
        requester_pays_enabled: false,
        engine_version: { selected_engine_version: MERGE_ENGINE_VERSION },
        result_configuration: {
          output_location: `s3://${stack.ref('aws_s3_bucket', 'athena-results', 'bucket')}/merge/`,
          encryption_configuration: { encryption_option: 'SSE_KMS', kms_key_arn: key('lake') },
        },
      },
    });
    expect(merge.resultsLocation).toMatch(/\/merge\/$/);
  });

  test.each([
    ['merge', `${TEST_PREFIX}-merge`],
    ['maintenance', `${TEST_PREFIX}-table-maintenance`],
  ])('the %s state machine is STANDARD, logs every state change without execution data to an encrypted group', (idPart, name) => {
    const stateMachine = stack.one('aws_sfn_state_machine', `${idPart}-state-machine`);
    expect(stateMachine).toMatchObject({
      name,
      type: 'STANDARD',
      role_arn: stack.ref('aws_iam_role', `${idPart}-role`, 'arn'),
      logging_configuration: {
        level: 'ALL',
        include_execution_data: false,
        log_destination: `${stack.ref('aws_cloudwatch_log_group', `${idPart}-state-machine-logs`, 'arn')}:*`,
      },
      tracing_configuration: { enabled: false },
      depends_on: [
        `aws_iam_role.${stack.idOf('aws_iam_role', `${idPart}-role`)}`,
        `aws_iam_role_policy.${stack.idOf('aws_iam_role_policy', `${idPart}-role_`)}`,
      ],
    });
    expect(stack.one('aws_cloudwatch_log_group', `${idPart}-state-machine-logs`)).toEqual({
      name: `/aws/vendedlogs/states/${name}`,
      retention_in_days: 365,
      kms_key_id: key('logs'),
    });
  });

  test('the definitions are the contract’s workflows, naming the databases and the workgroup by reference', () => {
    const names = {
      changesDatabase: stack.ref('aws_glue_catalog_database', 'changes-database', 'name'),
      currentDatabase: stack.ref('aws_glue_catalog_database', 'catalog_database', 'name'),
      // By id: known only once the workgroup exists, so a plan that creates both does not validate through AWS.
      workgroup: stack.ref('aws_athena_workgroup', 'merge_athena-workgroup', 'id'),
    };
    expect(JSON.parse(stack.one('aws_sfn_state_machine', 'merge-state-machine').definition)).toEqual(
      mergeStateMachineDefinition({ tables: CLINIC_TABLES, ...names }),
    );
    expect(JSON.parse(stack.one('aws_sfn_state_machine', 'maintenance-state-machine').definition)).toEqual(
      maintenanceStateMachineDefinition({ tables: CLINIC_TABLES, currentDatabase: names.currentDatabase, workgroup: names.workgroup }),
    );
  });

  test.each(['merge', 'maintenance'])('the %s role trusts Step Functions of this account’s state machines', (role) => {
    expect(stack.serviceTrustOf(`${role}-role`)).toEqual(
      serviceTrust(['states.amazonaws.com'], fromTestAccount(`arn:aws:states:us-east-1:${TEST_ENV.accountId}:stateMachine:*`)),
    );
  });

  test('the merge role runs queries in the merge workgroup only, reads the change-log catalog, commits the current state', () => {
    const policy = policyOf('merge');
    expect(stack.one('aws_iam_role', 'merge-role').name).toBe(`${TEST_PREFIX}-merge`);
    expect(stack.sids(policy)).toEqual([
      'QueriesInMergeWorkgroup',
      'AwsDataCatalog',
      'CommitCurrentState',
      'LakeFormationCredentials',
      'CatalogKeyThroughGlue',
      'MergeQueryResults',
      'LakeKeyThroughServices',
      'DeliverExecutionLogs',
      'ReadChangeLogCatalog',
    ]);
    expect(stack.statement(policy, 'QueriesInMergeWorkgroup')).toMatchObject({
      actions: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:StopQueryExecution',
        'athena:GetWorkGroup',
        'athena:GetQueryResults',
      ],
      resources: [workgroupArn],
    });
    const changes = stack.ref('aws_glue_catalog_database', 'changes-database', 'name');
    const current = stack.ref('aws_glue_catalog_database', 'catalog_database', 'name');
    expect(stack.statement(policy, 'ReadChangeLogCatalog')).toMatchObject({
      resources: [`${glue}:catalog`, `${glue}:database/${changes}`, `${glue}:table/${changes}/*`],
    });
    expect(stack.statement(policy, 'ReadChangeLogCatalog').actions).not.toContain('glue:UpdateTable');
    expect(stack.statement(policy, 'CommitCurrentState')).toMatchObject({
      actions: expect.arrayContaining(['glue:GetTable', 'glue:UpdateTable']),
      resources: [`${glue}:catalog`, `${glue}:database/${current}`, `${glue}:table/${current}/*`],
    });
    expect(stack.statement(policy, 'CatalogKeyThroughGlue')).toEqual(TEST_CATALOG_KEY_STATEMENT);
    expect(stack.statement(policy, 'MergeQueryResults').resources).toEqual([results, `${results}/merge/*`]);
    expect(stack.statement(policy, 'LakeKeyThroughServices')).toMatchObject({
      resources: [key('lake')],
      condition: [
        { test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.us-east-1.amazonaws.com', 'athena.us-east-1.amazonaws.com'] },
      ],
    });
    expect(stack.statement(policy, 'DeliverExecutionLogs').actions).toEqual(
      expect.arrayContaining(['logs:CreateLogDelivery', 'logs:DescribeLogGroups']),
    );
  });

  test('neither role reads lake objects: Lake Formation’s credentials do; the maintenance may only delete what VACUUM drops', () => {
    for (const role of ['merge', 'maintenance']) {
      const statements = stack.policyBehind(policyOf(role)).statement as Json[];
      expect(statements.flatMap((s) => s.actions).filter((a: string) => /^s3:GetObject/.test(a) && !a.endsWith('Version'))).toEqual([
        's3:GetObject',
      ]);
      const lakeObjects = statements.filter((s) => s.resources.some((r: string) => r.includes('storage_lake_')));
      expect([role, lakeObjects.map((s) => [s.sid, s.actions])]).toEqual([
        role,
        role === 'maintenance' ? [['VacuumDeletesUnneededFiles', ['s3:DeleteObject']]] : [],
      ]);
    }
    expect(stack.statement(policyOf('maintenance'), 'VacuumDeletesUnneededFiles').resources).toEqual([
      `${stack.ref('aws_s3_bucket', 'storage_lake_', 'arn')}/current/*`,
    ]);
  });

  test('the maintenance role never reads the change log or a query’s results rows', () => {
    const policy = policyOf('maintenance');
    expect(stack.one('aws_iam_role', 'maintenance-role').name).toBe(`${TEST_PREFIX}-table-maintenance`);
    expect(stack.sids(policy)).not.toContain('ReadChangeLogCatalog');
    expect(stack.statement(policy, 'QueriesInMergeWorkgroup').actions).not.toContain('athena:GetQueryResults');
  });
});
