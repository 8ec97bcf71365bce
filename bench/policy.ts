import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from '@commander-js/extra-typings';
import { dev } from '../config/environments';
import { POLICY_SUPPRESSIONS } from '../config/policy-suppressions';
import { defineCommand, exitWhenDone, runCommand } from '../scripts/cli/command';
import { stopOnExit, temporaryDirectory } from '../scripts/cli/interrupts';
import { integer } from '../scripts/cli/options';
import { formatTable, right } from '../scripts/cli/output';
import { evaluateStack } from '../scripts/policy/evaluate';
import { readPlan } from '../scripts/policy/inputs';
import { modelFromPlan } from '../scripts/policy/model';
import { summarizePlan } from '../scripts/policy/plan-summary';
import { buildApp } from '../stacks/app';
import { stackName } from '../stacks/platform-stack';
import { planOf, replicateStack, resourceCount } from './policy-plan';

/**
 * Benchmark of the policy checks against plan size. Synthesizes the dev stack, repeats it into plans of growing
 * size (every copy renamed, its references kept: bench/policy-plan.ts), and for each size runs `npm run policy --
 * --plan` and `npm run plan:summary -- --plan` as a user would, in child processes (wall time, peak RSS), then
 * times the phases in this process: reading the JSON, building the model, the rules, the summary. Target: a
 * 30,000-resource plan checked in under 30 s, the time per resource about the same at every size.
 */

