import { Construct } from 'constructs';
import { Fn, Token } from 'cdktf';
import { DmsCertificate } from '@cdktf/provider-aws/lib/dms-certificate';
import { DmsReplicationSubnetGroup } from '@cdktf/provider-aws/lib/dms-replication-subnet-group';
import { DmsReplicationInstance } from '@cdktf/provider-aws/lib/dms-replication-instance';
import { DmsEndpoint } from '@cdktf/provider-aws/lib/dms-endpoint';
import { DmsS3Endpoint } from '@cdktf/provider-aws/lib/dms-s3-endpoint';
import { DmsReplicationTask } from '@cdktf/provider-aws/lib/dms-replication-task';
import { DmsReplicationConfig } from '@cdktf/provider-aws/lib/dms-replication-config';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { MigrationConfig, MigrationMode } from '../../config/types';
import { CLINIC_TABLES, Table } from '../../contract/clinic';
import { dmsTableMappings } from '../../contract/lake';
import { CHANGE_LOG_COLUMNS, changeSequenceRules } from '../../contract/merge';
import { AwsEnvironment } from '../core/aws-environment';
import { INTERFACE_ENDPOINTS_OF } from '../core/interface-endpoints';
import { allow, throughServices } from '../core/policy-document';
import { ServiceRole } from '../core/service-role';
import { StackFile } from '../core/stack-file';
import { CustomerManagedKey } from './customer-managed-key';
import { Database } from './database';
import { LakeStorage } from './lake-storage';
import { Network } from './network';
import { ServiceSecurityGroup } from './service-security-group';

export interface MigrationProps extends Omit<MigrationConfig, 'mode' | 'cdcLatencyAlarmSeconds'>, Partial<Pick<MigrationConfig, 'mode'>> {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  /** The replication instance sits in the network's private subnets and reaches AWS APIs through its endpoints. */
  readonly network: Network;
  /** The MySQL database DMS reads; it admits DMS on 3306. */
  readonly source: Database;
  /** DMS writes the raw zone of this storage's lake bucket, with its key. */
  readonly storage: LakeStorage;
  /**
   * The tables DMS copies.
   * @default CLINIC_TABLES
   */
  readonly tables?: readonly Table[];
  /** Key of the replication instance storage and the source secret. */
  readonly databaseKey: CustomerManagedKey;
  /** Key of the task log group. */
  readonly logsKey: CustomerManagedKey;
  readonly logRetentionDays: number;
}

/** Name of the role DMS writes the raw zone with; the lake key lets it (and Lake Formation) decrypt lake objects. */
export function rawZoneWriterRoleName(namePrefix: string): string {
  return `${namePrefix}-dms-raw-zone-writer`;
}

/** Where the region's RDS CA bundle is published (public, no credentials). */
export function rdsCaBundleUrl(region: string): string {
  return `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`;
}

/** The source CA bundle beside the synthesized stack, as the DMS certificate reads it. */
export const SOURCE_CA_BUNDLE_FILE = 'source-ca-bundle.pem';

/**
 * What the S3 target's role must be allowed, by the DMS prerequisites: write, delete and tag objects, list the
 * bucket (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Target.S3.html#CHAP_Target.S3.Prerequisites, as
 * terraform-aws-modules/terraform-aws-dms grants them). No s3:GetObject: only S3 target validation reads the
 * target back, and it is off (see replicationTaskSettings).
 */
export const S3_TARGET_OBJECT_ACTIONS = ['s3:PutObject', 's3:DeleteObject', 's3:PutObjectTagging'];

/**
 * How long DMS gathers changes before it writes a change-log file to S3 (`CdcMaxBatchInterval`, seconds; also AWS's
 * default, https://docs.aws.amazon.com/dms/latest/APIReference/API_S3Settings.html): stated, because the freshness
 * target (a committed change queryable within 15 minutes) counts on it.
 */
export const CDC_MAX_BATCH_INTERVAL_SECONDS = 60;

/**
 * The task's table mappings: a selection rule for each contract table, then, for each, the transformation rule that adds
 * the change sequence (the `$AR_H_CHANGE_SEQ` header: a source timestamp followed by an incrementing number, so it orders
 * changes even within one transaction) as a column, numbered after the selection rules
 * (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Expressions.html,
 * "Adding a column using an expression" and "Replicating source table headers using expressions"; rule syntax in
 * https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Transformations.html).
 */
export function changeLogTableMappings(tables: readonly Table[], schema: string): { readonly rules: readonly object[] } {
  // dmsTableMappings is typed `object`; its shape is `{ rules }` (contract/lake.ts).
  const { rules: selection } = dmsTableMappings(tables, schema) as { readonly rules: readonly object[] };
  return { rules: [...selection, ...changeSequenceRules(tables, schema, selection.length + 1)] };
}

