import { Construct } from 'constructs';
import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { MergeConfig } from '../../config/types';
import { maintenanceStateMachineDefinition, mergeStateMachineDefinition } from '../core/athena-workflows';
import { AwsEnvironment, glueArn, glueDatabaseArns } from '../core/aws-environment';
import { encryptedWorkgroupConfig } from '../core/encrypted-workgroup';
import { LAKE_ROLE_SUFFIX, lakeRoleName } from '../core/lake-roles';
import { NamedStatement, allow, catalogKeyThroughGlue, lakeFormationDataAccess, throughServices } from '../core/policy-document';
import { ServiceRole } from '../core/service-role';
import { CurrentState } from './current-state';
import { CustomerManagedKey } from './customer-managed-key';

export interface MergeProps extends Pick<MergeConfig, 'bytesScannedCutoffPerQuery'> {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  /** The current-state tables the merge writes, and through their catalog the change log it reads. */
  readonly currentState: CurrentState;
  /** Key of the state machines' log groups. */
  readonly logsKey: CustomerManagedKey;
  readonly logRetentionDays: number;
}

/** MERGE INTO, OPTIMIZE and VACUUM exist in Athena engine version 3 only (https://docs.aws.amazon.com/athena/latest/ug/merge-into-statement.html). */
export const MERGE_ENGINE_VERSION = 'Athena engine version 3';

/**
 * What a state machine's role needs to deliver its execution logs to CloudWatch Logs: log deliveries have no resource
 * type, hence `*` (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy).
 */
const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

/**
 * What running a query through `startQueryExecution.sync` takes: start it, poll it, stop it when the execution is
 * stopped, and the catalog it names (https://docs.aws.amazon.com/step-functions/latest/dg/athena-iam.html).
 */
const ATHENA_SYNC_QUERY_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:GetQueryExecution',
  'athena:StopQueryExecution',
  'athena:GetWorkGroup',
];

/** Reading a Glue database's tables, as a query plans. */
const GLUE_READ_ACTIONS = [
  'glue:GetDatabase',
  'glue:GetTable',
  'glue:GetTables',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:BatchGetPartition',
];

/**
 * The merge of the change log into the current state, on managed services: a Step Functions state machine (STANDARD)
 * that, per contract table, runs the change-log problem query in Athena and, when it finds nothing, the MERGE INTO
 * (contract/merge.ts, `stacks/core/athena-workflows.ts`), and a second one that maintains the tables (OPTIMIZE, VACUUM).
 * Both run in a workgroup of their own, each as its own role with exactly the Lake Formation grants it needs
 * (Governance), and log every state change, without execution data, to a log group encrypted with the logs key: a
 * state's input and output can hold table data, which must not reach the logs (policy rule UH-SFN-001). EventBridge
 * Scheduler starts them (`MergeSchedules`); Monitoring alarms on their failures and on a merge gone stale.
 *
 * Why a workgroup of its own rather than the analysts': the merge's results (problem rows name patients' keys) stay
 * under `merge/`, which no analyst's policy reaches; its query history is not the analysts' (Lake Formation advises
 * separating query histories by workgroup, https://docs.aws.amazon.com/athena/latest/ug/lf-athena-limitations.html);
 * it can have its own bytes-scanned cutoff; and its CloudWatch metrics show what the merge costs.
 */
export class Merge extends Construct {
  readonly workgroup: AthenaWorkgroup;
  /** Where the workgroup writes query results, under the results bucket. */
  readonly resultsLocation: string;
  /** The merge's role: reads the change log, writes the current state. */
  readonly mergeRole: ServiceRole;
  /** The maintenance's role: rewrites the current state; never reads the change log. */
  readonly maintenanceRole: ServiceRole;
  readonly mergeStateMachine: SfnStateMachine;
  readonly maintenanceStateMachine: SfnStateMachine;

