import { accounts } from '../../config/accounts';
import { environments } from '../../config/environments';
import { AccountConfig, EnvironmentConfig } from '../../config/types';

/**
 * What one environment's workflow jobs plan and apply, derived from config: the environment's stack, and its
 * account's baseline when this environment is the account's first (one job per account owns the baseline, so two
 * jobs never plan or apply the same state). Each environment is its own account with its own roles: the job
 * assumes the role named by the repository variable `AWS_PLAN_ROLE_ARN_<ENV>` or `AWS_DEPLOY_ROLE_ARN_<ENV>`.
 */
export interface DeploymentTarget {
  readonly environment: string;
  readonly region: string;
  readonly stack: string;
  /** The account baseline stack this environment's jobs own, or undefined when an earlier environment owns it. */
  readonly baseline: string | undefined;
  readonly planRoleVariable: string;
  readonly deployRoleVariable: string;
}

/** The name of an account's baseline stack (as `stacks/baseline-stack.ts` names it). */
export const baselineStack = (account: Pick<AccountConfig, 'project' | 'name'>): string => `${account.project}-account-${account.name}`;

/** The repository variable holding an environment's role ARN: `AWS_<KIND>_ROLE_ARN_<ENV>`, upper case, `-` as `_`. */
export const roleVariable = (kind: 'PLAN' | 'DEPLOY', environment: string): string =>
  `AWS_${kind}_ROLE_ARN_${environment.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/** Every environment of config, in config order, with the stacks its jobs own. */
export function deploymentTargets(
  configured: readonly EnvironmentConfig[] = environments,
  declared: readonly AccountConfig[] = accounts,
): DeploymentTarget[] {
  const owners = new Set<string>();
  return configured.map((environment) => {
    const account = declared.find((a) => a.name === environment.account);
    const ownsBaseline = account !== undefined && !owners.has(account.name);
    if (account) owners.add(account.name);
    return {
      environment: environment.name,
      region: environment.region,
      stack: `${environment.project}-${environment.name}`,
      baseline: ownsBaseline ? baselineStack(account) : undefined,
      planRoleVariable: roleVariable('PLAN', environment.name),
      deployRoleVariable: roleVariable('DEPLOY', environment.name),
    };
  });
}
