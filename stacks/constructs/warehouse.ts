import { Construct } from 'constructs';
import { RedshiftserverlessNamespace } from '@cdktf/provider-aws/lib/redshiftserverless-namespace';
import { RedshiftserverlessWorkgroup } from '@cdktf/provider-aws/lib/redshiftserverless-workgroup';
import { RedshiftserverlessUsageLimit } from '@cdktf/provider-aws/lib/redshiftserverless-usage-limit';
import { WarehouseConfig } from '../../config/types';
import { PERSONA_ROLE_SUFFIX } from '../../contract/lake';
import { AwsEnvironment, glueDatabaseArns } from '../core/aws-environment';
import { INTERFACE_ENDPOINTS_OF } from '../core/interface-endpoints';
import { allow, catalogKeyThroughGlue, lakeFormationDataAccess } from '../core/policy-document';
import { ServiceRole } from '../core/service-role';
import { Catalog } from './catalog';
import { CustomerManagedKey } from './customer-managed-key';
import { Network } from './network';
import { ServiceSecurityGroup } from './service-security-group';

/**
 * Every workgroup parameter AWS returns, with this platform's values: TLS required and user activity logged, the
 * others at their documented defaults (API_CreateWorkgroup ConfigParameter; AWS::RedshiftServerless::Workgroup
 * ConfigParameter). Declaring all of them keeps a new workgroup exactly as reviewed.
 */
export const WORKGROUP_PARAMETERS: Readonly<Record<string, string>> = {
  auto_mv: 'true',
  datestyle: 'ISO, MDY',
  enable_case_sensitive_identifier: 'false',
  enable_user_activity_logging: 'true',
  max_query_execution_time: '14400',
  query_group: 'default',
  require_ssl: 'true',
  search_path: '$user, public',
  use_fips_ssl: 'false',
};

export interface WarehouseProps extends WarehouseConfig {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  /** The workgroup sits in the network's private subnets (Redshift Serverless wants three AZs). */
  readonly network: Network;
  /**
   * The catalog whose main database the Spectrum role reads, through Lake Formation: the current-state tables, Apache
   * Iceberg, which Redshift Spectrum and Redshift Serverless query as external tables of a Glue database
   * (https://docs.aws.amazon.com/redshift/latest/dg/querying-iceberg.html), merge-on-read deletes included (Athena's
   * MERGE writes position deletes). The change-log database is never granted to it.
   */
  readonly catalog: Catalog;
  /** Key of the namespace's storage and its admin secret. */
  readonly databaseKey: CustomerManagedKey;
  /** @default 'clinic' */
  readonly databaseName?: string;
}

/** What Redshift Spectrum reads of the catalog: databases, tables and their partitions. */
const SPECTRUM_CATALOG_ACTIONS = [
  'glue:GetDatabase',
  'glue:GetDatabases',
  'glue:GetTable',
  'glue:GetTables',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:BatchGetPartition',
];

/**
 * Redshift Serverless reading the lake as external tables: a namespace encrypted with a customer-managed key whose
 * admin password AWS manages in Secrets Manager, with user, connection and activity logs exported; a private
 * workgroup with enhanced VPC routing and TLS required; a monthly RPU-hours limit that deactivates it (cost guard).
 * The external schema itself is SQL run by the post-release script (see `externalSchemaSql`).
 */
export class Warehouse extends Construct {
  readonly namespace: RedshiftserverlessNamespace;
  readonly workgroup: RedshiftserverlessWorkgroup;
  readonly spectrumRole: ServiceRole;
  readonly securityGroup: ServiceSecurityGroup;
  readonly databaseName: string;

  constructor(scope: Construct, id: string, props: WarehouseProps) {
    super(scope, id);
    const { environment: env, catalog, network } = props;
    const name = `${props.namePrefix}-warehouse`;
    this.databaseName = props.databaseName ?? 'clinic';

    this.spectrumRole = new ServiceRole(this, 'spectrum-role', {
      environment: env,
      roleName: `${props.namePrefix}-${PERSONA_ROLE_SUFFIX.redshift}`,
      description: 'Redshift Serverless reads the lake catalog through Lake Formation with this role',
      trust: { kind: 'services', services: ['redshift', 'redshift-serverless'] },
      inlinePolicy: {
        name: 'read-lake-catalog',
        statements: [
          allow('ReadCatalog', SPECTRUM_CATALOG_ACTIONS, glueDatabaseArns(env, catalog.database.name)),
          lakeFormationDataAccess(),
          catalogKeyThroughGlue(env, catalog.catalogKeyAlias),
          // No S3 or lake-key permission: Spectrum reads the registered raw zone with the credentials Lake Formation
          // vends, as the registration role (https://docs.aws.amazon.com/lake-formation/latest/dg/working-with-services.html),
          // the one principal the lake bucket and key let read lake data (policy rule UH-AWS-LF-001).
        ],
      },
    });

    this.securityGroup = new ServiceSecurityGroup(this, 'redshift', {
      vpc: network.vpc,
      name,
      description: 'Redshift Serverless workgroup: no inbound rules; egress to the VPC endpoints and S3 only',
    });
    network.allowHttpsToAwsApis(this.securityGroup, {
      services: INTERFACE_ENDPOINTS_OF.warehouse,
      endpoints: 'Redshift to Glue and Lake Formation',
      s3: 'Redshift Spectrum reads the lake',
    });

    this.namespace = new RedshiftserverlessNamespace(this, 'namespace', {
      namespaceName: name,
      dbName: this.databaseName,
      adminUsername: 'clinic_admin',
      manageAdminPassword: true,
      adminPasswordSecretKmsKeyId: props.databaseKey.arn,
      kmsKeyId: props.databaseKey.arn,
      iamRoles: [this.spectrumRole.arn],
      defaultIamRoleArn: this.spectrumRole.arn,
      logExports: ['userlog', 'connectionlog', 'useractivitylog'],
    });
    this.workgroup = new RedshiftserverlessWorkgroup(this, 'workgroup', {
      workgroupName: name,
      namespaceName: this.namespace.namespaceName,
      baseCapacity: props.baseRpu,
      maxCapacity: props.maxRpu,
      enhancedVpcRouting: true,
      publiclyAccessible: false,
      subnetIds: network.privateSubnetIds,
      securityGroupIds: [this.securityGroup.id],
      configParameter: Object.entries(WORKGROUP_PARAMETERS).map(([parameterKey, parameterValue]) => ({ parameterKey, parameterValue })),
      // AWS returns every parameter, newer ones included that provider 5.100.0 cannot declare
      // (enable_large_strings_opt_in): without this, every plan removes them and the update fails with "You didn't
      // specify any changes" (hashicorp/terraform-provider-aws#33692, #49939). Policy rule UH-AWS-RS-001 checks the
      // declared values instead.
      lifecycle: { ignoreChanges: ['config_parameter'] },
    });
    new RedshiftserverlessUsageLimit(this, 'usage-limit', {
      resourceArn: this.workgroup.arn,
      usageType: 'serverless-compute',
      amount: props.monthlyRpuHoursLimit,
      period: 'monthly',
      breachAction: 'deactivate',
    });
  }
}
