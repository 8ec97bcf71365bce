import { IConstruct } from 'constructs';
import { AnnotationMetadataEntryType, App } from 'cdktf';
import { accounts as declaredAccounts } from '../config/accounts';
import { AccountConfig, EnvironmentConfig } from '../config/types';
import { assertValidPlatform } from '../config/validate';
import { AccountBaselineStack } from './baseline-stack';
import { PlatformStack } from './platform-stack';

/**
 * The cdktf app: one account baseline stack per account the environments use, then one stack per environment. Each
 * environment stack depends on its baseline (`addDependency`: ordering only, no cross-stack reference), so
 * `cdktf deploy` applies the baseline first and refuses an environment without it unless told it is deployed.
 * @param accounts the declared accounts; the environments must each name one of them
 */
export function buildApp(
  environments: readonly EnvironmentConfig[],
  outdir?: string,
  accounts: readonly AccountConfig[] = declaredAccounts,
): App {
  assertValidPlatform({ accounts, environments });
  const app = new App(outdir ? { outdir } : undefined);
  const usedAccounts = accounts.filter((account) => environments.some((e) => e.account === account.name));
  const baselines = new Map(
    usedAccounts.map((account) => [
      account.name,
      new AccountBaselineStack(
        app,
        account,
        environments.filter((e) => e.account === account.name),
      ),
    ]),
  );
  for (const config of environments) {
    const baseline = baselines.get(config.account)!;
    const sharing = environments.filter((e) => e.account === config.account).length;
    new PlatformStack(app, config, undefined, { stack: baseline, environments: sharing }).addDependency(baseline);
  }
  return app;
}

/** The metadata type of a cdktf warning annotation. */
const WARNING: string = AnnotationMetadataEntryType.WARN;

/**
 * The warnings the app's constructs attached (cdktf annotations, such as a placeholder account id or a missing CA
 * bundle), as `<construct path>: <message>`. The cdktf CLI prints them on `cdktf synth` and `cdktf deploy`; `main.ts`
 * prints them for `npm run synth`, which runs the app without the CLI.
 */
export function synthWarnings(app: IConstruct): string[] {
  return app.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata.filter((entry) => entry.type === WARNING).map((entry) => `${construct.node.path}: ${String(entry.data)}`),
    );
}