const ROOT = join(__dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
/** GNU time reports a child's peak RSS (its descendants' included: tsx runs the tool in a child of its own). */
const GNU_TIME = '/usr/bin/time';
interface ToolRun {
  readonly seconds: number;
  readonly peakRssMb?: number;
  readonly document: Record<string, unknown>;
}

/**
 * One tool in a child process, as `npm run <tool> -- <args> --json` runs it; exit 1 (a failed check) is a result
 * too. Its JSON goes to a file, not a pipe: a large document written to a pipe just before the tool exits can be cut.
 */
async function timeTool(command: string, args: readonly string[], work: string): Promise<ToolRun> {
  const measured = existsSync(GNU_TIME);
  const rssFile = join(work, `${command}.rss`);
  const outFile = join(work, `${command}.json`);
  const tool = [TSX, join(ROOT, 'scripts', 'run.ts'), command, ...args, '--json'];
  const [program, ...programArgs] = measured ? [GNU_TIME, '-f', '%M', '-o', rssFile, ...tool] : tool;
  const out = openSync(outFile, 'w');
  const started = Date.now();
  const child = spawn(program, programArgs, { stdio: ['ignore', out, 'pipe'] });
  closeSync(out);
  const unregister = stopOnExit(command, child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = `${stderr}${chunk.toString()}`.slice(-4_000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(unregister);
  const seconds = (Date.now() - started) / 1000;
  if (code !== 0 && code !== 1) throw new Error(`${command} exited with ${String(code)}: ${stderr}`);
  // GNU time writes "Command exited with non-zero status 1" before the figure when the tool fails a check.
  const peakKb = measured ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : undefined;
  return {
    seconds,
    peakRssMb: peakKb !== undefined ? Math.round(peakKb / 1024) : undefined,
    document: JSON.parse(readFileSync(outFile, 'utf8')) as Record<string, unknown>,
  };
}

const seconds = (since: number): number => (Date.now() - since) / 1000;

/** A comma-separated list of plan sizes, in resources. */
function sizesArgument(value: string): number[] {
  const parse = integer({ min: 100, max: 200_000 });
  return value.split(',').map((item) => parse(item));
}

interface SizeResult {
  readonly resources: number;
  readonly copies: number;
  readonly planMb: number;
  readonly policy: Omit<ToolRun, 'document'> & { readonly failures: number };
  readonly planSummary: Omit<ToolRun, 'document'>;
  readonly phases: { readonly read: number; readonly model: number; readonly rules: number; readonly summary: number };
  readonly findings: number;
  readonly failures: number;
}

const benchPolicyCommand = defineCommand({
  name: 'bench:policy',
  description: 'Time npm run policy and plan:summary on synthetic plans of growing size, with the peak RSS of each',
  options: (command) =>
    command.addOption(
      new Option('--sizes <n,...>', 'plan sizes in resources, each made of whole copies of the dev stack')
        .default([1_000, 5_000, 10_000, 30_000], '1000,5000,10000,30000')
        .argParser(sizesArgument),
    ),
  async run(options, { progress, width }) {
    const work = temporaryDirectory('bench-policy-');
    try {
      progress.update('synthesizing the dev stack');
      const prefix = stackName(dev);
      buildApp([dev], work.path).synth();
      const stack: unknown = JSON.parse(readFileSync(join(work.path, 'stacks', prefix, 'cdk.tf.json'), 'utf8'));
      const perCopy = resourceCount(stack);
      // One untimed round first, so that the first size is not also the one that pays for compiling the rules.
      const single: unknown = planOf(stack);
      evaluateStack(modelFromPlan(prefix, single), POLICY_SUPPRESSIONS);
      summarizePlan(prefix, single);
      const results: SizeResult[] = [];
      for (const size of options.sizes) {
        const copies = Math.max(1, Math.round(size / perCopy));
        const file = join(work.path, `plan-${copies}.json`);
        progress.update(`writing a plan of ${copies} copies of ${prefix}`);
        writeFileSync(file, JSON.stringify(planOf(replicateStack(stack, copies, prefix))));
        progress.update(`npm run policy on ${(copies * perCopy).toLocaleString('en-US')} resources`);
        const policy = await timeTool('policy', ['--plan', file, '--name', prefix], work.path);
        progress.update(`npm run plan:summary on ${(copies * perCopy).toLocaleString('en-US')} resources`);
        const planSummary = await timeTool('plan-summary', ['--plan', `${prefix}=${file}`, '--allow-stateful-destroy'], work.path);

        progress.update('timing the phases in this process');
        let started = Date.now();
        const plan: unknown = readPlan(file);
        const read = seconds(started);
        started = Date.now();
        const model = modelFromPlan(prefix, plan);
        const modelSeconds = seconds(started);
        started = Date.now();
        const report = evaluateStack(model, POLICY_SUPPRESSIONS);
        const rules = seconds(started);
        started = Date.now();
        summarizePlan(prefix, plan);
        const summary = seconds(started);
        const planMb = statSync(file).size / 1e6;
        rmSync(file);
        results.push({
          resources: model.resources.length,
          copies,
          planMb,
          policy: { seconds: policy.seconds, peakRssMb: policy.peakRssMb, failures: Number(policy.document.failures) },
          planSummary: { seconds: planSummary.seconds, peakRssMb: planSummary.peakRssMb },
          phases: { read, model: modelSeconds, rules, summary },
          findings: report.findings.length,
          failures: report.failures,
        });
      }

      const mb = (value: number | undefined): string => (value === undefined ? '-' : `${value} MB`);
      const perResource = (result: SizeResult): number => (result.phases.rules * 1e6) / result.resources;
      const table = formatTable(
        [
          'resources',
          'plan MB',
          'policy s',
          'policy RSS',
          'plan:summary s',
          'plan:summary RSS',
          'read s',
          'model s',
          'rules s',
          'summary s',
          'rules µs/resource',
        ].map(right),
        results.map((r) => [
          r.resources.toLocaleString('en-US'),
          r.planMb.toFixed(1),
          r.policy.seconds.toFixed(1),
          mb(r.policy.peakRssMb),
          r.planSummary.seconds.toFixed(1),
          mb(r.planSummary.peakRssMb),
          r.phases.read.toFixed(2),
          r.phases.model.toFixed(2),
          r.phases.rules.toFixed(2),
          r.phases.summary.toFixed(3),
          perResource(r).toFixed(0),
        ]),
        width,
      );
      // The child and this process evaluate the same plan: they must agree.
      const disagreements = results.filter((r) => r.policy.failures !== r.failures);
      const largest = results[results.length - 1];
      const notes = [
        `each plan: copies of ${prefix} (${perCopy} resources each), renamed, references kept; policy and plan:summary in child processes (wall time with tsx start-up), phases in this process`,
        `largest: ${largest.resources.toLocaleString('en-US')} resources (${largest.planMb.toFixed(1)} MB) checked by npm run policy in ${largest.policy.seconds.toFixed(1)} s (target < 30 s), plan:summary in ${largest.planSummary.seconds.toFixed(1)} s`,
        ...(existsSync(GNU_TIME) ? [] : [`peak RSS not measured: ${GNU_TIME} (GNU time) is not installed`]),
        ...disagreements.map(
          (r) => `at ${r.resources} resources npm run policy found ${r.policy.failures} failures, this process ${r.failures}`,
        ),
      ];
      return {
        ok: disagreements.length === 0,
        json: { stack: prefix, resourcesPerCopy: perCopy, results },
        text: [table, ...notes].join('\n'),
      };
    } finally {
      work.remove();
    }
  },
});

exitWhenDone(runCommand(benchPolicyCommand, process.argv.slice(2)));
