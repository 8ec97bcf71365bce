import { Construct } from 'constructs';
import { Fn, ITerraformDependable } from 'cdktf';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { DmsReplicationSubnetGroup } from '@cdktf/provider-aws/lib/dms-replication-subnet-group';
import { DmsReplicationInstance } from '@cdktf/provider-aws/lib/dms-replication-instance';
import { DmsEndpoint } from '@cdktf/provider-aws/lib/dms-endpoint';
import { DmsS3Endpoint } from '@cdktf/provider-aws/lib/dms-s3-endpoint';
import { DmsReplicationTask } from '@cdktf/provider-aws/lib/dms-replication-task';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { MigrationMode } from '../../config/types';
import { Table } from '../../contract/clinic';
import { SOURCE_SCHEMA, dmsTableMappings } from '../../contract/lake';
import { AwsEnvironment, regionalServiceName } from '../core/aws-environment';
import { policyDocument, serviceTrustStatement, throughServices } from '../core/policy-document';
import { ServiceSecurityGroup } from './service-security-group';

export interface MigrationProps {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly tables: readonly Table[];
  readonly replicationInstanceClass: string;
  readonly allocatedStorageGiB: number;
  readonly multiAz: boolean;
  /** @default 'full-load' */
  readonly mode?: MigrationMode;
  /** Create the account-level `dms-vpc-role` and `dms-cloudwatch-logs-role`. */
  readonly createServiceRoles: boolean;
  /** Key of the replication instance storage and the source secret. */
  readonly databaseKeyArn: string;
  readonly lakeKeyArn: string;
  readonly logsKeyArn: string;
  readonly logRetentionDays: number;
  readonly lakeBucketName: string;
  readonly lakeBucketArn: string;
  readonly rawZonePrefix: string;
  readonly sourceDatabaseName: string;
}

