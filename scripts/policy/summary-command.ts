import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { POLICY_SUPPRESSIONS } from '../../config/policy-suppressions';
import { defineCommand } from '../cli/command';
import { UsageError } from '../cli/errors';
import { existingFile, integer } from '../cli/options';
import { sourceLocator } from './construct-sources';
import { evaluateStack } from './evaluate';
import { readPlan } from './inputs';
import { modelFromPlan } from './model';
import { DEFAULT_COMMENT_LENGTH, GITHUB_COMMENT_LIMIT, renderComment, summarizePlan, verdict } from './plan-summary';
import { toSarif } from './report';

interface StackFile {
  readonly stack: string;
  readonly file: string;
}

/** `--plan STACK=FILE` (or just FILE, named after the file); the file must exist. Repeatable. */
function stackFileArgument(option: string) {
  return (value: string, previous: StackFile[] | undefined): StackFile[] => {
    const [stack, file] = value.includes('=')
      ? (value.split(/=(.*)/s) as [string, string])
      : [basename(value).replace(/\.[^.]*$/, ''), value];
    if (!stack) throw new InvalidArgumentError(`"${value}" has no stack name before "=".`);
    existingFile(file);
    if ((previous ?? []).some((p) => p.stack === stack)) throw new InvalidArgumentError(`stack ${stack} is given twice${option}.`);
    return [...(previous ?? []), { stack, file }];
  };
}

export const command = defineCommand({
  name: 'plan-summary',
  description:
    'Summarize terraform plans for a pull request or a release: counts, stateful destroys first, policy checks, the plans, SARIF',
  options: (command) =>
    command
      .addOption(
        new Option('--plan <stack=file>', 'terraform show -json of one stack (repeatable)')
          .argParser(stackFileArgument(''))
          .makeOptionMandatory(),
      )
      .addOption(
        new Option('--plan-text <stack=file>', 'terraform show -no-color of one stack, shown in the comment (repeatable)').argParser(
          stackFileArgument(' to --plan-text'),
        ),
      )
      .addOption(new Option('--comment <file>', 'write the pull-request comment (Markdown) to FILE'))
      .addOption(
        new Option('--max-length <bytes>', `bound on the comment; plans are cut at line boundaries to fit`)
          .default(DEFAULT_COMMENT_LENGTH)
          .argParser(integer({ min: 1_024, max: 1_048_576 })),
      )
      .addOption(
        new Option('--full-plan <where>', 'where the whole plans are, named when one is cut (Markdown)').default(
          'the artifacts of this workflow run',
        ),
      )
      .addOption(new Option('--sarif <file>', 'also write the policy findings as SARIF 2.1.0, located in the construct code'))
      .addOption(
        new Option('--stacks <dir>', 'synthesized stacks whose construct paths locate the SARIF results').default(
          join('cdktf.out', 'stacks'),
        ),
      )
      .addOption(
        new Option('--allow-stateful-destroy', 'accept destroys and replacements of stateful resources (or ALLOW_STATEFUL_DESTROY=true)'),
      ),
  help: `
Fails (exit 1) on a policy failure, or on a destroy or replacement of a resource that holds data or audit history
(database, buckets, KMS keys, secrets, log groups, Glue databases and tables, Redshift namespace) without
--allow-stateful-destroy (or ALLOW_STATEFUL_DESTROY=true). A GitHub comment holds at most ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')} characters;
a step summary 1 MiB (--max-length 1000000).`,
  run(options, { progress, env }) {
    // Only the exact word: the workflow sets the variable to "false" when the label is absent.
    const approved = options.allowStatefulDestroy === true || env.ALLOW_STATEFUL_DESTROY === 'true';
    const texts = options.planText ?? [];
    const unknown = texts.filter((t) => !options.plan.some((p) => p.stack === t.stack));
    if (unknown.length > 0) {
      throw new UsageError(
        `--plan-text names ${unknown.map((t) => t.stack).join(', ')}, which no --plan gives (stacks: ${options.plan.map((p) => p.stack).join(', ')})`,
      );
    }
    const loaded = options.plan.map(({ stack, file }) => {
      progress.update(`reading ${file}`);
      return { stack, plan: readPlan(file) as unknown };
    });
    const summaries = loaded.map(({ stack, plan }) => summarizePlan(stack, plan));
    const policy = loaded.map(({ stack, plan }) => evaluateStack(modelFromPlan(stack, plan), POLICY_SUPPRESSIONS));
    const comment = renderComment(summaries, policy, {
      statefulDestroyApproved: approved,
      planTexts: texts.map(({ stack, file }) => ({ stack, text: readFileSync(file, 'utf8') })),
      fullPlanLocation: options.fullPlan,
      maxLength: options.maxLength,
    });
    if (options.comment) writeFileSync(options.comment, comment);
    if (options.sarif) writeFileSync(options.sarif, JSON.stringify(toSarif(policy, sourceLocator(options.stacks)), null, 2));
    const result = verdict(summaries, policy, approved);
    return {
      ok: result.ok,
      json: { summaries, verdict: result },
      text: `${comment}\n${result.ok ? 'plan check passed' : `plan check failed: ${result.reasons.join('; ')}`}`,
    };
  },
});