/**
 * Task settings: bounded error handling and logging of every component. No DMS data validation: on an S3 target it
 * runs Athena CTAS queries and creates Glue databases and tables with the task's role, needs date-partitioned
 * folders and a timestamp column for CDC, and "when AWS DMS data validation feature is used with an Amazon S3
 * target managed by AWS Lake Formation, the validation process fails"
 * (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Validating_S3.html; policy rule UH-AWS-DMS-003). The
 * release's smoke checks reconcile every table's count and checksum with the source instead, and a table error
 * suspends the table and then stops the task rather than skipping rows (UH-DMS-008).
 */
export function replicationTaskSettings(mode: MigrationMode): object {
  const components = [
    'SOURCE_UNLOAD',
    'TARGET_LOAD',
    'TASK_MANAGER',
    ...(mode === 'full-load-and-cdc' ? ['SOURCE_CAPTURE', 'TARGET_APPLY'] : []),
  ];
  return {
    TargetMetadata: { SupportLobs: false, FullLobMode: false, LimitedSizeLobMode: false },
    FullLoadSettings: { TargetTablePrepMode: 'DROP_AND_CREATE', MaxFullLoadSubTasks: 6, CommitRate: 10000 },
    Logging: {
      EnableLogging: true,
      LogComponents: components.map((Id) => ({ Id, Severity: 'LOGGER_SEVERITY_DEFAULT' })),
    },
    ValidationSettings: { EnableValidation: false },
    ErrorBehavior: {
      DataErrorPolicy: 'LOG_ERROR',
      DataTruncationErrorPolicy: 'LOG_ERROR',
      DataErrorEscalationPolicy: 'SUSPEND_TABLE',
      DataErrorEscalationCount: 50,
      TableErrorPolicy: 'SUSPEND_TABLE',
      TableErrorEscalationPolicy: 'STOP_TASK',
      TableErrorEscalationCount: 0,
      RecoverableErrorCount: 6,
      RecoverableErrorInterval: 5,
      RecoverableErrorThrottling: true,
      RecoverableErrorThrottlingMax: 1800,
      ApplyErrorDeletePolicy: 'LOG_ERROR',
      ApplyErrorInsertPolicy: 'LOG_ERROR',
      ApplyErrorUpdatePolicy: 'LOG_ERROR',
      FailOnNoTablesCaptured: true,
    },
  };
}

/**
 * The CloudWatch log group DMS Serverless writes a replication's logs to, named after its resource identifier (the
 * replication settings AWS returns name it, hashicorp/terraform-provider-aws#45376); created here first so that it
 * carries the logs key and the retention.
 */
export function serverlessLogGroupName(resourceIdentifier: string): string {
  return `dms-serverless-replication-${resourceIdentifier}`;
}

/**
 * DMS from the clinic's MySQL into the lake's raw zone as Parquet: private capacity (a replication instance and a task,
 * or a DMS Serverless replication configuration, by config), a MySQL source
 * whose credentials DMS reads from a Secrets Manager secret (filled by the seed loader's `--dms-user`, so no secret
 * value is in code, JSON or state) over TLS that verifies the server against the imported RDS CA bundle, an S3
 * target with SSE-KMS and millisecond timestamps, and a task whose table mappings come from the data contract.
 *
 * Every table is written as a change log, in every mode: each row carries its operation (`op`, full-load rows too),
 * DMS's commit time (`dms_commit_ts`) and the change sequence (`dms_change_seq`), so that a full load and its
 * changes read alike and the merge can order them (policy rule UH-AWS-DMS-006). A full load only (dev) writes the same
 * layout as a full load followed by change capture (prod).
 */
export class Migration extends Construct {
  readonly mode: MigrationMode;
  readonly securityGroup: ServiceSecurityGroup;
  /** The replication instance and its task, with `capacity.kind` 'instance'. */
  readonly instance?: DmsReplicationInstance;
  readonly task?: DmsReplicationTask;
  /** The DMS Serverless replication, with `capacity.kind` 'serverless'. */
  readonly replicationConfig?: DmsReplicationConfig;
  readonly sourceEndpoint: DmsEndpoint;
  readonly targetEndpoint: DmsS3Endpoint;
  readonly sourceSecret: SecretsmanagerSecret;
  /** The CA bundle DMS verifies the source's server certificate against. */
  readonly sourceCertificate: DmsCertificate;
  /** The role DMS writes the raw zone with. */
  readonly targetRole: ServiceRole;

