import { accounts } from '../../../config/accounts';
import { dev, environments, prod } from '../../../config/environments';
import { baselineStack, deploymentTargets, roleVariable } from '../../../scripts/github/targets';
import { baselineStackName } from '../../../stacks/baseline-stack';

describe('deployment targets from config', () => {
  test('one per environment, with its own roles; the first environment of an account owns the baseline', () => {
    const targets = deploymentTargets();
    expect(targets.map((t) => t.environment)).toEqual(environments.map((e) => e.name));
    for (const target of targets) {
      expect(target.planRoleVariable).toBe(`AWS_PLAN_ROLE_ARN_${target.environment.toUpperCase()}`);
      expect(target.deployRoleVariable).toBe(`AWS_DEPLOY_ROLE_ARN_${target.environment.toUpperCase()}`);
    }
    const owned = targets.flatMap((t) => (t.baseline ? [t.baseline] : []));
    expect(owned.sort()).toEqual(
      accounts
        .filter((a) => environments.some((e) => e.account === a.name))
        .map(baselineStackName)
        .sort(),
    );
  });

  test('a second environment of an account leaves the baseline to the first', () => {
    const staging = { ...dev, name: 'staging' };
    const targets = deploymentTargets([dev, staging, prod]);
    expect(targets.map((t) => [t.environment, t.stack, t.baseline])).toEqual([
      ['dev', 'unicornhealth-dev', 'unicornhealth-account-nonprod'],
      ['staging', 'unicornhealth-staging', undefined],
      ['prod', 'unicornhealth-prod', 'unicornhealth-account-prod'],
    ]);
  });

  test('names the baseline as the stack does, and role variables in the form GitHub allows', () => {
    for (const account of accounts) expect(baselineStack(account)).toBe(baselineStackName(account));
    expect(roleVariable('PLAN', 'qa-eu')).toBe('AWS_PLAN_ROLE_ARN_QA_EU');
  });
});
