import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { RedshiftserverlessNamespace } from '@cdktf/provider-aws/lib/redshiftserverless-namespace';
import { RedshiftserverlessWorkgroup } from '@cdktf/provider-aws/lib/redshiftserverless-workgroup';
import { RedshiftserverlessUsageLimit } from '@cdktf/provider-aws/lib/redshiftserverless-usage-limit';
import { AwsEnvironment, glueArn } from '../core/aws-environment';
import { policyDocument, throughServices } from '../core/policy-document';
import { ServiceSecurityGroup } from './service-security-group';

export interface WarehouseProps {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  readonly vpcId: string;
  /** Private subnets in at least three AZs. */
  readonly subnetIds: readonly string[];
  readonly baseRpu: number;
  readonly maxRpu: number;
  readonly monthlyRpuHoursLimit: number;
  /** Key of the namespace's storage and its admin secret. */
  readonly databaseKeyArn: string;
  readonly lakeKeyArn: string;
  /** Glue database the Spectrum role reads. */
  readonly glueDatabaseName: string;
  /** @default 'clinic' */
  readonly databaseName?: string;
}

/**
 * Redshift Serverless reading the lake as external tables: a namespace encrypted with a customer-managed key whose
 * admin password AWS manages in Secrets Manager, with user, connection and activity logs exported; a private
 * workgroup with enhanced VPC routing and TLS required; a monthly RPU-hours limit that deactivates it (cost guard).
 * The external schema itself is SQL run by the post-release script (see `externalSchemaSql`).
 */
export class Warehouse extends Construct {
  readonly namespace: RedshiftserverlessNamespace;
  readonly workgroup: RedshiftserverlessWorkgroup;
  readonly spectrumRole: IamRole;
  readonly securityGroup: ServiceSecurityGroup;
  readonly databaseName: string;

  constructor(scope: Construct, id: string, props: WarehouseProps) {
    super(scope, id);
    const env = props.environment;
    const name = `${props.namePrefix}-warehouse`;
    this.databaseName = props.databaseName ?? 'clinic';

    this.spectrumRole = new IamRole(this, 'spectrum-role', {
      name: `${props.namePrefix}-redshift-spectrum`,
      description: 'Redshift Serverless reads the lake catalog through Lake Formation with this role',
      assumeRolePolicy: policyDocument(this, 'spectrum-trust', [
        {
          sid: 'TrustedService',
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['redshift.amazonaws.com', 'redshift-serverless.amazonaws.com'] }],
          condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [env.accountId] }],
        },
      ]).json,
    });
    new IamRolePolicy(this, 'spectrum-policy', {
      role: this.spectrumRole.name,
      name: 'read-lake-catalog',
      policy: policyDocument(this, 'spectrum-access', [
        {
          sid: 'ReadCatalog',
          effect: 'Allow',
          actions: [
            'glue:GetDatabase',
            'glue:GetDatabases',
            'glue:GetTable',
            'glue:GetTables',
            'glue:GetPartition',
            'glue:GetPartitions',
            'glue:BatchGetPartition',
          ],
          resources: [
            glueArn(env, 'catalog'),
            glueArn(env, `database/${props.glueDatabaseName}`),
            glueArn(env, `table/${props.glueDatabaseName}/*`),
          ],
        },
        { sid: 'LakeFormationCredentials', effect: 'Allow', actions: ['lakeformation:GetDataAccess'], resources: ['*'] },
        {
          sid: 'LakeKeyThroughServices',
          effect: 'Allow',
          actions: ['kms:Decrypt'],
          resources: [props.lakeKeyArn],
          condition: throughServices(env, 's3', 'glue'),
        },
      ]).json,
    });

    this.securityGroup = new ServiceSecurityGroup(this, 'redshift', {
      vpcId: props.vpcId,
      name,
      description: 'Redshift Serverless workgroup: no inbound rules; egress to the VPC endpoints and S3 only',
    });

    this.namespace = new RedshiftserverlessNamespace(this, 'namespace', {
      namespaceName: name,
      dbName: this.databaseName,
      adminUsername: 'clinic_admin',
      manageAdminPassword: true,
      adminPasswordSecretKmsKeyId: props.databaseKeyArn,
      kmsKeyId: props.databaseKeyArn,
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
      subnetIds: [...props.subnetIds],
      securityGroupIds: [this.securityGroup.id],
      configParameter: [
        { parameterKey: 'require_ssl', parameterValue: 'true' },
        { parameterKey: 'enable_user_activity_logging', parameterValue: 'true' },
      ],
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
