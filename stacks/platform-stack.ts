import { Construct } from 'constructs';
import { Annotations, TerraformOutput, TerraformStack } from 'cdktf';
import { EnvironmentEstimate, estimateEnvironment } from '../config/cost-model';
import { environmentStateKey } from '../config/accounts';
import { EnvironmentConfig } from '../config/types';
import { assertValidConfig, budgetWarnings } from '../config/validate';
import { CLINIC_TABLES, Table } from '../contract/clinic';
import { catalogKeyAliasName, lakeAdminRoleArn } from './core/account-baseline';
import { AccountStack } from './core/account-stack';
import { AwsEnvironment, awsEnvironment, bucketArn, roleArn } from './core/aws-environment';
import { denyLakeDecryptOutsideLakeFormation } from './core/lake-access';
import { CustomerManagedKey } from './constructs/customer-managed-key';
import { Network } from './constructs/network';
import { LakeStorage, lakeBucketName } from './constructs/lake-storage';
import { Database } from './constructs/database';
import { AccessHost } from './constructs/access-host';
import { Migration, rawZoneWriterRoleName } from './constructs/migration';
import { Catalog } from './constructs/catalog';
import { CurrentState } from './constructs/current-state';
import { Governance, lakeLocationRoleName } from './constructs/governance';
import { Merge } from './constructs/merge';
import { MergeSchedules } from './constructs/merge-schedules';
import { Warehouse } from './constructs/warehouse';
import { ALERT_PUBLISHERS, Monitoring } from './constructs/monitoring';

export function stackName(config: EnvironmentConfig): string {
  return `${config.project}-${config.name}`;
}

/** The three customer-managed keys: lake data, database and its secrets, and logs. */
export interface PlatformKeys {
  readonly lake: CustomerManagedKey;
  readonly database: CustomerManagedKey;
  readonly logs: CustomerManagedKey;
}

/**
 * One environment of the platform in one Terraform stack, so that every environment plans with plain `terraform`
 * on its own and a pull-request plan has no cross-stack remote-state lookups. What exists once per account and
 * region is its account baseline's (`AccountBaselineStack`), applied first; this stack names those resources by the
 * names both derive from config (`core/account-baseline.ts`) and holds none of them.
 */
export class PlatformStack extends AccountStack {
  readonly config: EnvironmentConfig;
  readonly environment: AwsEnvironment;
  readonly keys: PlatformKeys;
  readonly network: Network;
  readonly storage: LakeStorage;
  readonly database: Database;
  readonly accessHost?: AccessHost;
  readonly migration: Migration;
  readonly governance: Governance;
  readonly catalog: Catalog;
  readonly currentState: CurrentState;
  readonly merge: Merge;
  readonly mergeSchedules: MergeSchedules;
  readonly warehouse: Warehouse;
  readonly monitoring: Monitoring;
  /** The monthly cost of this environment as synthesized (`npm run cost` computes the same from `cdk.tf.json`). */
  readonly costEstimate: EnvironmentEstimate;

