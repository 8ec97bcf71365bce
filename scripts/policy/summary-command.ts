import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { POLICY_SUPPRESSIONS } from '../../config/policy-suppressions';
import { defineCommand } from '../cli/command';
import { existingFile } from '../cli/options';
import { evaluateStack } from './evaluate';
import { readPlan } from './inputs';
import { modelFromPlan } from './model';
import { renderComment, summarizePlan, verdict } from './plan-summary';

/** `--plan STACK=FILE` (or just FILE, named after the file); the file must exist. Repeatable. */
function planArgument(value: string, previous: { stack: string; file: string }[] | undefined): { stack: string; file: string }[] {
  const [stack, file] = value.includes('=') ? (value.split(/=(.*)/s) as [string, string]) : [basename(value, '.json'), value];
  if (!stack) throw new InvalidArgumentError(`"${value}" has no stack name before "=".`);
  existingFile(file);
  if ((previous ?? []).some((p) => p.stack === stack)) throw new InvalidArgumentError(`stack ${stack} is given twice.`);
  return [...(previous ?? []), { stack, file }];
}

export const command = defineCommand({
  name: 'plan-summary',
  description: 'Summarize terraform plans for a pull request: counts, stateful destroys first, policy checks, the PR comment',
  options: (command) =>
    command
      .addOption(
        new Option('--plan <stack=file>', 'terraform show -json of one stack (repeatable)').argParser(planArgument).makeOptionMandatory(),
      )
      .addOption(new Option('--comment <file>', 'write the pull-request comment (Markdown) to FILE'))
      .addOption(
        new Option('--allow-stateful-destroy', 'accept destroys and replacements of stateful resources (or ALLOW_STATEFUL_DESTROY=true)'),
      ),
  help: `
Fails (exit 1) on a policy failure, or on a destroy or replacement of a stateful resource without
--allow-stateful-destroy (or ALLOW_STATEFUL_DESTROY=true).`,
  run(options, { progress, env }) {
    // Only the exact word: the workflow sets the variable to "false" when the label is absent.
    const approved = options.allowStatefulDestroy === true || env.ALLOW_STATEFUL_DESTROY === 'true';
    const loaded = options.plan.map(({ stack, file }) => {
      progress.update(`reading ${file}`);
      return { stack, plan: readPlan(file) as unknown };
    });
    const summaries = loaded.map(({ stack, plan }) => summarizePlan(stack, plan));
    const policy = loaded.map(({ stack, plan }) => evaluateStack(modelFromPlan(stack, plan), POLICY_SUPPRESSIONS));
    const comment = renderComment(summaries, policy, { statefulDestroyApproved: approved });
    if (options.comment) writeFileSync(options.comment, comment);
    const result = verdict(summaries, policy, approved);
    return {
      ok: result.ok,
      json: { summaries, verdict: result },
      text: `${comment}\n${result.ok ? 'plan check passed' : `plan check failed: ${result.reasons.join('; ')}`}`,
    };
  },
});