/** Task settings: validation on, bounded error handling, and logging of every component. */
export function replicationTaskSettings(mode: MigrationMode): object {
  const components = [
    'SOURCE_UNLOAD',
    'TARGET_LOAD',
    'TASK_MANAGER',
    'VALIDATOR_EXT',
    ...(mode === 'full-load-and-cdc' ? ['SOURCE_CAPTURE', 'TARGET_APPLY'] : []),
  ];
  return {
    TargetMetadata: { SupportLobs: false, FullLobMode: false, LimitedSizeLobMode: false },
    FullLoadSettings: { TargetTablePrepMode: 'DROP_AND_CREATE', MaxFullLoadSubTasks: 6, CommitRate: 10000 },
    Logging: {
      EnableLogging: true,
      LogComponents: components.map((Id) => ({ Id, Severity: 'LOGGER_SEVERITY_DEFAULT' })),
    },
    ValidationSettings: {
      EnableValidation: true,
      ValidationMode: 'ROW_LEVEL',
      ThreadCount: 5,
      FailureMaxCount: 10000,
      TableFailureMaxCount: 1000,
    },
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
 * DMS from the clinic's MySQL into the lake's raw zone as Parquet: a private replication instance, a MySQL source
 * whose credentials DMS reads from a Secrets Manager secret (filled by the seed loader's `--dms-user`, so no secret
 * value is in code, JSON or state), an S3 target with SSE-KMS and millisecond timestamps, and a task whose table
 * mappings come from the data contract.
 */
export class Migration extends Construct {
  readonly securityGroup: ServiceSecurityGroup;
  readonly instance: DmsReplicationInstance;
  readonly sourceEndpoint: DmsEndpoint;
  readonly targetEndpoint: DmsS3Endpoint;
  readonly task: DmsReplicationTask;
  readonly sourceSecret: SecretsmanagerSecret;
  /** Role DMS uses to write the raw zone; Lake Formation needs no grant for it (it writes S3 directly). */
  readonly targetRole: IamRole;
  readonly taskId: string;

  constructor(scope: Construct, id: string, props: MigrationProps) {
    super(scope, id);
    const env = props.environment;
    const name = `${props.namePrefix}-dms`;
    const mode = props.mode ?? 'full-load';
    const dmsPrincipal = regionalServiceName(env, 'dms');

    const roles: ITerraformDependable[] = [];
    if (props.createServiceRoles) {
      for (const [roleName, policy] of [
        ['dms-vpc-role', 'AmazonDMSVPCManagementRole'],
        ['dms-cloudwatch-logs-role', 'AmazonDMSCloudWatchLogsRole'],
      ]) {
        const role = new IamRole(this, roleName, {
          name: roleName,
          description: 'Account-level role DMS requires under this exact name',
          assumeRolePolicy: policyDocument(this, `${roleName}-trust`, [
            {
              sid: 'TrustedService',
              effect: 'Allow',
              actions: ['sts:AssumeRole'],
              principals: [{ type: 'Service', identifiers: ['dms.amazonaws.com'] }],
            },
          ]).json,
        });
        roles.push(
          role,
          new IamRolePolicyAttachment(this, `${roleName}-policy`, {
            role: role.name,
            policyArn: `arn:${env.partition}:iam::aws:policy/service-role/${policy}`,
          }),
        );
      }
    }

    const serviceRoles = roles.length > 0 ? roles : undefined;

    this.securityGroup = new ServiceSecurityGroup(this, 'dms', {
      vpcId: props.vpcId,
      name,
      description: 'DMS replication instance: egress to MySQL, the VPC endpoints and S3 only',
    });
    const subnetGroup = new DmsReplicationSubnetGroup(this, 'subnets', {
      replicationSubnetGroupId: name,
      replicationSubnetGroupDescription: 'Private subnets of the DMS replication instance',
      subnetIds: [...props.subnetIds],
      dependsOn: serviceRoles,
    });
    new CloudwatchLogGroup(this, 'task-logs', {
      name: `dms-tasks-${name}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logsKeyArn,
    });
    this.instance = new DmsReplicationInstance(this, 'instance', {
      replicationInstanceId: name,
      replicationInstanceClass: props.replicationInstanceClass,
      allocatedStorage: props.allocatedStorageGiB,
      kmsKeyArn: props.databaseKeyArn,
      multiAz: props.multiAz,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      replicationSubnetGroupId: subnetGroup.replicationSubnetGroupId,
      vpcSecurityGroupIds: [this.securityGroup.id],
      dependsOn: serviceRoles,
      tags: { Name: name },
    });

    this.sourceSecret = new SecretsmanagerSecret(this, 'source-secret', {
      name: `${props.namePrefix}/dms/source`,
      description: 'MySQL credentials DMS reads with (host, port, username, password); filled by npm run seed -- --dms-user',
      kmsKeyId: props.databaseKeyArn,
      recoveryWindowInDays: 30,
    });
    const secretAccess = new IamRole(this, 'secret-access-role', {
      name: `${name}-source-secret`,
      description: 'Lets DMS read the source secret and nothing else',
      assumeRolePolicy: policyDocument(this, 'secret-access-trust', [serviceTrustStatement(dmsPrincipal, env.accountId)]).json,
    });
    new IamRolePolicy(this, 'secret-access-policy', {
      role: secretAccess.name,
      name: 'read-source-secret',
      policy: policyDocument(this, 'secret-access', [
        {
          sid: 'ReadSourceSecret',
          effect: 'Allow',
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [this.sourceSecret.arn],
        },
        {
          sid: 'DecryptSourceSecret',
          effect: 'Allow',
          actions: ['kms:Decrypt'],
          resources: [props.databaseKeyArn],
          condition: throughServices(env, 'secretsmanager'),
        },
      ]).json,
    });
    this.sourceEndpoint = new DmsEndpoint(this, 'source', {
      endpointId: `${name}-mysql-source`,
      endpointType: 'source',
      engineName: 'mysql',
      databaseName: props.sourceDatabaseName,
      secretsManagerArn: this.sourceSecret.arn,
      secretsManagerAccessRoleArn: secretAccess.arn,
      sslMode: 'require',
      kmsKeyArn: props.databaseKeyArn,
    });

    const rawObjects = `${props.lakeBucketArn}/${props.rawZonePrefix}/*`;
    this.targetRole = new IamRole(this, 'target-role', {
      name: `${name}-raw-zone-writer`,
      description: 'Lets DMS write Parquet into the raw zone of the lake only',
      assumeRolePolicy: policyDocument(this, 'target-trust', [serviceTrustStatement(dmsPrincipal, env.accountId)]).json,
    });
    new IamRolePolicy(this, 'target-policy', {
      role: this.targetRole.name,
      name: 'write-raw-zone',
      policy: policyDocument(this, 'target-access', [
        { sid: 'WriteRawZone', effect: 'Allow', actions: ['s3:PutObject', 's3:DeleteObject', 's3:GetObject'], resources: [rawObjects] },
        {
          sid: 'ListRawZone',
          effect: 'Allow',
          actions: ['s3:ListBucket'],
          resources: [props.lakeBucketArn],
          condition: [{ test: 'StringLike', variable: 's3:prefix', values: [`${props.rawZonePrefix}/*`] }],
        },
        {
          sid: 'EncryptWithLakeKey',
          effect: 'Allow',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [props.lakeKeyArn],
          condition: throughServices(env, 's3'),
        },
      ]).json,
    });
    this.targetEndpoint = new DmsS3Endpoint(this, 'target', {
      endpointId: `${name}-lake-raw-target`,
      endpointType: 'target',
      bucketName: props.lakeBucketName,
      bucketFolder: props.rawZonePrefix,
      serviceAccessRoleArn: this.targetRole.arn,
      dataFormat: 'parquet',
      parquetVersion: 'parquet-2-0',
      parquetTimestampInMillisecond: true,
      compressionType: 'GZIP',
      encryptionMode: 'SSE_KMS',
      serverSideEncryptionKmsKeyId: props.lakeKeyArn,
      addColumnName: true,
      includeOpForFullLoad: mode === 'full-load-and-cdc',
      timestampColumnName: mode === 'full-load-and-cdc' ? 'dms_commit_ts' : undefined,
      dependsOn: [this.targetRole],
    });

    this.taskId = `${name}-${SOURCE_SCHEMA}-to-raw`;
    this.task = new DmsReplicationTask(this, 'task', {
      replicationTaskId: this.taskId,
      migrationType: mode,
      replicationInstanceArn: this.instance.replicationInstanceArn,
      sourceEndpointArn: this.sourceEndpoint.endpointArn,
      targetEndpointArn: this.targetEndpoint.endpointArn,
      tableMappings: JSON.stringify(dmsTableMappings(props.tables, props.sourceDatabaseName)),
      replicationTaskSettings: JSON.stringify(replicationTaskSettings(mode)),
      startReplicationTask: false,
    });
  }

  /** The task's resource identifier, the `ReplicationTaskIdentifier` dimension of its CloudWatch metrics. */
  get taskResourceId(): string {
    return Fn.element(Fn.split(':', this.task.replicationTaskArn), 6);
  }
}
