import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { IamGroup } from '@cdktf/provider-aws/lib/iam-group';
import { IamGroupPolicy } from '@cdktf/provider-aws/lib/iam-group-policy';
import { IamGroupMembership } from '@cdktf/provider-aws/lib/iam-group-membership';
import { LakeformationDataLakeSettings } from '@cdktf/provider-aws/lib/lakeformation-data-lake-settings';
import { LakeformationResource } from '@cdktf/provider-aws/lib/lakeformation-resource';
import { LakeformationPermissions, LakeformationPermissionsConfig } from '@cdktf/provider-aws/lib/lakeformation-permissions';
import { GovernanceConfig } from '../../config/types';
import { grantableColumns } from '../../contract/lake';
import { AwsEnvironment, accountRootArn, glueDatabaseArns } from '../core/aws-environment';
import { allow, lakeFormationDataAccess, policyDocument, throughServices } from '../core/policy-document';
import { ServiceRole } from '../core/service-role';
import { Catalog } from './catalog';
import { LakeStorage } from './lake-storage';

export interface GovernanceProps extends GovernanceConfig {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  /** The lake whose raw zone is registered with Lake Formation. */
  readonly storage: LakeStorage;
}

/** Sessions of the people's roles, and how recent their MFA must be, in seconds. */
const PERSON_SESSION_SECONDS = 3600;

/** Lake Formation administration: read everything, grant and revoke; no data access of its own. */
const LAKE_ADMIN_ACTIONS = [
  'lakeformation:Get*',
  'lakeformation:List*',
  'lakeformation:Describe*',
  'lakeformation:Search*',
  'lakeformation:GrantPermissions',
  'lakeformation:RevokePermissions',
  'lakeformation:BatchGrantPermissions',
  'lakeformation:BatchRevokePermissions',
];

/** Running Athena queries and reading their state and results. */
const ATHENA_QUERY_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:GetQueryExecution',
  'athena:GetQueryResults',
  'athena:StopQueryExecution',
  'athena:GetWorkGroup',
];

/**
 * Lake Formation governance. The data-lake settings (an account-wide singleton) make two roles the lake admins and
 * leave no IAMAllowedPrincipals defaults, so Lake Formation permissions, column grants included, are what decide
 * access. People who run the lake are in the IAM group `LakeAdministrators`, whose members may assume the
 * lake-admin role only with MFA. The lake bucket is registered with a dedicated role.
 */
export class Governance extends Construct {
  readonly settings: LakeformationDataLakeSettings;
  readonly lakeAdminRole: ServiceRole;
  readonly analystRole: ServiceRole;
  readonly registrationRole: ServiceRole;
  readonly group: IamGroup;
  private readonly lastGrant: ITerraformDependable[] = [];
  private readonly env: AwsEnvironment;
  private readonly storage: LakeStorage;
  private readonly registration: LakeformationResource;

