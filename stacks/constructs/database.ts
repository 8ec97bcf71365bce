import { Construct } from 'constructs';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { DbOptionGroup } from '@cdktf/provider-aws/lib/db-option-group';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DatabaseConfig } from '../../config/types';
import { SOURCE_SCHEMA } from '../../contract/lake';
import { CustomerManagedKey } from './customer-managed-key';
import { Network } from './network';
import { ServiceSecurityGroup } from './service-security-group';

export const MYSQL_PORT = 3306;

/** Classes on which RDS for MySQL offers no Performance Insights / Database Insights. */
const CLASSES_WITHOUT_PERFORMANCE_INSIGHTS = /^db\.(t2|t3|t4g)\.(micro|small)$/;

export function supportsPerformanceInsights(instanceClass: string): boolean {
  return !CLASSES_WITHOUT_PERFORMANCE_INSIGHTS.test(instanceClass);
}

/**
 * Server settings, all dynamic. TLS is mandatory; the binary log is what DMS change capture reads, so it is row-based with full
 * row images and no event checksums (DMS's MySQL source requirements).
 */
export const MYSQL_PARAMETERS: Readonly<Record<string, string>> = {
  require_secure_transport: '1',
  binlog_format: 'ROW',
  binlog_row_image: 'FULL',
  binlog_checksum: 'NONE',
  slow_query_log: '1',
  long_query_time: '2',
  log_output: 'FILE',
  character_set_server: 'utf8mb4',
  collation_server: 'utf8mb4_0900_ai_ci',
};

/** Audit events: logins, schema and grant changes, and every DML statement including SELECT (who read PHI). */
export const AUDIT_EVENTS = 'CONNECT,QUERY_DDL,QUERY_DCL,QUERY_DML';

export interface DatabaseProps extends Omit<DatabaseConfig, 'engineVersion'>, Partial<Pick<DatabaseConfig, 'engineVersion'>> {
  readonly namePrefix: string;
  /** The instance sits in the network's private subnets. */
  readonly network: Network;
  /** @default 'clinic_admin' */
  readonly masterUsername?: string;
  /** Key for storage, the master secret and Performance Insights. */
  readonly databaseKey: CustomerManagedKey;
  /** Key for the exported CloudWatch log groups. */
  readonly logsKey: CustomerManagedKey;
  readonly logRetentionDays: number;
  /**
   * TLS certificate authority of the instance; the seed loader verifies the server against its bundle.
   * @default 'rds-ca-rsa2048-g1'
   */
  readonly caCertIdentifier?: string;
}

/**
 * The clinic's operational MySQL on RDS: private, encrypted with the database key, TLS-only, master password
 * managed by RDS in Secrets Manager (never in code or state), IAM authentication, and logs exported to encrypted
 * CloudWatch log groups created here first so they carry the key and retention.
 */
export class Database extends Construct {
  readonly instance: DbInstance;
  readonly securityGroup: ServiceSecurityGroup;
  /** The clinic's schema, the one the data contract and DMS read (`SOURCE_SCHEMA`). */
  readonly databaseName: string = SOURCE_SCHEMA;
  /** ARN of the RDS-managed Secrets Manager secret holding the master credentials. */
  readonly masterSecretArn: string;
  readonly logGroups: CloudwatchLogGroup[];

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const identifier = `${props.namePrefix}-mysql`;
    const engineVersion = props.engineVersion ?? '8.4';
    const family = `mysql${engineVersion}`;

    this.securityGroup = new ServiceSecurityGroup(this, 'mysql', {
      vpc: props.network.vpc,
      name: identifier,
      description: 'RDS MySQL: port 3306 from the named client services only',
    });
    const subnetGroup = new DbSubnetGroup(this, 'subnets', {
      name: identifier,
      description: 'Private subnets of the clinic database',
      subnetIds: props.network.privateSubnetIds,
    });
    const parameterGroup = new DbParameterGroup(this, 'parameters', {
      name: `${identifier}-${family.replace('.', '-')}`,
      family,
      description: 'TLS required; row-based binary log for DMS',
      parameter: Object.entries(MYSQL_PARAMETERS).map(([name, value]) => ({
        name,
        value,
        applyMethod: 'immediate',
      })),
      lifecycle: { createBeforeDestroy: true },
    });

    const logExports = ['error', 'slowquery', ...(props.auditLog ? ['audit'] : [])];
    this.logGroups = logExports.map(
      (log) =>
        new CloudwatchLogGroup(this, `log-${log}`, {
          name: `/aws/rds/instance/${identifier}/${log}`,
          retentionInDays: props.logRetentionDays,
          kmsKeyId: props.logsKey.arn,
        }),
    );

    const optionGroup = props.auditLog
      ? new DbOptionGroup(this, 'options', {
          name: `${identifier}-audit-${family.replace('.', '-')}`,
          optionGroupDescription: 'MariaDB Audit Plugin: who connected and what they read or changed',
          engineName: 'mysql',
          majorEngineVersion: engineVersion,
          option: [
            {
              optionName: 'MARIADB_AUDIT_PLUGIN',
              optionSettings: [
                { name: 'SERVER_AUDIT_EVENTS', value: AUDIT_EVENTS },
                { name: 'SERVER_AUDIT_EXCL_USERS', value: 'rdsadmin' },
              ],
            },
          ],
          lifecycle: { createBeforeDestroy: true },
        })
      : undefined;

    const performanceInsights = supportsPerformanceInsights(props.instanceClass);
    this.instance = new DbInstance(this, 'instance', {
      identifier,
      engine: 'mysql',
      engineVersion,
      // 8.0 left RDS standard support on 2026-07-31: it runs only in paid Extended Support, stated so it is a visible
      // choice; on 8.4 (standard support) a version past its end would stop rather than start billing.
      engineLifecycleSupport: engineVersion === '8.0' ? 'open-source-rds-extended-support' : 'open-source-rds-extended-support-disabled',
      autoMinorVersionUpgrade: true,
      instanceClass: props.instanceClass,
      dbName: this.databaseName,
      username: props.masterUsername ?? 'clinic_admin',
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: props.databaseKey.arn,
      iamDatabaseAuthenticationEnabled: true,
      port: MYSQL_PORT,
      storageType: 'gp3',
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      storageEncrypted: true,
      kmsKeyId: props.databaseKey.arn,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      publiclyAccessible: false,
      parameterGroupName: parameterGroup.name,
      optionGroupName: optionGroup?.name,
      caCertIdentifier: props.caCertIdentifier ?? 'rds-ca-rsa2048-g1',
      multiAz: props.multiAz,
      backupRetentionPeriod: props.backupRetentionDays,
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection,
      skipFinalSnapshot: !props.keepFinalSnapshot,
      finalSnapshotIdentifier: props.keepFinalSnapshot ? `${identifier}-final` : undefined,
      deleteAutomatedBackups: !props.keepFinalSnapshot,
      enabledCloudwatchLogsExports: logExports,
      performanceInsightsEnabled: performanceInsights,
      performanceInsightsKmsKeyId: performanceInsights ? props.databaseKey.arn : undefined,
      performanceInsightsRetentionPeriod: performanceInsights ? 7 : undefined,
      dependsOn: this.logGroups,
      tags: { Name: identifier },
    });
    this.masterSecretArn = this.instance.masterUserSecret.get(0).secretArn;
  }

  /** Lets a client service reach MySQL on 3306. */
  allowMysqlFrom(client: ServiceSecurityGroup, purpose: string): void {
    this.securityGroup.allowTcpFrom(client, MYSQL_PORT, purpose);
  }
}
