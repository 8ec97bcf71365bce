import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OfflinePlanSetupError, planOffline } from './offline-plan';

const usage = `Usage: npm run plan:offline -- [--stacks-dir DIR] [--stack NAME]... [--json] [--keep]

Plans every synthesized stack with the terraform CLI alone, offline: a local backend, fake credentials, the AWS
provider's skip_* settings and a provider filesystem mirror (found automatically, or TF_PROVIDER_MIRROR).
Run npm run synth first (npm run plan:offline does it for you).

  --stacks-dir DIR  synthesized stacks (default cdktf.out/stacks)
  --stack NAME      plan only this stack (repeatable)
  --json            print a machine-readable summary instead of the table
  --keep            keep the working folders and print their paths
  --help            this text`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'stacks-dir': { type: 'string', default: join('cdktf.out', 'stacks') },
      stack: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const stacksDir = values['stacks-dir']!;
  if (!existsSync(stacksDir)) {
    console.error(`No synthesized stacks at ${stacksDir}. Run: npm run synth`);
    return 2;
  }
  const started = Date.now();
  const results = await planOffline({ stacksDir, stacks: values.stack, keepWorkDirs: values.keep });
  const summary = results.map((r) => ({
    stack: r.stack,
    resources: r.resourceChanges.length,
    creates: r.resourceChanges.filter((c) => c.actions.includes('create')).length,
    seconds: r.seconds,
    resourceTypes: r.resourceTypes,
    ...(values.keep ? { directory: r.directory } : {}),
  }));
  if (values.json) {
    console.log(JSON.stringify({ stacks: summary, totalSeconds: (Date.now() - started) / 1000 }, null, 2));
    return 0;
  }
  for (const s of summary) {
    console.log(`\n${s.stack}: ${s.creates} to add, 0 to change, 0 to destroy (${s.resources} resources)`);
    console.log(`  init ${s.seconds.init.toFixed(1)} s, validate ${s.seconds.validate.toFixed(1)} s, plan ${s.seconds.plan.toFixed(1)} s`);
    for (const [type, count] of Object.entries(s.resourceTypes).sort()) console.log(`  ${String(count).padStart(3)}  ${type}`);
    if (s.directory) console.log(`  working folder: ${s.directory}`);
  }
  console.log(`\nPlanned ${summary.length} stack(s) offline in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error instanceof OfflinePlanSetupError ? `Cannot plan offline: ${error.message}` : error.message);
    process.exit(1);
  },
);
