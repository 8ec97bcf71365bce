import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { IamGroup } from '@cdktf/provider-aws/lib/iam-group';
import { IamGroupPolicy } from '@cdktf/provider-aws/lib/iam-group-policy';
import { IamGroupMembership } from '@cdktf/provider-aws/lib/iam-group-membership';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LakeformationDataLakeSettings } from '@cdktf/provider-aws/lib/lakeformation-data-lake-settings';
import { LakeformationResource } from '@cdktf/provider-aws/lib/lakeformation-resource';
import { LakeformationPermissions } from '@cdktf/provider-aws/lib/lakeformation-permissions';
import { Table } from '../../contract/clinic';
import { grantableColumns } from '../../contract/lake';
import { AwsEnvironment, accountRootArn, glueArn } from '../core/aws-environment';
import { policyDocument, serviceTrustStatement, throughServices } from '../core/policy-document';

export interface GovernanceProps {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  /** The deploying (CI) role, made a Lake Formation admin so Terraform can grant. */
  readonly deployRoleArn: string;
  /** Existing IAM users placed in the LakeAdministrators group. @default [] */
  readonly lakeAdministratorUsers?: readonly string[];
  /** Principals allowed to assume the analyst role. */
  readonly analystTrustedPrincipalArns: readonly string[];
  readonly lakeBucketArn: string;
  readonly rawZonePrefix: string;
  readonly lakeKeyArn: string;
}

/** A catalog table: its contract definition and its name as a reference to the Glue table resource. */
export interface CatalogTableRef {
  readonly contract: Table;
  /** Token of the Glue table's name, so grants wait for the table to exist. */
  readonly name: string;
}

export interface ReaderGrant {
  /** Role granted SELECT on every contract table, without direct patient identifiers. */
  readonly roleArn: string;
  /** Short name used in resource ids. */
  readonly name: string;
}

/**
 * Lake Formation governance. The data-lake settings (an account-wide singleton) make two roles the lake admins and
 * leave no IAMAllowedPrincipals defaults, so Lake Formation permissions, column grants included, are what decide
 * access. People who run the lake are in the IAM group `LakeAdministrators`, whose members may assume the
 * lake-admin role only with MFA. The lake bucket is registered with a dedicated role.
 */
export class Governance extends Construct {
  readonly settings: LakeformationDataLakeSettings;
  readonly lakeAdminRole: IamRole;
  readonly analystRole: IamRole;
  readonly registrationRole: IamRole;
  readonly group: IamGroup;
  private readonly lastGrant: ITerraformDependable[] = [];
  private readonly env: AwsEnvironment;
  private readonly lakeKeyArn: string;
  private readonly registration: LakeformationResource;

