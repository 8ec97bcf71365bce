import { accountRoleArn, accounts } from '../../config/accounts';
import { dev, environments, prod } from '../../config/environments';
import { configProblems } from '../../config/validate';

describe('the environments', () => {
  test.each(environments.map((e) => [e.name, e] as const))('%s is valid', (_name, config) => {
    expect(configProblems(config)).toEqual([]);
  });

  test('names are unique, and so are the stacks they synthesize', () => {
    const names = environments.map((e) => e.name);
    const stacks = environments.map((e) => `${e.project}-${e.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(stacks).size).toBe(stacks.length);
  });

  test.each(environments.map((e) => [e.name, e] as const))('%s is tagged with its own name', (name, config) => {
    // The policy checks tell production stacks by this tag.
    expect(config.tags.Environment).toBe(name);
  });

  test('prod keeps its data: deletion protection, Multi-AZ, final snapshot, no force-destroy', () => {
    expect(prod.database).toMatchObject({ deletionProtection: true, multiAz: true, keepFinalSnapshot: true });
    expect(prod.storage.forceDestroyBuckets).toBe(false);
  });

  test('prod keeps the change log, the audit trail of the clinic’s data, six years; change capture merges every ten minutes, full loads daily', () => {
    expect(prod.lake.changeLog).toEqual({ infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 2192 });
    for (const config of environments) {
      expect(config.lake.merge.schedule).toBe(config.migration.mode === 'full-load-and-cdc' ? 'rate(10 minutes)' : 'rate(1 day)');
    }
    expect(prod.lake.merge.schedule).toBe('rate(10 minutes)');
    expect(dev.lake.merge.schedule).toBe('rate(1 day)');
  });

  test('dev reaches its access host through an EC2 Instance Connect Endpoint, prod through Session Manager', () => {
    expect(dev.network.accessHost.connection).toBe('instance-connect-endpoint');
    expect(prod.network.accessHost.connection).toBe('session-manager');
  });

  test.each(environments.map((e) => [e.name, e] as const))(
    '%s takes its id, region, deploying role and state bucket from its account',
    (_name, config) => {
      const account = accounts.find((a) => a.name === config.account)!;
      expect(config).toMatchObject({
        accountId: account.id,
        region: account.region,
        project: account.project,
        stateBackend: account.stateBackend,
      });
      expect(config.governance.deployRoleArn).toBe(accountRoleArn(account, account.deployRoleName));
    },
  );
});
