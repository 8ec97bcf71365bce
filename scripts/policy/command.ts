import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from '@commander-js/extra-typings';
import { POLICY_SUPPRESSIONS } from '../../config/policy-suppressions';
import { defineCommand } from '../cli/command';
import { existingDirectory, existingFile } from '../cli/options';
import { formatTable, left, wrapped } from '../cli/output';
import { evaluateStack } from './evaluate';
import { loadPlan, loadSynthesizedStacks } from './inputs';
import { formatReports, toSarif } from './report';
import { RULES } from './rules';

const sourcesOf = (rule: (typeof RULES)[number]): string =>
  [...(rule.sources.checkov ?? []), ...(rule.sources.trivy ?? []), rule.sources.cdkNag, rule.sources.hipaa, ...(rule.sources.aws ?? [])]
    .filter(Boolean)
    .join('; ');

export const command = defineCommand({
  name: 'policy',
  description: `HIPAA-minded policy checks and AWS service constraints (${RULES.length} rules) on the synthesized stacks or on a terraform plan`,
  options: (command) =>
    command
      .addOption(
        new Option('--stacks <dir>', 'synthesized stacks (default: cdktf.out/stacks)').argParser(existingDirectory).conflicts('plan'),
      )
      .addOption(new Option('--plan <file>', 'a terraform show -json plan instead of the synthesized stacks').argParser(existingFile))
      .addOption(new Option('--name <stack>', 'stack name of --plan in the report (default: the file name)'))
      .addOption(new Option('--sarif <file>', 'also write the findings as SARIF 2.1.0 for code scanning'))
      .addOption(new Option('--verbose', 'list every finding, not only the failures'))
      .addOption(new Option('--rules', 'list the rules with their sources and exit')),
  help: `
Suppressions live in config/policy-suppressions.ts and are listed in every report.`,
  run(options, { width, progress }) {
    if (options.rules) {
      return {
        ok: true,
        json: { rules: RULES.map(({ id, title, resourceTypes, sources }) => ({ id, title, resourceTypes, sources })) },
        text: formatTable(
          [left('rule'), wrapped('title'), wrapped('sources')],
          RULES.map((rule) => [rule.id, rule.title, sourcesOf(rule)]),
          width,
        ),
      };
    }
    progress.update('reading the stacks');
    const models = options.plan
      ? [loadPlan(options.plan, options.name ?? options.plan)]
      : loadSynthesizedStacks(options.stacks ?? join('cdktf.out', 'stacks'));
    const reports = models.map((model) => {
      progress.update(`checking ${model.name}`, { resources: model.resources.length });
      return evaluateStack(model, POLICY_SUPPRESSIONS);
    });
    if (options.sarif) writeFileSync(options.sarif, JSON.stringify(toSarif(reports), null, 2));
    const failures = reports.reduce((n, r) => n + r.failures, 0);
    return {
      ok: failures === 0,
      json: {
        stacks: reports.length,
        failures,
        reports: options.verbose ? reports : reports.map((r) => ({ ...r, findings: r.findings.filter((f) => !f.pass) })),
      },
      text: `${formatReports(reports, { verbose: options.verbose, width })}\n${failures === 0 ? `policy: all ${RULES.length} rules pass on ${reports.length} stack(s)` : `policy: ${failures} failure(s)`}`,
    };
  },
});
