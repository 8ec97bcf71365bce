import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { chalk, minimist } from 'zx';
import { POLICY_SUPPRESSIONS } from '../../config/policy-suppressions';
import { evaluateStack } from './evaluate';
import { modelFromPlan } from './model';
import { renderComment, summarizePlan, verdict } from './plan-summary';

const usage = `Usage: npm run plan:summary -- --plan STACK=FILE [--plan STACK=FILE ...] [--comment FILE] [--json]
                                  [--allow-stateful-destroy]

Summarizes terraform show -json plans (adds, changes, destroys; destroys and replacements of stateful resources
first), runs the policy checks on them, and writes the pull-request comment. Exit 1 on a policy failure or on a
destroy of a stateful resource without --allow-stateful-destroy (or ALLOW_STATEFUL_DESTROY=true).`;

function main(): number {
  const argv = minimist(process.argv.slice(2), { string: ['plan', 'comment'], boolean: ['json', 'help', 'allow-stateful-destroy'] });
  const plans: string[] = ([] as string[]).concat(argv.plan ?? []);
  if (argv.help || plans.length === 0) {
    console.log(usage);
    return argv.help ? 0 : 2;
  }
  const approved = argv['allow-stateful-destroy'] || process.env.ALLOW_STATEFUL_DESTROY === 'true';
  const loaded = plans.map((entry) => {
    const [stack, file] = entry.includes('=') ? entry.split(/=(.*)/s) : [basename(entry, '.json'), entry];
    return { stack, plan: JSON.parse(readFileSync(file, 'utf8')) };
  });
  const summaries = loaded.map(({ stack, plan }) => summarizePlan(stack, plan));
  const policy = loaded.map(({ stack, plan }) => evaluateStack(modelFromPlan(stack, plan), POLICY_SUPPRESSIONS));
  const comment = renderComment(summaries, policy, { statefulDestroyApproved: approved });
  if (argv.comment) writeFileSync(argv.comment, comment);
  const result = verdict(summaries, policy, approved);
  if (argv.json) console.log(JSON.stringify({ summaries, verdict: result }, null, 2));
  else {
    console.log(comment);
    console.log(result.ok ? chalk.green('plan check passed') : chalk.red(`plan check failed: ${result.reasons.join('; ')}`));
  }
  return result.ok ? 0 : 1;
}

process.exit(main());
