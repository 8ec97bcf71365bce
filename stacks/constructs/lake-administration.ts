import { Construct } from 'constructs';
import { IamGroup } from '@cdktf/provider-aws/lib/iam-group';
import { IamGroupPolicy } from '@cdktf/provider-aws/lib/iam-group-policy';
import { IamGroupMembership } from '@cdktf/provider-aws/lib/iam-group-membership';
import { LakeformationDataLakeSettings } from '@cdktf/provider-aws/lib/lakeformation-data-lake-settings';
import { AccountConfig, EnvironmentConfig } from '../../config/types';
import { LAKE_ADMINISTRATORS_GROUP, lakeAdminRoleName } from '../core/account-baseline';
import { AwsEnvironment, accountRootArn } from '../core/aws-environment';
import { CATALOG_KEY_ACTIONS, allow, policyDocument, throughServices } from '../core/policy-document';
import { ServiceRole } from '../core/service-role';
import { CustomerManagedKey } from './customer-managed-key';

/** What the lake administration needs to know of an environment: its name, and the role that deploys it. */
export type AdministeredEnvironment = Pick<EnvironmentConfig, 'project' | 'name' | 'governance'>;

export interface LakeAdministrationProps extends Pick<AccountConfig, 'lakeAdministratorUsers'> {
  readonly environment: AwsEnvironment;
  /** The environments of the account and region: each gets a lake-admin role, and its deploying role is an admin. */
  readonly environments: readonly AdministeredEnvironment[];
  /** The key of the Data Catalog, which the lake admins read through Glue. */
  readonly catalogKey: CustomerManagedKey;
  /**
   * Existing roles that may see every Lake Formation resource and permission and change nothing (the plan role, so
   * `terraform plan` can refresh the settings and grants).
   * @default none
   */
  readonly readOnlyAdminArns?: readonly string[];
}

/** Sessions of the lake-admin roles, and how recent their MFA must be, in seconds. */
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

/**
 * Who administers the account's lake. The Lake Formation data-lake settings, one per account and region that
 * overwrite the admin list on every apply, name each environment's lake-admin role and deploying role (IAM roles:
 * Lake Formation accepts users and roles, never groups), and leave no IAMAllowedPrincipals defaults, so Lake
 * Formation permissions, column grants included, decide access. Lake Formation refuses an admin that does not exist
 * yet ("Invalid principal"; the provider retries only while IAM propagates, see
 * https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/lakeformation/data_lake_settings.go),
 * so the lake-admin roles are created here, with the settings, rather than by the environment stacks applied later.
 * People who run the lake are in the IAM group `LakeAdministrators`, whose members may assume a lake-admin role
 * only with MFA.
 */
export class LakeAdministration extends Construct {
  readonly settings: LakeformationDataLakeSettings;
  /** The lake-admin role of each environment, by environment name. */
  readonly lakeAdminRoles: ReadonlyMap<string, ServiceRole>;
  readonly group: IamGroup;

  constructor(scope: Construct, id: string, props: LakeAdministrationProps) {
    super(scope, id);
    const env = props.environment;

    this.lakeAdminRoles = new Map(
      props.environments.map((environment) => [
        environment.name,
        new ServiceRole(this, `${environment.name}-lake-admin-role`, {
          environment: env,
          roleName: lakeAdminRoleName(environment),
          description: `Lake Formation data lake administrator for ${environment.name}; assumed by LakeAdministrators members with MFA`,
          maxSessionDurationSeconds: PERSON_SESSION_SECONDS,
          trust: { kind: 'principals', principalArns: [accountRootArn(env)], mfaMaxAgeSeconds: PERSON_SESSION_SECONDS },
          inlinePolicy: {
            name: 'administer-lake-formation',
            statements: [
              allow('AdministerLakeFormation', LAKE_ADMIN_ACTIONS, ['*']),
              allow('ReadCatalog', ['glue:Get*', 'glue:SearchTables'], ['*']),
              allow('CatalogKeyThroughGlue', CATALOG_KEY_ACTIONS, [props.catalogKey.arn], throughServices(env, 'glue')),
            ],
          },
        }),
      ]),
    );
    const lakeAdminRoleArns = [...this.lakeAdminRoles.values()].map((role) => role.arn);

    this.group = new IamGroup(this, 'lake-administrators', { name: LAKE_ADMINISTRATORS_GROUP });
    new IamGroupPolicy(this, 'lake-administrators-assume', {
      group: this.group.name,
      name: 'assume-lake-admin-with-mfa',
      policy: policyDocument(this, 'lake-administrators-access', [
        allow('AssumeLakeAdminWithMfa', ['sts:AssumeRole'], lakeAdminRoleArns, [
          { test: 'Bool', variable: 'aws:MultiFactorAuthPresent', values: ['true'] },
        ]),
      ]).json,
    });
    if (props.lakeAdministratorUsers.length > 0) {
      new IamGroupMembership(this, 'lake-administrators-members', {
        name: 'lake-administrators-members',
        group: this.group.name,
        users: [...props.lakeAdministratorUsers],
      });
    }

    const deployRoleArns = [...new Set(props.environments.map((environment) => environment.governance.deployRoleArn))];
    this.settings = new LakeformationDataLakeSettings(this, 'settings', {
      admins: [...lakeAdminRoleArns, ...deployRoleArns],
      // "Lake Formation principals with only view access to the resources, without the ability to make changes"
      // (https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_DataLakeSettings.html). Like the deploying
      // role, they exist before the baseline is applied: Lake Formation refuses a principal that does not.
      readOnlyAdmins: [...(props.readOnlyAdminArns ?? [])],
      createDatabaseDefaultPermissions: [],
      createTableDefaultPermissions: [],
      allowFullTableExternalDataAccess: false,
    });
  }
}