  /**
   * @param tables the data contract's tables; a different list is for tests that show how the platform follows
   *   a change of the contract.
   * @param accountBaseline the account's baseline stack and how many environments share it: its cost is in the
   *   account's bill, which the budget watches
   */
  constructor(
    scope: Construct,
    config: EnvironmentConfig,
    tables: readonly Table[] = CLINIC_TABLES,
    accountBaseline?: { readonly stack: TerraformStack; readonly environments: number },
  ) {
    super(scope, stackName(assertValidConfig(config)), {
      ...config,
      accountName: config.account,
      stateKey: environmentStateKey(config),
    });
    this.config = config;
    const namePrefix = stackName(config);
    const environment = awsEnvironment(config.accountId, config.region);
    const common = { environment, namePrefix };
    this.environment = environment;

    // Lake data is read through Lake Formation only: the bucket and its key name the roles that may read or decrypt
    // it directly, by the ARNs their deterministic names give (core/lake-access.ts).
    const lakeLocationRoleArn = roleArn(environment, lakeLocationRoleName(namePrefix));
    const rawZoneWriterRoleArn = roleArn(environment, rawZoneWriterRoleName(namePrefix));
    const keys = this.createKeys(environment, namePrefix, [lakeLocationRoleArn, rawZoneWriterRoleArn]);
    this.keys = keys;

    const { accessHost, ...networkConfig } = config.network;
    // Interface endpoints follow the services that call AWS APIs from the VPC (core/interface-endpoints.ts).
    this.network = new Network(this, 'network', {
      ...common,
      ...networkConfig,
      logsKey: keys.logs,
      flowLogRetentionDays: config.logRetentionDays,
    });
    const network = this.network;
    const logs = { logsKey: keys.logs, logRetentionDays: config.logRetentionDays };

    this.storage = new LakeStorage(this, 'storage', {
      ...common,
      ...config.storage,
      changeLog: config.lake.changeLog,
      lakeKey: keys.lake,
      lakeReaderRoleArns: [lakeLocationRoleArn],
    });
    this.database = new Database(this, 'database', { ...config.database, ...logs, namePrefix, network, databaseKey: keys.database });
    if (accessHost.enabled) {
      this.accessHost = new AccessHost(this, 'access-host', {
        ...common,
        ...accessHost,
        network,
        database: this.database,
        volumeKey: keys.database,
      });
    }
    this.migration = new Migration(this, 'migration', {
      ...common,
      ...config.migration,
      ...logs,
      network,
      source: this.database,
      storage: this.storage,
      tables,
      databaseKey: keys.database,
    });

    this.governance = new Governance(this, 'governance', { ...common, ...config.governance, storage: this.storage });
    this.catalog = new Catalog(this, 'catalog', {
      ...common,
      ...config.analytics,
      tables,
      storage: this.storage,
      logsKey: keys.logs,
      catalogKeyAlias: catalogKeyAliasName(config.project),
    });
    this.warehouse = new Warehouse(this, 'warehouse', {
      ...common,
      ...config.warehouse,
      network,
      catalog: this.catalog,
      databaseKey: keys.database,
    });
    this.currentState = new CurrentState(this, 'current-state', { catalog: this.catalog });
    this.merge = new Merge(this, 'merge', {
      ...common,
      ...logs,
      bytesScannedCutoffPerQuery: config.lake.merge.bytesScannedCutoffPerQuery,
      currentState: this.currentState,
    });

    // Who reads what: the change log (the history, deleted rows included) only the merge, the crawler and the lake
    // admins; the current state the merge and the maintenance write, and the readers read, each its contract columns.
    // The merge's and the maintenance's grants come first, so that their schedules wait for exactly these.
    const { governance } = this;
    governance.grantChangeLogReader('merge', this.merge.mergeRole.arn, this.catalog);
    governance.grantCurrentStateWriter('merge', this.merge.mergeRole, this.currentState);
    governance.grantCurrentStateWriter('maintenance', this.merge.maintenanceRole, this.currentState);
    const stateMachinesGranted = governance.grantsMade;
    governance.grantCrawler(this.catalog);
    governance.grantChangeLogReader('lake-admin', lakeAdminRoleArn(environment, config), this.catalog);
    governance.grantReader('analyst', governance.analystRole, this.currentState);
    governance.grantReader('redshift', this.warehouse.spectrumRole, this.currentState);
    governance.grantReader('smoke-runner', governance.smokeRunnerRole, this.currentState);
    governance.allowAthenaQueries(governance.analystRole, this.catalog);
    governance.allowAthenaQueries(governance.smokeRunnerRole, this.catalog);

    this.mergeSchedules = new MergeSchedules(this, 'merge-schedules', {
      ...common,
      ...config.lake.merge,
      merge: this.merge,
      changeLogIsLastFullLoad: this.migration.mode === 'full-load',
      startAfter: stateMachinesGranted,
    });

    this.monitoring = new Monitoring(this, 'monitoring', {
      ...common,
      alertEmails: config.alertEmails,
      monthlyBudgetUsd: config.monthlyBudgetUsd,
      cdcLatencyAlarmSeconds: config.migration.cdcLatencyAlarmSeconds,
      topicKey: keys.logs,
      migration: this.migration,
      catalog: this.catalog,
      merge: this.merge,
      mergeSchedule: config.lake.merge.schedule,
    });

    this.addOutputs();

    // The estimate sets the budget's forecast alert and warns when the environment cannot stay within its budget.
    // Budgets cost nothing, so setting the alert after estimating does not change the estimate.
    this.costEstimate = estimateEnvironment({
      config,
      stack: this.toTerraform(),
      stackName: stackName(config),
      baseline: accountBaseline && { stack: accountBaseline.stack.toTerraform(), share: 1 / accountBaseline.environments },
    });
    this.monitoring.alertOnSpend(this.costEstimate.expectedUsd);
    for (const warning of budgetWarnings(config, {
      atRestUsd: this.costEstimate.atRest.totalUsd,
      expectedUsd: this.costEstimate.expectedUsd,
    })) {
      Annotations.of(this).addWarning(warning);
    }
  }

