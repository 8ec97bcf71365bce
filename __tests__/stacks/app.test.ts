import { Testing } from 'cdktf';
import { nonprodAccount, prodAccount } from '../../config/accounts';
import { dev, prod } from '../../config/environments';
import { ConfigError } from '../../config/validate';
import { buildApp, synthWarnings } from '../../stacks/app';
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

  test('synth warnings name each stack on a placeholder account and each stack without its CA bundle, with the fix', () => {
    // A bundle nobody downloaded, whether or not this machine has the real one in certs/.
    const notDownloaded = { migration: { sourceCaBundleFile: 'certs/not-downloaded-bundle.pem' } };
    const warnings = synthWarnings(buildApp([withConfig(dev, notDownloaded), withConfig(prod, notDownloaded)], outdir));
    for (const stack of ['unicornhealth-account-nonprod', 'unicornhealth-account-prod', 'unicornhealth-dev', 'unicornhealth-prod']) {
      expect(warnings).toContainEqual(
        expect.stringMatching(new RegExp(`^${stack}: stack ${stack} uses the placeholder account id \\d{12}: set the real`)),
      );
    }
    for (const stack of ['unicornhealth-dev', 'unicornhealth-prod']) {
      expect(warnings).toContainEqual(
        expect.stringMatching(
          new RegExp(`^${stack}/migration/source-ca-bundle: certs/not-downloaded-bundle.pem is missing, .* curl -fsSL`),
        ),
      );
    }
  });

  test('the output directory is an option', () => {
    expect(buildApp([], '/tmp/unicornhealth-app-test').outdir).toBe('/tmp/unicornhealth-app-test');
    expect(buildApp([]).outdir).toBe('cdktf.out');
  });
});
