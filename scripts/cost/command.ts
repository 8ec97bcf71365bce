import { readFileSync, writeFileSync } from 'node:fs';
import { Option } from '@commander-js/extra-typings';
import { environments } from '../../config/environments';
import { defineCommand } from '../cli/command';
import { existingDirectory, repeated } from '../cli/options';
import { estimateFromDirectory, estimateSynthesized } from './estimates';
import { costMarkdown, costSectionOf, formatCostReport, withCostSection } from './report';

const README = 'README.md';

export const command = defineCommand({
  name: 'cost',
  description: 'Monthly cost of each environment, at rest and with its expected activity, computed from the synthesized stacks',
  options: (command) =>
    command
      .addOption(new Option('--env <name>', 'report only this environment (repeatable)').argParser(repeated))
      .addOption(
        new Option('--stacks-dir <dir>', 'read the synthesized cdk.tf.json files here instead of synthesizing in memory').argParser(
          existingDirectory,
        ),
      )
      .addOption(new Option('--write-readme', `replace the generated cost section of ${README} with this estimate`)),
  help: `
Every priced resource of each environment's stack and its share of the account baseline, at the dated us-east-1 list
prices of config/prices.ts; usage assumptions come from each environment's config (usage) and config/cost-model.ts.
"At rest" is what bills with nothing running but what must; "activity" is a month of the configured releases and
queries. Exit 1 when an environment's at-rest estimate exceeds its monthlyBudgetUsd or a resource type has no price.`,
  run(options, { progress, width }) {
    progress.update('estimating');
    const result = options.stacksDir
      ? estimateFromDirectory(environments, options.stacksDir, options.env)
      : estimateSynthesized(environments, options.env);
    const unpriced = [...new Set(result.estimates.flatMap((e) => e.unpriced))];
    const overBudget = result.estimates.filter((e) => e.atRest.totalUsd > e.monthlyBudgetUsd).map((e) => e.environment);
    if (options.writeReadme) {
      writeFileSync(README, withCostSection(readFileSync(README, 'utf8'), costMarkdown(result.estimates)));
    }
    const readmeCurrent = costSectionOf(readFileSync(README, 'utf8')) === costMarkdown(result.estimates);
    const notes = [
      ...result.warnings.map((w) => `warning: ${w}`),
      ...(unpriced.length ? [`not priced: ${unpriced.join(', ')}`] : []),
      ...(options.writeReadme
        ? [`${README}: cost section written`]
        : readmeCurrent
          ? []
          : [`${README}: cost section differs (npm run cost -- --write-readme)`]),
    ];
    return {
      ok: overBudget.length === 0 && unpriced.length === 0,
      json: {
        environments: result.estimates.map((e) => ({
          environment: e.environment,
          stack: e.stack,
          monthlyBudgetUsd: e.monthlyBudgetUsd,
          atRest: e.atRest,
          activity: e.activity,
          expectedUsd: e.expectedUsd,
          unpriced: e.unpriced,
        })),
        warnings: result.warnings,
        readmeCurrent,
      },
      text: [formatCostReport(result.estimates, width), ...(notes.length ? ['', ...notes] : [])].join('\n'),
    };
  },
});
