import { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import { accountRoleArn, baselineStateKey } from '../config/accounts';
import { AccountConfig, EnvironmentConfig } from '../config/types';
import { assertValidPlatform } from '../config/validate';
import { catalogKeyAliasName } from './core/account-baseline';
import { AccountStack } from './core/account-stack';
import { AwsEnvironment, awsEnvironment } from './core/aws-environment';
import { CatalogEncryption } from './constructs/catalog-encryption';
import { CustomerManagedKey } from './constructs/customer-managed-key';
import { DmsAccountRoles } from './constructs/dms-account-roles';
import { LakeAdministration } from './constructs/lake-administration';

export function baselineStackName(account: Pick<AccountConfig, 'project' | 'name'>): string {
  return `${account.project}-account-${account.name}`;
}

/**
 * What exists once per AWS account and region, owned by one stack per account: the Data Catalog encryption and its
 * key, the Lake Formation settings with the lake-admin role of each of the account's environments, the
 * `LakeAdministrators` group, and the account-level DMS roles. Two environment stacks holding them would overwrite
 * each other's settings on every apply, or fail with EntityAlreadyExists. It is deployed before the account's
 * environment stacks, which name these resources by derived names (`core/account-baseline.ts`), and it has its own
 * state key in the account's state bucket.
 */
export class AccountBaselineStack extends AccountStack {
  readonly account: AccountConfig;
  readonly environment: AwsEnvironment;
  readonly catalogKey: CustomerManagedKey;
  readonly catalogEncryption: CatalogEncryption;
  readonly lakeAdministration: LakeAdministration;
  readonly dmsRoles: DmsAccountRoles;

  /**
   * @param environments the account's environments: each gets a lake-admin role, and its deploying role is a
   *   Lake Formation admin
   */
  constructor(scope: Construct, account: AccountConfig, environments: readonly EnvironmentConfig[]) {
    assertValidPlatform({ accounts: [account], environments });
    super(scope, baselineStackName(account), {
      accountName: account.name,
      accountId: account.id,
      region: account.region,
      tags: account.tags,
      stateBackend: account.stateBackend,
      stateKey: baselineStateKey(account),
    });
    this.account = account;
    const environment = awsEnvironment(account.id, account.region);
    this.environment = environment;

    // Principals of the account use the key through Glue only; environment roles get it by alias (catalogKeyThroughGlue).
    this.catalogKey = new CustomerManagedKey(this, 'catalog-key', {
      environment,
      alias: catalogKeyAliasName(account.project),
      description: 'UnicornHealth Data Catalog: metadata of every environment of the account, and connection passwords',
      usedThroughServices: ['glue'],
    });
    this.catalogEncryption = new CatalogEncryption(this, 'catalog-encryption', { key: this.catalogKey });
    this.lakeAdministration = new LakeAdministration(this, 'lake-administration', {
      environment,
      environments,
      lakeAdministratorUsers: account.lakeAdministratorUsers,
      catalogKey: this.catalogKey,
      readOnlyAdminArns: [accountRoleArn(account, account.planRoleName)],
    });
    this.dmsRoles = new DmsAccountRoles(this, 'dms-roles', { environment, importExistingDmsRoles: account.importExistingDmsRoles });

    new TerraformOutput(this, 'catalog_key_arn', { value: this.catalogKey.arn, description: 'KMS key of the Data Catalog' });
    new TerraformOutput(this, 'lake_admin_role_arns', {
      value: Object.fromEntries([...this.lakeAdministration.lakeAdminRoles].map(([name, role]) => [name, role.arn])),
      description: 'Lake Formation admin role of each environment, by environment (LakeAdministrators, MFA)',
    });
  }
}
