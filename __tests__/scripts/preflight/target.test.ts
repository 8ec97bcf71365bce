import { accounts } from '../../../config/accounts';
import { environments } from '../../../config/environments';
import type { EnvironmentConfig } from '../../../config/types';
import { interfaceEndpointServices } from '../../../stacks/core/interface-endpoints';
import { checkAccount } from '../../../scripts/preflight/checks';
import { DEFAULT_RDS_CA, preflightTarget, targetOf } from '../../../scripts/preflight/target';

const env = (name: string): EnvironmentConfig => environments.find((e) => e.name === name)!;

describe('the config adapter', () => {
  test('reads the committed environments: stack, state object, CA, endpoints per VPC', () => {
    const dev = preflightTarget(env('dev'));
    expect(dev).toMatchObject({
      environment: 'dev',
      stackName: 'unicornhealth-dev',
      region: env('dev').region,
      accountId: env('dev').accountId,
      deployRoleArn: env('dev').governance.deployRoleArn,
      rdsCaIdentifier: DEFAULT_RDS_CA,
      warehouseName: 'unicornhealth-dev-warehouse',
      stackDirectory: 'cdktf.out/stacks/unicornhealth-dev',
      state: { key: 'unicornhealth/dev/terraform.tfstate' },
    });
    expect(dev.state?.bucket).toBe(env('dev').stateBackend?.bucket);
    expect(dev.lakeFormationAdmins).toEqual([
      `arn:aws:iam::${env('dev').accountId}:role/unicornhealth-dev-lake-admin`,
      env('dev').governance.deployRoleArn,
    ]);
    // Session Manager adds ssm and ssmmessages; an EC2 Instance Connect Endpoint needs no interface endpoint.
    const sessionManager = (name: string): boolean =>
      env(name).network.accessHost.enabled && (env(name).network.accessHost.connection ?? 'session-manager') === 'session-manager';
    expect(dev.network.interfaceEndpoints).toHaveLength(sessionManager('dev') ? 5 : 3);
    expect(preflightTarget(env('prod')).network.interfaceEndpoints).toHaveLength(sessionManager('prod') ? 5 : 3);
  });

  test("the endpoint lists are the stack's own (the platform stack test compares them with the synthesized endpoints)", () => {
    for (const name of ['dev', 'prod']) {
      expect(preflightTarget(env(name)).network.interfaceEndpoints).toEqual(interfaceEndpointServices(env(name)));
    }
  });

  test("the committed placeholder accounts fail the account check, whatever the caller's account", () => {
    for (const name of ['dev', 'prod']) {
      const target = preflightTarget(env(name));
      if (!/^(\d)\1{11}$/.test(target.accountId)) continue; // a real account id has been configured
      const r = checkAccount({
        target,
        identity: { account: target.accountId, arn: `arn:aws:sts::${target.accountId}:assumed-role/unicornhealth-deploy/s`, userId: '' },
      } as Parameters<typeof checkAccount>[0]) as Awaited<ReturnType<typeof checkAccount>>;
      expect(r.ok).toBe(false);
      expect(r.evidence).toContain('documentation placeholder');
    }
  });

  test('a config without accounts: lake administrators from governance, DMS roles from migration.createServiceRoles', () => {
    const withoutAccount: Partial<EnvironmentConfig> & { account?: string } = { ...env('dev') };
    delete withoutAccount.account;
    const config = {
      ...withoutAccount,
      governance: { ...env('dev').governance, lakeAdministratorUsers: ['alice', 'bob'] },
      migration: { ...env('dev').migration, createServiceRoles: true },
      database: { ...env('dev').database, caCertIdentifier: 'rds-ca-ecc384-g1' },
      network: { ...env('dev').network, internetEgress: 'nat-gateway' },
    } as unknown as EnvironmentConfig;
    const target = preflightTarget(config, 'out', null);
    expect(target).toMatchObject({
      lakeAdministratorUsers: ['alice', 'bob'],
      dmsRolesCreatedBy: 'environment-stack',
      singletons: { owner: 'environment-stack', stack: 'unicornhealth-dev' },
      rdsCaIdentifier: 'rds-ca-ecc384-g1',
      network: { natGateway: true },
      stackDirectory: 'out/unicornhealth-dev',
    });
    const without = { ...config, migration: { ...config.migration, createServiceRoles: false } } as EnvironmentConfig;
    expect(preflightTarget(without, 'out', null).dmsRolesCreatedBy).toBe('nobody');
  });

  test('the committed accounts: lake administrators from the account, singletons owned by its baseline stack', () => {
    const name = (env('dev') as EnvironmentConfig & { account?: string }).account;
    if (!name) return; // config without explicit accounts: covered above
    const account = accounts.find((a) => a.name === name)!;
    expect(preflightTarget(env('dev'))).toMatchObject({
      accountId: account.id,
      lakeAdministratorUsers: [...account.lakeAdministratorUsers],
      dmsRolesCreatedBy: 'account-baseline',
      singletons: { owner: 'account-baseline', stack: `unicornhealth-account-${name}` },
    });
  });

  test('an account passed in: its lake administrators and id where the environment has none', () => {
    const governance = { deployRoleArn: 'arn:aws:iam::444455556666:role/unicornhealth-deploy', analystTrustedPrincipalArns: [] };
    const config = { ...env('dev'), account: 'main', accountId: undefined, governance } as unknown as EnvironmentConfig;
    const account = {
      name: 'main',
      id: '444455556666',
      region: 'us-east-1',
      lakeAdministratorUsers: ['carol'],
      deployRoleName: 'unicornhealth-deploy',
    };
    expect(preflightTarget(config, undefined, account)).toMatchObject({
      accountId: '444455556666',
      lakeAdministratorUsers: ['carol'],
      dmsRolesCreatedBy: 'account-baseline',
      singletons: { owner: 'account-baseline', stack: 'unicornhealth-account-main' },
    });
  });

  test('an environment that is not in the config is a usage error naming the ones that are', () => {
    expect(() => targetOf('qa')).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringContaining('environments: dev, prod') }),
    );
  });
});