  constructor(scope: Construct, id: string, props: MigrationProps) {
    super(scope, id);
    const { environment: env, storage, source } = props;
    const name = `${props.namePrefix}-dms`;
    this.mode = props.mode ?? 'full-load';
    const tables = props.tables ?? CLINIC_TABLES;

    this.securityGroup = new ServiceSecurityGroup(this, 'dms', {
      vpc: props.network.vpc,
      name,
      description: 'DMS replication instance: egress to MySQL, the VPC endpoints and S3 only',
    });
    source.allowMysqlFrom(this.securityGroup, 'DMS full load and change capture');
    props.network.allowHttpsToAwsApis(this.securityGroup, {
      services: INTERFACE_ENDPOINTS_OF.migration,
      endpoints: 'DMS reads the source secret from Secrets Manager',
      s3: 'DMS writes Parquet to the lake',
    });
    // DMS creates the group's network interfaces with the account's `dms-vpc-role`, which the account baseline owns
    // and has created before this stack is applied (see DmsAccountRoles).
    const subnetGroup = new DmsReplicationSubnetGroup(this, 'subnets', {
      replicationSubnetGroupId: name,
      replicationSubnetGroupDescription: 'Private subnets of the DMS replication instance',
      subnetIds: props.network.privateSubnetIds,
    });
    this.sourceSecret = new SecretsmanagerSecret(this, 'source-secret', {
      name: `${props.namePrefix}/dms/source`,
      description: 'MySQL credentials DMS reads with (host, port, username, password); filled by npm run seed -- --dms-user',
      kmsKeyId: props.databaseKey.arn,
      recoveryWindowInDays: 30,
    });
    const secretAccessRole = new ServiceRole(this, 'secret-access-role', {
      environment: env,
      roleName: `${name}-source-secret`,
      description: 'Lets DMS read the source secret and nothing else',
      trust: { kind: 'services', services: ['dms-regional'] },
      inlinePolicy: {
        name: 'read-source-secret',
        statements: [
          allow('ReadSourceSecret', ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], [this.sourceSecret.arn]),
          allow('DecryptSourceSecret', ['kms:Decrypt'], [props.databaseKey.arn], throughServices(env, 'secretsmanager')),
        ],
      },
    });
    // DMS's SSL table marks `require` "Not supported" for MySQL, MariaDB and Aurora MySQL; `verify-ca` and
    // `verify-full` are, with an imported CA certificate
    // (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Security.SSL.html; policy rule UH-AWS-DMS-001).
    // verify-full also checks that the host name in the secret is the one RDS's certificate was issued for.
    const caBundle = new StackFile(this, 'source-ca-bundle', {
      source: props.sourceCaBundleFile,
      fileName: SOURCE_CA_BUNDLE_FILE,
      whenMissing: `download the RDS CA bundle the deploy pipeline fetches: curl -fsSL ${rdsCaBundleUrl(env.region)} -o ${props.sourceCaBundleFile}`,
    });
    this.sourceCertificate = new DmsCertificate(this, 'source-ca', {
      // A new bundle (RDS adds CAs to it) is a new certificate: its id carries the content hash, and the new one is
      // imported and the endpoint moved to it before the old one is deleted, so the endpoint never names a deleted
      // certificate (DeleteCertificate may refuse one in use: InvalidResourceStateFault,
      // https://docs.aws.amazon.com/dms/latest/APIReference/API_DeleteCertificate.html).
      certificateId: `${name}-source-ca-${Fn.substr(Fn.filesha256(caBundle.path), 0, 12)}`,
      certificatePem: Fn.file(caBundle.path),
      lifecycle: { createBeforeDestroy: true },
    });
    this.sourceEndpoint = new DmsEndpoint(this, 'source', {
      endpointId: `${name}-mysql-source`,
      endpointType: 'source',
      engineName: 'mysql',
      databaseName: source.databaseName,
      secretsManagerArn: this.sourceSecret.arn,
      secretsManagerAccessRoleArn: secretAccessRole.arn,
      sslMode: 'verify-full',
      certificateArn: this.sourceCertificate.certificateArn,
      kmsKeyArn: props.databaseKey.arn,
    });

