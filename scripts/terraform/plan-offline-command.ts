import { join } from 'node:path';
import { Option } from '@commander-js/extra-typings';
import { defineCommand } from '../cli/command';
import { existingDirectory, repeated } from '../cli/options';
import { formatTable, left, right } from '../cli/output';
import { planOffline } from './offline-plan';

export const command = defineCommand({
  name: 'plan-offline',
  description: 'Plan every synthesized stack with the terraform CLI alone, offline, against a provider mirror',
  options: (command) =>
    command
      .addOption(new Option('--stacks-dir <dir>', 'synthesized stacks').default(join('cdktf.out', 'stacks')).argParser(existingDirectory))
      .addOption(new Option('--stack <name>', 'plan only this stack (repeatable)').argParser(repeated))
      .addOption(new Option('--keep', 'keep the working folders and print their paths')),
  help: `
A local backend, fake credentials, the AWS provider's skip_* settings and a provider filesystem mirror (found
automatically, or TF_PROVIDER_MIRROR). npm run plan:offline synthesizes first.`,
  async run(options, { progress, width }) {
    const phases = new Map<string, string>();
    const results = await planOffline({
      stacksDir: options.stacksDir,
      stacks: options.stack,
      keepWorkDirs: options.keep,
      onPhase: (stack, phase) => {
        phases.set(stack, phase);
        progress.update(`terraform ${[...phases].map(([s, p]) => `${s}: ${p}`).join(', ')}`);
      },
    });
    const summary = results.map((r) => ({
      stack: r.stack,
      resources: r.resourceChanges.length,
      creates: r.resourceChanges.filter((c) => c.actions.includes('create')).length,
      seconds: r.seconds,
      resourceTypes: r.resourceTypes,
      ...(options.keep ? { directory: r.directory } : {}),
    }));
    const sections = summary.map((s) =>
      [
        `${s.stack}: ${s.creates} to add, 0 to change, 0 to destroy (${s.resources} resources); init ${s.seconds.init.toFixed(1)} s, validate ${s.seconds.validate.toFixed(1)} s, plan ${s.seconds.plan.toFixed(1)} s`,
        formatTable(
          [right('count'), left('resource type')],
          Object.entries(s.resourceTypes)
            .sort()
            .map(([type, count]) => [String(count), type]),
          width,
        ),
        ...(s.directory ? [`working folder: ${s.directory}`] : []),
      ].join('\n'),
    );
    return {
      ok: true,
      json: { stacks: summary, totalSeconds: progress.seconds() },
      text: `${sections.join('\n\n')}\n\nplanned ${summary.length} stack(s) offline in ${progress.elapsed()}`,
    };
  },
});