  constructor(scope: Construct, id: string, props: GovernanceProps) {
    super(scope, id);
    const { environment: env, storage } = props;
    this.env = env;
    this.storage = storage;

    this.lakeAdminRole = new ServiceRole(this, 'lake-admin-role', {
      environment: env,
      roleName: `${props.namePrefix}-lake-admin`,
      description: 'Lake Formation data lake administrator; assumed by LakeAdministrators members with MFA',
      maxSessionDurationSeconds: PERSON_SESSION_SECONDS,
      trust: { kind: 'principals', principalArns: [accountRootArn(env)], mfaMaxAgeSeconds: PERSON_SESSION_SECONDS },
      inlinePolicy: {
        name: 'administer-lake-formation',
        statements: [
          allow('AdministerLakeFormation', LAKE_ADMIN_ACTIONS, ['*']),
          allow('ReadCatalog', ['glue:Get*', 'glue:SearchTables'], ['*']),
          allow('UseLakeKeyThroughGlue', ['kms:Decrypt'], [storage.lakeKey.arn], throughServices(env, 'glue')),
        ],
      },
    });

    this.group = new IamGroup(this, 'lake-administrators', { name: 'LakeAdministrators' });
    new IamGroupPolicy(this, 'lake-administrators-assume', {
      group: this.group.name,
      name: 'assume-lake-admin-with-mfa',
      policy: policyDocument(this, 'lake-administrators-access', [
        allow(
          'AssumeLakeAdminWithMfa',
          ['sts:AssumeRole'],
          [this.lakeAdminRole.arn],
          [{ test: 'Bool', variable: 'aws:MultiFactorAuthPresent', values: ['true'] }],
        ),
      ]).json,
    });
    if (props.lakeAdministratorUsers.length > 0) {
      new IamGroupMembership(this, 'lake-administrators-members', {
        name: 'lake-administrators-members',
        group: this.group.name,
        users: [...props.lakeAdministratorUsers],
      });
    }

    this.settings = new LakeformationDataLakeSettings(this, 'settings', {
      admins: [this.lakeAdminRole.arn, props.deployRoleArn],
      createDatabaseDefaultPermissions: [],
      createTableDefaultPermissions: [],
      allowFullTableExternalDataAccess: false,
    });

    this.registrationRole = new ServiceRole(this, 'registration-role', {
      environment: env,
      roleName: `${props.namePrefix}-lake-location`,
      description: 'Lake Formation reads and writes the registered lake location with this role',
      trust: { kind: 'services', services: ['lakeformation'] },
      inlinePolicy: {
        name: 'lake-location-access',
        statements: [
          allow('LakeObjects', ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [storage.rawZoneObjectsArn]),
          allow('LakeBucket', ['s3:ListBucket', 's3:GetBucketLocation'], [storage.lakeBucket.arn]),
          allow('LakeKey', ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'], [storage.lakeKey.arn], throughServices(env, 's3')),
        ],
      },
    });
    this.registration = new LakeformationResource(this, 'lake-location', {
      arn: storage.rawZoneArn,
      roleArn: this.registrationRole.arn,
      useServiceLinkedRole: false,
      hybridAccessEnabled: false,
      dependsOn: [this.settings],
    });

    this.analystRole = new ServiceRole(this, 'analyst-role', {
      environment: env,
      roleName: `${props.namePrefix}-analyst`,
      description: 'Analysts: Athena over the lake without direct patient identifiers',
      maxSessionDurationSeconds: PERSON_SESSION_SECONDS,
      trust: { kind: 'principals', principalArns: props.analystTrustedPrincipalArns },
    });
  }

  /** Lake Formation grants are applied one after another: parallel grants fail with ConcurrentModificationException. */
  private grant(id: string, config: Omit<LakeformationPermissionsConfig, 'dependsOn'>): LakeformationPermissions {
    const permission = new LakeformationPermissions(this, id, {
      ...config,
      dependsOn: [this.settings, this.registration, ...this.lastGrant],
    });
    this.lastGrant.splice(0, this.lastGrant.length, permission);
    return permission;
  }

  /** The catalog's crawler may update the contract tables in the database and read the registered location. */
  grantCrawler(catalog: Catalog): void {
    const principal = catalog.crawlerRole.arn;
    const databaseName = catalog.database.name;
    this.grant('crawler-database', {
      principal,
      permissions: ['DESCRIBE', 'ALTER', 'CREATE_TABLE'],
      database: { name: databaseName },
    });
    for (const [name, table] of catalog.tables) {
      this.grant(`crawler-table-${name}`, {
        principal,
        permissions: ['SELECT', 'ALTER', 'DESCRIBE', 'INSERT'],
        table: { databaseName, name: table.glueTable.name },
      });
    }
    this.grant('crawler-location', {
      principal,
      permissions: ['DATA_LOCATION_ACCESS'],
      dataLocation: { arn: this.registration.arn },
    });
  }

  /**
   * SELECT on every catalog table for a reader, listing exactly the columns that are not direct patient
   * identifiers: an allow-list generated from the contract, so a new identifier column is hidden by default.
   * @param name short name of the reader in resource ids
   */
  grantReader(name: string, reader: ServiceRole, catalog: Catalog): void {
    const databaseName = catalog.database.name;
    this.grant(`${name}-database`, { principal: reader.arn, permissions: ['DESCRIBE'], database: { name: databaseName } });
    for (const [tableName, table] of catalog.tables) {
      this.grant(`${name}-table-${tableName}`, {
        principal: reader.arn,
        permissions: ['SELECT'],
        tableWithColumns: {
          databaseName,
          name: table.glueTable.name,
          columnNames: grantableColumns(table.contract).map((c) => c.name.toLowerCase()),
        },
      });
    }
  }

  /** What the analyst role needs besides its grants: run queries in the catalog's workgroup and use its results. */
  allowAnalystQueries(catalog: Catalog): void {
    const env = this.env;
    const resultsBucketArn = catalog.storage.athenaResultsBucket.arn;
    this.analystRole.addInlinePolicy({
      name: 'query-lake-with-athena',
      statements: [
        allow('QueryInWorkgroup', ATHENA_QUERY_ACTIONS, [catalog.workgroup.arn]),
        allow(
          'ReadCatalog',
          ['glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
          glueDatabaseArns(env, catalog.database.name),
        ),
        lakeFormationDataAccess(),
        allow(
          'QueryResults',
          ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:GetBucketLocation', 's3:AbortMultipartUpload'],
          [resultsBucketArn, `${resultsBucketArn}/athena/*`],
        ),
        allow(
          'LakeKeyThroughServices',
          ['kms:Decrypt', 'kms:GenerateDataKey'],
          [this.storage.lakeKey.arn],
          throughServices(env, 's3', 'glue', 'athena'),
        ),
      ],
    });
  }
}
