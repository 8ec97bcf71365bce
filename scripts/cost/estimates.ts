import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accounts as declaredAccounts } from '../../config/accounts';
import { EnvironmentEstimate, estimateEnvironment } from '../../config/cost-model';
import { budgetWarnings } from '../../config/validate';
import { AccountConfig, EnvironmentConfig } from '../../config/types';
import { buildApp } from '../../stacks/app';
import { baselineStackName } from '../../stacks/baseline-stack';
import { PlatformStack, stackName } from '../../stacks/platform-stack';
import { InputError, UsageError } from '../cli/errors';
import { BudgetedEstimate } from './report';

/** Estimates of the environments, in config order, each with its budget and its budget warnings. */
export interface CostResult {
  readonly estimates: readonly BudgetedEstimate[];
  readonly warnings: readonly string[];
}

function withBudgets(configs: readonly EnvironmentConfig[], estimate: (config: EnvironmentConfig) => EnvironmentEstimate): CostResult {
  const estimates = configs.map((config) => ({ ...estimate(config), monthlyBudgetUsd: config.monthlyBudgetUsd }));
  return {
    estimates,
    warnings: estimates.flatMap((e, i) => budgetWarnings(configs[i], { atRestUsd: e.atRest.totalUsd, expectedUsd: e.expectedUsd })),
  };
}

/**
 * Builds the app of every environment in memory (nothing is synthesized to disk) and takes each selected platform
 * stack's own estimate, which includes its share of the account baseline.
 * @param selected the environments to report; all of them when absent
 */
export function estimateSynthesized(
  environments: readonly EnvironmentConfig[],
  selected?: readonly string[],
  accounts: readonly AccountConfig[] = declaredAccounts,
): CostResult {
  const outdir = mkdtempSync(join(tmpdir(), 'unicornhealth-cost-'));
  try {
    const app = buildApp(environments, outdir, accounts);
    const stacks = new Map(
      app.node.children.filter((c): c is PlatformStack => c instanceof PlatformStack).map((stack) => [stack.config.name, stack]),
    );
    return withBudgets(pick(environments, selected), (config) => stacks.get(config.name)!.costEstimate);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function readStack(stacksDir: string, name: string): unknown {
  const file = join(stacksDir, name, 'cdk.tf.json');
  if (!existsSync(file)) throw new InputError(`${file} does not exist: run npm run synth, or leave out --stacks-dir`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The selected environments, in config order; an unknown name is a usage error. */
function pick(environments: readonly EnvironmentConfig[], selected: readonly string[] | undefined): EnvironmentConfig[] {
  const unknown = (selected ?? []).filter((name) => !environments.some((e) => e.name === name));
  if (unknown.length) {
    throw new UsageError(`--env ${unknown.join(', ')}: not an environment (environments: ${environments.map((e) => e.name).join(', ')})`);
  }
  return environments.filter((e) => !selected || selected.includes(e.name));
}

/**
 * Estimates from already synthesized stacks (`cdktf.out/stacks`): each selected environment's and its share of its
 * account baseline's.
 */
export function estimateFromDirectory(
  environments: readonly EnvironmentConfig[],
  stacksDir: string,
  selected?: readonly string[],
): CostResult {
  return withBudgets(pick(environments, selected), (config) =>
    estimateEnvironment({
      config,
      stack: readStack(stacksDir, stackName(config)),
      stackName: stackName(config),
      baseline: {
        stack: readStack(stacksDir, baselineStackName({ project: config.project, name: config.account })),
        share: 1 / environments.filter((e) => e.account === config.account).length,
      },
    }),
  );
}