    // DMS writes S3 directly, so Lake Formation needs no grant for this role. It trusts both DMS principals: the S3
    // prerequisites name dms.amazonaws.com, endpoint roles are also assumed as the regional one (TRUSTED_SERVICES).
    const targetRole = new ServiceRole(this, 'target-role', {
      environment: env,
      roleName: rawZoneWriterRoleName(props.namePrefix),
      description: 'Lets DMS write Parquet into the raw zone of the lake only',
      trust: { kind: 'services', services: ['dms', 'dms-regional'] },
      inlinePolicy: {
        name: 'write-raw-zone',
        statements: [
          allow('WriteRawZone', S3_TARGET_OBJECT_ACTIONS, [storage.rawZoneObjectsArn]),
          allow(
            'ListRawZone',
            ['s3:ListBucket'],
            [storage.lakeBucket.arn],
            [{ test: 'StringLike', variable: 's3:prefix', values: [`${storage.rawZonePrefix}/*`] }],
          ),
          // kms:Decrypt as well: S3 needs it of whoever uploads an SSE-KMS object in parts
          // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions).
          allow('EncryptWithLakeKey', ['kms:GenerateDataKey', 'kms:Decrypt'], [storage.lakeKey.arn], throughServices(env, 's3')),
        ],
      },
    });
    this.targetRole = targetRole;
    this.targetEndpoint = new DmsS3Endpoint(this, 'target', {
      endpointId: `${name}-lake-raw-target`,
      endpointType: 'target',
      bucketName: storage.lakeBucket.name,
      bucketFolder: storage.rawZonePrefix,
      serviceAccessRoleArn: targetRole.arn,
      dataFormat: 'parquet',
      parquetVersion: 'parquet-2-0',
      parquetTimestampInMillisecond: true,
      compressionType: 'GZIP',
      encryptionMode: 'SSE_KMS',
      serverSideEncryptionKmsKeyId: storage.lakeKey.arn,
      addColumnName: true,
      // The change log's own columns: the operation of every row, full-load rows included (`I`), and the commit time
      // (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Target.S3.html#CHAP_Target.S3.Configuring).
      includeOpForFullLoad: true,
      timestampColumnName: CHANGE_LOG_COLUMNS.commitTime,
      cdcMaxBatchInterval: CDC_MAX_BATCH_INTERVAL_SECONDS,
      dependsOn: [targetRole.role],
    });

    const replication = {
      sourceEndpointArn: this.sourceEndpoint.endpointArn,
      targetEndpointArn: this.targetEndpoint.endpointArn,
      tableMappings: JSON.stringify(changeLogTableMappings(tables, source.databaseName)),
    };
    const logs = { retentionInDays: props.logRetentionDays, kmsKeyId: props.logsKey.arn };
    const { capacity } = props;
    if (capacity.kind === 'instance') {
      new CloudwatchLogGroup(this, 'task-logs', { name: `dms-tasks-${name}`, ...logs });
      this.instance = new DmsReplicationInstance(this, 'instance', {
        replicationInstanceId: name,
        replicationInstanceClass: capacity.replicationInstanceClass,
        allocatedStorage: capacity.allocatedStorageGiB,
        kmsKeyArn: props.databaseKey.arn,
        multiAz: capacity.multiAz,
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
        replicationSubnetGroupId: subnetGroup.replicationSubnetGroupId,
        vpcSecurityGroupIds: [this.securityGroup.id],
        tags: { Name: name },
      });
      this.task = new DmsReplicationTask(this, 'task', {
        replicationTaskId: `${name}-${source.databaseName}-to-raw`,
        migrationType: this.mode,
        replicationInstanceArn: this.instance.replicationInstanceArn,
        ...replication,
        replicationTaskSettings: JSON.stringify(replicationTaskSettings(this.mode)),
        startReplicationTask: false,
      });
    } else {
      // DMS provisions capacity when the replication starts and deprovisions it after it has stopped; no replication
      // instance exists between releases. Serverless replications have no public address
      // (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Serverless.Limitations.html) and manage their engine
      // version themselves.
      const identifier = `${name}-to-raw`;
      const logGroup = new CloudwatchLogGroup(this, 'replication-logs', { name: serverlessLogGroupName(identifier), ...logs });
      this.replicationConfig = new DmsReplicationConfig(this, 'replication', {
        replicationConfigIdentifier: identifier,
        resourceIdentifier: identifier,
        replicationType: this.mode,
        ...replication,
        replicationSettings: JSON.stringify(replicationTaskSettings(this.mode)),
        computeConfig: {
          replicationSubnetGroupId: subnetGroup.replicationSubnetGroupId,
          vpcSecurityGroupIds: [this.securityGroup.id],
          kmsKeyId: props.databaseKey.arn,
          minCapacityUnits: capacity.minCapacityUnits,
          maxCapacityUnits: capacity.maxCapacityUnits,
          multiAz: capacity.multiAz,
        },
        startReplication: false,
        tags: { Name: identifier },
        dependsOn: [logGroup],
      });
    }
  }

  /** The task's resource identifier, the `ReplicationTaskIdentifier` dimension of its CloudWatch metrics. */
  get taskResourceId(): string {
    if (!this.task) throw new Error('a DMS Serverless replication has no replication task');
    return Token.asString(Fn.element(Fn.split(':', this.task.replicationTaskArn), 6));
  }
}
