import { Testing } from 'cdktf';
import { nonprodAccount, prodAccount } from '../../config/accounts';
import { dev, prod } from '../../config/environments';
import { ConfigError } from '../../config/validate';
import { buildApp } from '../../stacks/app';
import { AccountBaselineStack } from '../../stacks/baseline-stack';
import { PlatformStack } from '../../stacks/platform-stack';
import { withConfig } from '../helpers/synth';

describe('buildApp', () => {
  const outdir = Testing.app().outdir;

  test('one baseline stack per account the environments use, and one platform stack per environment', () => {
    const app = buildApp([dev, prod], outdir);
    const baselines = app.node.children.filter((c): c is AccountBaselineStack => c instanceof AccountBaselineStack);
    const platforms = app.node.children.filter((c): c is PlatformStack => c instanceof PlatformStack);
    expect(baselines.map((s) => s.node.id)).toEqual(['unicornhealth-account-nonprod', 'unicornhealth-account-prod']);
    expect(baselines.map((s) => s.account)).toEqual([nonprodAccount, prodAccount]);
    expect(platforms.map((s) => s.node.id)).toEqual(['unicornhealth-dev', 'unicornhealth-prod']);
    expect(platforms.map((s) => s.config)).toEqual([dev, prod]);
  });

  test('each environment stack depends on its account’s baseline, so cdktf deploy applies the baseline first', () => {
    const app = buildApp([dev, prod], outdir);
    const dependencies = app.node.children
      .filter((c): c is PlatformStack => c instanceof PlatformStack)
      .map((s) => [s.node.id, s.dependencies.map((d) => d.node.id)]);
    expect(dependencies).toEqual([
      ['unicornhealth-dev', ['unicornhealth-account-nonprod']],
      ['unicornhealth-prod', ['unicornhealth-account-prod']],
    ]);
  });

  test('an account no environment uses gets no baseline', () => {
    const app = buildApp([prod], outdir);
    expect(app.node.children.map((c) => c.node.id)).toEqual(['unicornhealth-account-prod', 'unicornhealth-prod']);
  });

  test('an invalid platform fails before any stack is built, with every problem', () => {
    const badDev = withConfig(dev, { network: { vpcCidr: 'nonsense' } });
    expect(() => buildApp([badDev, { ...prod, account: 'nowhere' }], outdir)).toThrow(ConfigError);
    expect(() => buildApp([badDev, { ...prod, account: 'nowhere' }], outdir)).toThrow(
      /environment "dev": network.vpcCidr "nonsense"[\s\S]*environment "prod": account "nowhere" is not declared/,
    );
  });

  test('the output directory is an option', () => {
    expect(buildApp([], '/tmp/unicornhealth-app-test').outdir).toBe('/tmp/unicornhealth-app-test');
    expect(buildApp([]).outdir).toBe('cdktf.out');
  });
});