  /** @param lakeDecrypterRoleArns the roles that may decrypt lake objects through S3 (every other principal is denied) */
  private createKeys(environment: AwsEnvironment, namePrefix: string, lakeDecrypterRoleArns: readonly string[]): PlatformKeys {
    return {
      lake: new CustomerManagedKey(this, 'lake-key', {
        environment,
        alias: `${namePrefix}-lake`,
        description: 'UnicornHealth data lake: S3 lake and Athena results, DMS target, Glue crawler output',
        usedThroughServices: ['s3', 'glue', 'athena'],
        additionalStatements: [
          denyLakeDecryptOutsideLakeFormation(
            environment,
            bucketArn(environment, lakeBucketName(namePrefix, environment)),
            lakeDecrypterRoleArns,
          ),
        ],
      }),
      database: new CustomerManagedKey(this, 'database-key', {
        environment,
        alias: `${namePrefix}-database`,
        description: 'UnicornHealth databases: RDS and Redshift storage, Performance Insights, secrets, DMS, EBS',
        usedThroughServices: ['rds', 'secretsmanager', 'ec2', 'dms', 'redshift-serverless'],
      }),
      logs: new CustomerManagedKey(this, 'logs-key', {
        environment,
        alias: `${namePrefix}-logs`,
        description: 'UnicornHealth logs and alerts: CloudWatch Logs groups, Glue crawler logs, the alerts topic',
        servicePrincipalUses: [
          {
            sid: 'CloudWatchLogsOfThisAccount',
            servicePrincipals: [`logs.${environment.region}.amazonaws.com`],
            actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
            conditions: [
              {
                test: 'ArnLike',
                variable: 'kms:EncryptionContext:aws:logs:arn',
                values: [`arn:${environment.partition}:logs:${environment.region}:${environment.accountId}:log-group:*`],
              },
            ],
          },
          {
            sid: 'AlertPublishersOfThisAccount',
            servicePrincipals: ALERT_PUBLISHERS,
            actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
            conditions: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [environment.accountId] }],
          },
        ],
      }),
    };
  }

  private addOutputs(): void {
    const output = (id: string, value: unknown, description: string): void => {
      new TerraformOutput(this, id, { value, description });
    };
    output('region', this.config.region, 'AWS region of this environment');
    output('rds_endpoint', this.database.instance.address, 'RDS MySQL host name (also the TLS server name)');
    output('rds_port', this.database.instance.port, 'RDS MySQL port');
    output('rds_database_name', this.database.databaseName, 'Clinic database name');
    output('rds_instance_id', this.database.instance.identifier, 'RDS instance identifier');
    output('rds_master_secret_arn', this.database.masterSecretArn, 'Secrets Manager secret of the RDS-managed master credentials');
    output('rds_ca_cert_identifier', this.database.instance.caCertIdentifier, 'CA that signs the RDS server certificate');
    output('lake_bucket_name', this.storage.lakeBucket.name, 'Data-lake bucket');
    output('raw_zone_prefix', this.storage.rawZonePrefix, 'Key prefix of the raw zone, the change log DMS writes');
    output(
      'current_zone_prefix',
      this.storage.currentZonePrefix,
      'Key prefix of the current-state zone, the Iceberg tables the merge keeps',
    );
    output('athena_results_bucket_name', this.storage.athenaResultsBucket.name, 'Athena query-results bucket');
    output('access_log_bucket_name', this.storage.accessLogBucket.name, 'S3 server access-log bucket');
    output('vpc_id', this.network.vpc.id, 'VPC id');
    output('private_subnet_ids', this.network.privateSubnetIds, 'Private subnet ids, one per AZ');
    output('kms_lake_key_arn', this.keys.lake.arn, 'KMS key of the lake, DMS target, Glue and Athena');
    output('kms_database_key_arn', this.keys.database.arn, 'KMS key of RDS and its secrets');
    output('kms_logs_key_arn', this.keys.logs.arn, 'KMS key of the CloudWatch log groups');
    // The DMS capacity of the environment: an instance and its task, or a serverless replication; the others are empty
    // so that every environment has the same outputs (npm run smoke takes whichever is set).
    const { instance, task, replicationConfig } = this.migration;
    output('dms_replication_instance_arn', instance?.replicationInstanceArn ?? '', 'DMS replication instance (empty with DMS Serverless)');
    output('dms_task_arn', task?.replicationTaskArn ?? '', 'DMS replication task RDS -> raw zone (empty with DMS Serverless)');
    output(
      'dms_replication_config_arn',
      replicationConfig?.arn ?? '',
      'DMS Serverless replication RDS -> raw zone (empty with a replication instance)',
    );
    output('dms_source_endpoint_arn', this.migration.sourceEndpoint.endpointArn, 'DMS MySQL source endpoint');
    output('dms_target_endpoint_arn', this.migration.targetEndpoint.endpointArn, 'DMS S3 target endpoint');
    output(
      'dms_secret_arn',
      this.migration.sourceSecret.arn,
      'Secret DMS reads the source credentials from (filled by npm run seed -- --dms-user)',
    );
    output('glue_database_name', this.catalog.database.name, 'Glue database of the current-state tables (Apache Iceberg) readers query');
    output(
      'glue_changes_database_name',
      this.catalog.changesDatabase.name,
      'Glue database of the change-log tables (every insert, update and delete), for the merge and the lake admins',
    );
    output(
      'glue_crawler_names',
      Object.fromEntries([...this.catalog.crawlers].map(([table, crawler]) => [table, crawler.name])),
      'Crawler of each contract table, by table name (with Lake Formation credentials a crawler crawls one table)',
    );
    output('athena_workgroup', this.catalog.workgroup.name, 'Athena workgroup of the readers');
    output('merge_workgroup', this.merge.workgroup.name, 'Athena workgroup of the merge and the table maintenance');
    output(
      'merge_state_machine_arn',
      this.merge.mergeStateMachine.arn,
      'Step Functions state machine that merges the change log into the current state',
    );
    output(
      'maintenance_state_machine_arn',
      this.merge.maintenanceStateMachine.arn,
      'Step Functions state machine that maintains the current-state tables (OPTIMIZE, VACUUM)',
    );
    output('athena_results_location', this.catalog.resultsLocation, 'Where the workgroup writes query results');
    output('redshift_workgroup', this.warehouse.workgroup.workgroupName, 'Redshift Serverless workgroup');
    output('redshift_namespace', this.warehouse.namespace.namespaceName, 'Redshift Serverless namespace');
    output('redshift_database', this.warehouse.databaseName, 'Redshift database');
    output('redshift_role_arn', this.warehouse.spectrumRole.arn, 'Role Redshift reads the lake with');
    output(
      'lake_admin_role_arn',
      lakeAdminRoleArn(this.environment, this.config),
      'Lake Formation admin role of this environment, made by the account baseline (LakeAdministrators, MFA)',
    );
    output('analyst_role_arn', this.governance.analystRole.arn, 'Analyst role: no direct patient identifiers');
    output(
      'smoke_runner_role_arn',
      this.governance.smokeRunnerRole.arn,
      'Role the release smoke checks reconcile the lake as (every column)',
    );
    output('crawler_role_arn', this.catalog.crawlerRole.arn, 'Glue crawler role');
    output('merge_role_arn', this.merge.mergeRole.arn, 'Role the merge runs as (reads the change log, writes the current state)');
    output('alerts_topic_arn', this.monitoring.topic.arn, 'SNS topic of failures and budget alerts');
    output('access_host_instance_id', this.accessHost?.instance.id ?? '', 'Database access host (empty when disabled)');
    // How the release workflow and operators reach the host: Session Manager, or SSH through the endpoint below.
    output(
      'access_host_connection',
      this.accessHost?.connection ?? '',
      'session-manager or instance-connect-endpoint: how the access host is reached (empty when disabled)',
    );
    output(
      'instance_connect_endpoint_id',
      this.accessHost?.instanceConnectEndpoint?.id ?? '',
      'EC2 Instance Connect Endpoint to the access host (empty unless access_host_connection is instance-connect-endpoint)',
    );
  }
}