  constructor(scope: Construct, id: string, props: GovernanceProps) {
    super(scope, id);
    const env = props.environment;
    this.env = env;
    this.lakeKeyArn = props.lakeKeyArn;
    const root = accountRootArn(env);

    this.lakeAdminRole = new IamRole(this, 'lake-admin-role', {
      name: `${props.namePrefix}-lake-admin`,
      description: 'Lake Formation data lake administrator; assumed by LakeAdministrators members with MFA',
      maxSessionDuration: 3600,
      assumeRolePolicy: policyDocument(this, 'lake-admin-trust', [
        {
          sid: 'AccountPrincipalsWithMfa',
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'AWS', identifiers: [root] }],
          condition: [
            { test: 'Bool', variable: 'aws:MultiFactorAuthPresent', values: ['true'] },
            { test: 'NumericLessThan', variable: 'aws:MultiFactorAuthAge', values: ['3600'] },
          ],
        },
      ]).json,
    });
    new IamRolePolicy(this, 'lake-admin-policy', {
      role: this.lakeAdminRole.name,
      name: 'administer-lake-formation',
      policy: policyDocument(this, 'lake-admin-access', [
        {
          sid: 'AdministerLakeFormation',
          effect: 'Allow',
          actions: [
            'lakeformation:Get*',
            'lakeformation:List*',
            'lakeformation:Describe*',
            'lakeformation:Search*',
            'lakeformation:GrantPermissions',
            'lakeformation:RevokePermissions',
            'lakeformation:BatchGrantPermissions',
            'lakeformation:BatchRevokePermissions',
          ],
          resources: ['*'],
        },
        { sid: 'ReadCatalog', effect: 'Allow', actions: ['glue:Get*', 'glue:SearchTables'], resources: ['*'] },
        {
          sid: 'UseLakeKeyThroughGlue',
          effect: 'Allow',
          actions: ['kms:Decrypt'],
          resources: [props.lakeKeyArn],
          condition: throughServices(env, 'glue'),
        },
      ]).json,
    });

    this.group = new IamGroup(this, 'lake-administrators', { name: 'LakeAdministrators' });
    new IamGroupPolicy(this, 'lake-administrators-assume', {
      group: this.group.name,
      name: 'assume-lake-admin-with-mfa',
      policy: policyDocument(this, 'lake-administrators-access', [
        {
          sid: 'AssumeLakeAdminWithMfa',
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          resources: [this.lakeAdminRole.arn],
          condition: [{ test: 'Bool', variable: 'aws:MultiFactorAuthPresent', values: ['true'] }],
        },
      ]).json,
    });
    if ((props.lakeAdministratorUsers ?? []).length > 0) {
      new IamGroupMembership(this, 'lake-administrators-members', {
        name: 'lake-administrators-members',
        group: this.group.name,
        users: [...props.lakeAdministratorUsers!],
      });
    }

    this.settings = new LakeformationDataLakeSettings(this, 'settings', {
      admins: [this.lakeAdminRole.arn, props.deployRoleArn],
      createDatabaseDefaultPermissions: [],
      createTableDefaultPermissions: [],
      allowFullTableExternalDataAccess: false,
    });

    this.registrationRole = new IamRole(this, 'registration-role', {
      name: `${props.namePrefix}-lake-location`,
      description: 'Lake Formation reads and writes the registered lake location with this role',
      assumeRolePolicy: policyDocument(this, 'registration-trust', [serviceTrustStatement('lakeformation.amazonaws.com', env.accountId)])
        .json,
    });
    new IamRolePolicy(this, 'registration-policy', {
      role: this.registrationRole.name,
      name: 'lake-location-access',
      policy: policyDocument(this, 'registration-access', [
        {
          sid: 'LakeObjects',
          effect: 'Allow',
          actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          resources: [`${props.lakeBucketArn}/${props.rawZonePrefix}/*`],
        },
        { sid: 'LakeBucket', effect: 'Allow', actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [props.lakeBucketArn] },
        {
          sid: 'LakeKey',
          effect: 'Allow',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'],
          resources: [props.lakeKeyArn],
          condition: throughServices(env, 's3'),
        },
      ]).json,
    });
    this.registration = new LakeformationResource(this, 'lake-location', {
      arn: `${props.lakeBucketArn}/${props.rawZonePrefix}`,
      roleArn: this.registrationRole.arn,
      useServiceLinkedRole: false,
      hybridAccessEnabled: false,
      dependsOn: [this.settings],
    });

    this.analystRole = new IamRole(this, 'analyst-role', {
      name: `${props.namePrefix}-analyst`,
      description: 'Analysts: Athena over the lake without direct patient identifiers',
      maxSessionDuration: 3600,
      assumeRolePolicy: policyDocument(this, 'analyst-trust', [
        {
          sid: 'TrustedPrincipals',
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'AWS', identifiers: [...props.analystTrustedPrincipalArns] }],
        },
      ]).json,
    });
  }

  /** Lake Formation grants are applied one after another: parallel grants fail with ConcurrentModificationException. */
  private grant(
    id: string,
    config: Omit<ConstructorParameters<typeof LakeformationPermissions>[2], 'dependsOn'>,
  ): LakeformationPermissions {
    const permission = new LakeformationPermissions(this, id, {
      ...config,
      dependsOn: [this.settings, this.registration, ...this.lastGrant],
    });
    this.lastGrant.splice(0, this.lastGrant.length, permission);
    return permission;
  }

  /** The crawler may update the contract tables in the database and read the registered location. */
  grantCrawler(roleArn: string, databaseName: string, tables: readonly CatalogTableRef[]): void {
    this.grant('crawler-database', {
      principal: roleArn,
      permissions: ['DESCRIBE', 'ALTER', 'CREATE_TABLE'],
      database: { name: databaseName },
    });
    for (const table of tables) {
      this.grant(`crawler-table-${table.contract.name}`, {
        principal: roleArn,
        permissions: ['SELECT', 'ALTER', 'DESCRIBE', 'INSERT'],
        table: { databaseName, name: table.name },
      });
    }
    this.grant('crawler-location', {
      principal: roleArn,
      permissions: ['DATA_LOCATION_ACCESS'],
      dataLocation: { arn: this.registration.arn },
    });
  }

  /**
   * SELECT on every contract table for a reader, listing exactly the columns that are not direct patient
   * identifiers: an allow-list generated from the contract, so a new identifier column is hidden by default.
   */
  grantReader(reader: ReaderGrant, databaseName: string, tables: readonly CatalogTableRef[]): void {
    this.grant(`${reader.name}-database`, { principal: reader.roleArn, permissions: ['DESCRIBE'], database: { name: databaseName } });
    for (const table of tables) {
      this.grant(`${reader.name}-table-${table.contract.name}`, {
        principal: reader.roleArn,
        permissions: ['SELECT'],
        tableWithColumns: {
          databaseName,
          name: table.name,
          columnNames: grantableColumns(table.contract).map((c) => c.name.toLowerCase()),
        },
      });
    }
  }

  /** What the analyst role needs besides its grants: run queries in the workgroup and read and write its results. */
  allowAnalystQueries(options: { workgroupArn: string; resultsBucketArn: string; databaseName: string }): void {
    const env = this.env;
    new IamRolePolicy(this, 'analyst-policy', {
      role: this.analystRole.name,
      name: 'query-lake-with-athena',
      policy: policyDocument(this, 'analyst-access', [
        {
          sid: 'QueryInWorkgroup',
          effect: 'Allow',
          actions: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
            'athena:GetWorkGroup',
          ],
          resources: [options.workgroupArn],
        },
        {
          sid: 'ReadCatalog',
          effect: 'Allow',
          actions: ['glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
          resources: [
            glueArn(env, 'catalog'),
            glueArn(env, `database/${options.databaseName}`),
            glueArn(env, `table/${options.databaseName}/*`),
          ],
        },
        { sid: 'LakeFormationCredentials', effect: 'Allow', actions: ['lakeformation:GetDataAccess'], resources: ['*'] },
        {
          sid: 'QueryResults',
          effect: 'Allow',
          actions: ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:GetBucketLocation', 's3:AbortMultipartUpload'],
          resources: [options.resultsBucketArn, `${options.resultsBucketArn}/athena/*`],
        },
        {
          sid: 'LakeKeyThroughServices',
          effect: 'Allow',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [this.lakeKeyArn],
          condition: throughServices(env, 's3', 'glue', 'athena'),
        },
      ]).json,
    });
  }
}