  constructor(scope: Construct, id: string, props: MergeProps) {
    super(scope, id);
    const { environment: env, currentState } = props;
    const { catalog } = currentState;
    const { storage } = catalog;
    const lakeKeyArn = storage.lakeKey.arn;
    const tables = [...currentState.tables.values()].map((table) => table.contract);

    const resultsPrefix = 'merge';
    this.resultsLocation = `s3://${storage.athenaResultsBucket.name}/${resultsPrefix}/`;
    this.workgroup = new AthenaWorkgroup(
      this,
      'athena-workgroup',
      encryptedWorkgroupConfig({
        name: `${props.namePrefix}-merge`,
        description: 'The merge of the change log into the current state, and table maintenance; settings enforced, results encrypted',
        resultsLocation: this.resultsLocation,
        // The lake key, as the lake bucket's policy demands of every upload: Athena writes the Iceberg data files
        // under the workgroup's encryption too.
        kmsKeyArn: lakeKeyArn,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        engineVersion: MERGE_ENGINE_VERSION,
      }),
    );

    const resultsBucketArn = storage.athenaResultsBucket.arn;
    const runsQueries = (queryActions: string[]): NamedStatement[] => [
      allow('QueriesInMergeWorkgroup', queryActions, [this.workgroup.arn]),
      allow(
        'AwsDataCatalog',
        ['athena:GetDataCatalog'],
        [`arn:${env.partition}:athena:${env.region}:${env.accountId}:datacatalog/AwsDataCatalog`],
      ),
      allow(
        'CommitCurrentState',
        [...GLUE_READ_ACTIONS, 'glue:UpdateTable'],
        [glueArn(env, 'catalog'), glueArn(env, `database/${catalog.database.name}`), glueArn(env, `table/${catalog.database.name}/*`)],
      ),
      lakeFormationDataAccess(),
      catalogKeyThroughGlue(env, catalog.catalogKeyAlias),
      allow(
        'MergeQueryResults',
        ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:GetBucketLocation', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        [resultsBucketArn, `${resultsBucketArn}/${resultsPrefix}/*`],
      ),
      // Query results, through S3 and Athena; the lake's own objects are read and written with Lake Formation's
      // credentials (the registration role), which the lake key's policy requires.
      allow('LakeKeyThroughServices', ['kms:Decrypt', 'kms:GenerateDataKey'], [lakeKeyArn], throughServices(env, 's3', 'athena')),
      allow('DeliverExecutionLogs', LOG_DELIVERY_ACTIONS, ['*']),
    ];

    this.mergeRole = new ServiceRole(this, 'merge-role', {
      environment: env,
      roleName: lakeRoleName(props.namePrefix, LAKE_ROLE_SUFFIX.merge),
      description: 'The merge state machine: reads the change log and merges it into the current state through Athena',
      trust: { kind: 'services', services: ['states'] },
      inlinePolicy: {
        name: 'merge-change-log',
        statements: [
          ...runsQueries([...ATHENA_SYNC_QUERY_ACTIONS, 'athena:GetQueryResults']),
          allow('ReadChangeLogCatalog', GLUE_READ_ACTIONS, glueDatabaseArns(env, catalog.changesDatabase.name)),
        ],
      },
    });
    this.maintenanceRole = new ServiceRole(this, 'maintenance-role', {
      environment: env,
      roleName: lakeRoleName(props.namePrefix, LAKE_ROLE_SUFFIX.tableMaintenance),
      description: 'The table-maintenance state machine: compacts and vacuums the current state through Athena',
      trust: { kind: 'services', services: ['states'] },
      inlinePolicy: {
        name: 'maintain-current-state',
        statements: [
          ...runsQueries(ATHENA_SYNC_QUERY_ACTIONS),
          // "For VACUUM to be able to delete data files, your query execution role must have s3:DeleteObject
          // permissions ... If the permission is not present, the VACUUM query will succeed, but the files will not be
          // deleted" (https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html). Deleting reads nothing.
          allow('VacuumDeletesUnneededFiles', ['s3:DeleteObject'], [storage.currentZoneObjectsArn]),
        ],
      },
    });

    const stateMachine = (stateMachineId: string, name: string, role: ServiceRole, definition: object): SfnStateMachine => {
      // Step Functions' vended logs: a name under /aws/vendedlogs/ keeps CloudWatch Logs from adding a resource policy
      // per log group (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
      const logGroup = new CloudwatchLogGroup(this, `${stateMachineId}-logs`, {
        name: `/aws/vendedlogs/states/${name}`,
        retentionInDays: props.logRetentionDays,
        kmsKeyId: props.logsKey.arn,
      });
      return new SfnStateMachine(this, stateMachineId, {
        name,
        type: 'STANDARD',
        roleArn: role.arn,
        definition: JSON.stringify(definition),
        // Every state change, for the record of what ran; never the execution data, which can hold table rows.
        loggingConfiguration: { logDestination: `${logGroup.arn}:*`, level: 'ALL', includeExecutionData: false },
        tracingConfiguration: { enabled: false },
        // CreateStateMachine checks that the role may deliver the logs.
        dependsOn: role.dependables,
      });
    };
    // The workgroup by its id, which is its name but known only once the workgroup exists: a plan that creates both (a
    // first deploy, the offline plan) then leaves checking the definition to CreateStateMachine instead of calling
    // ValidateStateMachineDefinition, which the provider does whenever a planned definition is known and needs AWS
    // (validation in stateMachineDefinitionValidate, internal/service/sfn/state_machine.go). Later plans know it and
    // validate a changed definition against AWS.
    const workgroup = this.workgroup.id;
    this.mergeStateMachine = stateMachine(
      'merge-state-machine',
      `${props.namePrefix}-merge`,
      this.mergeRole,
      mergeStateMachineDefinition({
        tables,
        changesDatabase: catalog.changesDatabase.name,
        currentDatabase: catalog.database.name,
        workgroup,
      }),
    );
    this.maintenanceStateMachine = stateMachine(
      'maintenance-state-machine',
      `${props.namePrefix}-table-maintenance`,
      this.maintenanceRole,
      maintenanceStateMachineDefinition({ tables, currentDatabase: catalog.database.name, workgroup }),
    );
  }
}
