import { AccountConfig, EnvironmentConfig, StateBackendConfig } from './types';

/**
 * The AWS accounts this repository deploys to, each with its account baseline stack. Account ids are placeholders
 * of the documentation range: set your own before the first `cdktf deploy` (the provider's `allowed_account_ids`
 * refuses any other account).
 */
export const project = 'unicornhealth';
export const region = 'us-east-1';

/** Tags of every stack; each stack adds whose it is (`Account` for a baseline, `Environment` for an environment). */
export const commonTags = {
  Project: 'UnicornHealth',
  DataClassification: 'PHI',
  ManagedBy: 'cdktf',
};

/** The one state bucket of an account, named after its id (created once by hand, see README). */
export function stateBucketName(accountProject: string, accountId: string): string {
  return `${accountProject}-tfstate-${accountId}`;
}

/** Where the account baseline keeps its state in the account's bucket. */
export function baselineStateKey(account: Pick<AccountConfig, 'project'>): string {
  return `${account.project}/account/terraform.tfstate`;
}

/** Where an environment keeps its state in its account's bucket. */
export function environmentStateKey(environment: Pick<EnvironmentConfig, 'project' | 'name'>): string {
  return `${environment.project}/${environment.name}/terraform.tfstate`;
}

/** ARN of a role of the account, by name. */
export function accountRoleArn(account: Pick<AccountConfig, 'id'>, roleName: string): string {
  return `arn:aws:iam::${account.id}:role/${roleName}`;
}

/** An account from its name and id; what follows from the id (the state bucket) is derived, never written out. */
function defineAccount(name: string, id: string): AccountConfig {
  const stateBackend: StateBackendConfig = { bucket: stateBucketName(project, id), region };
  return {
    name,
    project,
    id,
    region,
    lakeAdministratorUsers: ['lake-admin'],
    deployRoleName: `${project}-deploy`,
    planRoleName: `${project}-plan`,
    importExistingDmsRoles: false,
    stateBackend,
    tags: { ...commonTags, Account: name },
  };
}

/** The account of the environments that may be rebuilt at will (dev today). */
export const nonprodAccount = defineAccount('nonprod', '111111111111');
export const prodAccount = defineAccount('prod', '222222222222');

export const accounts: readonly AccountConfig[] = [nonprodAccount, prodAccount];
