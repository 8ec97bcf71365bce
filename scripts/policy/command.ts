import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chalk, minimist } from 'zx';
import { POLICY_SUPPRESSIONS } from '../../config/policy-suppressions';
import { evaluateStack } from './evaluate';
import { modelFromPlan, modelFromSynth } from './model';
import { formatReports, toSarif } from './report';
import { RULES } from './rules';

const usage = `Usage: npm run policy -- [--stacks DIR | --plan FILE] [--json] [--sarif FILE] [--failures-only]

HIPAA-minded policy checks (${RULES.length} rules) on every synthesized stack (default cdktf.out/stacks) or on a
terraform show -json plan. Suppressions live in config/policy-suppressions.ts and are listed in every report.
Exit status: 0 when nothing fails, 1 on any failure, 2 on a usage error.`;

function main(): number {
  const argv = minimist(process.argv.slice(2), {
    string: ['stacks', 'plan', 'sarif', 'name'],
    boolean: ['json', 'help', 'failures-only', 'rules'],
  });
  if (argv.help) {
    console.log(usage);
    return 0;
  }
  if (argv.rules) {
    for (const rule of RULES)
      console.log(
        `${rule.id}  ${rule.title}  [${[...(rule.sources.checkov ?? []), ...(rule.sources.trivy ?? []), rule.sources.cdkNag, rule.sources.hipaa].filter(Boolean).join('; ')}]`,
      );
    return 0;
  }
  let models;
  if (argv.plan) {
    models = [modelFromPlan(argv.name ?? argv.plan, JSON.parse(readFileSync(argv.plan, 'utf8')))];
  } else {
    const dir = argv.stacks ?? join('cdktf.out', 'stacks');
    if (!existsSync(dir)) {
      console.error(`No synthesized stacks at ${dir}. Run: npm run synth`);
      return 2;
    }
    models = readdirSync(dir)
      .filter((name) => existsSync(join(dir, name, 'cdk.tf.json')))
      .map((name) => modelFromSynth(name, JSON.parse(readFileSync(join(dir, name, 'cdk.tf.json'), 'utf8'))));
  }
  const reports = models.map((model) => evaluateStack(model, POLICY_SUPPRESSIONS));
  if (argv.sarif) writeFileSync(argv.sarif, JSON.stringify(toSarif(reports), null, 2));
  if (argv.json) console.log(JSON.stringify(reports, null, 2));
  else {
    console.log(formatReports(reports, { failuresOnly: argv['failures-only'] }));
    const failures = reports.reduce((n, r) => n + r.failures, 0);
    console.log(
      failures === 0
        ? chalk.green(`policy: all ${RULES.length} rules pass on ${reports.length} stack(s)`)
        : chalk.red(`policy: ${failures} failure(s)`),
    );
  }
  return reports.some((r) => r.failures > 0) ? 1 : 0;
}

process.exit(main());
