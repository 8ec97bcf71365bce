import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dev } from '../../../config/environments';
import { COMMENT_MARKER } from '../../../scripts/policy/plan-summary';
import { buildApp } from '../../../stacks/app';
import { runInProcess } from '../../helpers/cli';
import { synthesize } from '../../helpers/synth';

/* eslint-disable @typescript-eslint/no-explicit-any */

interface Change {
  readonly address: string;
  readonly actions: string[];
  /** Values after the change; absent for a delete. */
  readonly values?: Record<string, any>;
}

/** A minimal `terraform show -json` plan; every rule passes on its budget and default tags. */
function plan(changes: Change[] = []): object {
  const all: Change[] = [{ address: 'aws_budgets_budget.monthly', actions: ['create'], values: { notification: [{}] } }, ...changes];
  const resource = ({ address }: Change) => ({ address, mode: 'managed', type: address.split('.')[0], name: address.split('.')[1] });
  return {
    format_version: '1.2',
    terraform_version: '1.11.4',
    planned_values: { root_module: { resources: all.filter((c) => c.values).map((c) => ({ ...resource(c), values: c.values })) } },
    resource_changes: all.map((c) => ({ ...resource(c), change: { actions: c.actions } })),
    configuration: {
      provider_config: { aws: { name: 'aws', expressions: { default_tags: [{ tags: { constant_value: { Environment: 'dev' } } }] } } },
      root_module: { resources: [] },
    },
  };
}

const DELETE_DATABASE: Change = { address: 'aws_db_instance.clinic', actions: ['delete'] };

describe('npm run plan-summary (the command)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'plan-summary-command-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const file = (name: string, json: object): string => {
    const path = join(scratch, name);
    writeFileSync(path, JSON.stringify(json));
    return path;
  };
  /** Runs with exactly `env`, so the test does not depend on the ALLOW_STATEFUL_DESTROY of the machine. */
  const summary = (args: string[], env: NodeJS.ProcessEnv = {}) => runInProcess('plan-summary', args, env);

  test('a plan that only adds passes (exit 0) with its counts in the comment', async () => {
    const { code, stdout } = await summary(['--plan', `unicornhealth-dev=${file('add.json', plan())}`]);
    expect(code).toBe(0);
    expect(stdout.startsWith(COMMENT_MARKER)).toBe(true);
    expect(stdout).toContain('| unicornhealth-dev | 1 | 0 | 0 | 0 |');
    expect(stdout).toContain('**unicornhealth-dev**: all rules pass');
    expect(stdout).toMatch(/plan check passed\n?$/);
  });

  test.each([
    ['no approval', [], {}, 1],
    ['--allow-stateful-destroy', ['--allow-stateful-destroy'], {}, 0],
    ['ALLOW_STATEFUL_DESTROY=true', [], { ALLOW_STATEFUL_DESTROY: 'true' }, 0],
    ['ALLOW_STATEFUL_DESTROY=false', [], { ALLOW_STATEFUL_DESTROY: 'false' }, 1],
    ['ALLOW_STATEFUL_DESTROY=1', [], { ALLOW_STATEFUL_DESTROY: '1' }, 1],
    ['ALLOW_STATEFUL_DESTROY empty', [], { ALLOW_STATEFUL_DESTROY: '' }, 1],
    ['the flag, whatever the variable says', ['--allow-stateful-destroy'], { ALLOW_STATEFUL_DESTROY: 'false' }, 0],
  ])('a plan that deletes the database, with %s (args %j, env %j), exits %i', async (_case, args, env, expected) => {
    const path = file('delete-db.json', plan([DELETE_DATABASE]));
    const { code, stdout } = await summary(['--plan', `unicornhealth-prod=${path}`, ...args], env);
    expect(code).toBe(expected);
    expect(stdout).toContain('1 stateful resource(s) would be destroyed or replaced');
    expect(stdout).toContain('`unicornhealth-prod`: **delete** `aws_db_instance.clinic` (loses');
    if (expected === 0) {
      expect(stdout).toContain('(approved with the `allow-stateful-destroy` label)');
      expect(stdout).toMatch(/plan check passed\n?$/);
    } else {
      expect(stdout).toMatch(/plan check failed: 1 unapproved destroy\(s\) of stateful resources\n?$/);
    }
  });

  test('a policy failure in the plan fails the check even with the approval', async () => {
    const path = file('access-key.json', plan([{ address: 'aws_iam_access_key.ci', actions: ['create'], values: { user: 'ci' } }]));
    const { code, stdout } = await summary(['--plan', path, '--allow-stateful-destroy']);
    expect(code).toBe(1);
    expect(stdout).toContain('| UH-IAM-003 | `access-key` | access keys are created |');
    expect(stdout).toMatch(/plan check failed: 1 policy failure\(s\)\n?$/);
  });

  test('--comment writes the pull-request comment; --json has the summaries and the verdict', async () => {
    const comment = join(scratch, 'comment.md');
    const path = file('delete-db.json', plan([DELETE_DATABASE]));
    const { code, stdout } = await summary([
      '--plan',
      `prod=${path}`,
      '--plan',
      `dev=${file('add.json', plan())}`,
      '--comment',
      comment,
      '--json',
    ]);
    expect(code).toBe(1);
    const document = JSON.parse(stdout);
    expect(document.summaries.map((s: any) => [s.stack, s.adds, s.destroys])).toEqual([
      ['prod', 1, 1],
      ['dev', 1, 0],
    ]);
    expect(document.verdict).toEqual({ ok: false, reasons: ['1 unapproved destroy(s) of stateful resources'] });
    const written = readFileSync(comment, 'utf8');
    expect(written.startsWith(COMMENT_MARKER)).toBe(true);
    expect(written).toContain('`prod`: **delete** `aws_db_instance.clinic`');
  });

  test('--plan given a synthesized cdk.tf.json is an input error (exit 2): not a plan', async () => {
    const path = file('cdk.tf.json', { terraform: {}, resource: { aws_budgets_budget: { monthly: {} } } });
    const { code, stderr } = await summary(['--plan', `dev=${path}`]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path}: not a plan from terraform show -json`);
    expect(stderr).toContain('It looks like a synthesized stack');
  });

  test.each([
    ['no --plan', () => [], () => "required option '--plan <stack=file>' not specified"],
    ['a stack given twice', (path: string) => ['--plan', `dev=${path}`, '--plan', `dev=${path}`], () => 'stack dev is given twice.'],
    ['no stack name before =', (path: string) => ['--plan', `=${path}`], (path: string) => `"=${path}" has no stack name before "=".`],
  ])('%s is a usage error (exit 2)', async (_case, args, message) => {
    const path = file('add.json', plan());
    const { code, stderr } = await summary(args(path));
    expect(code).toBe(2);
    expect(stderr).toContain(message(path));
  });

  test('a plan that destroys every log group of the dev stack (its audit history) fails without the label', async () => {
    const logGroups = Object.keys(synthesize(dev).resources('aws_cloudwatch_log_group')).map((name) => `aws_cloudwatch_log_group.${name}`);
    expect(logGroups.length).toBeGreaterThanOrEqual(5);
    expect(logGroups).toContain('aws_cloudwatch_log_group.database_log-audit');
    const path = file('delete-logs.json', plan(logGroups.map((address) => ({ address, actions: ['delete'] }))));
    const refused = await summary(['--plan', `unicornhealth-dev=${path}`]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`${logGroups.length} stateful resource(s) would be destroyed or replaced`);
    for (const address of logGroups) expect(refused.stdout).toContain(`**delete** \`${address}\` (loses audit history`);
    expect(refused.stdout).toMatch(
      new RegExp(`plan check failed: ${logGroups.length} unapproved destroy\\(s\\) of stateful resources\\n?$`),
    );
    expect((await summary(['--plan', `unicornhealth-dev=${path}`], { ALLOW_STATEFUL_DESTROY: 'true' })).code).toBe(0);
  });

  test('--plan-text puts each plan in the comment; a stack without --plan is a usage error (exit 2)', async () => {
    const comment = join(scratch, 'with-text.md');
    const json = file('add.json', plan());
    const text = join(scratch, 'add.txt');
    writeFileSync(text, 'Terraform will perform the following actions:\n\n  # aws_budgets_budget.monthly will be created\n');
    const { code } = await summary(['--plan', `dev=${json}`, '--plan-text', `dev=${text}`, '--comment', comment]);
    expect(code).toBe(0);
    expect(readFileSync(comment, 'utf8')).toContain(
      '<details><summary>Plan of <code>dev</code>: 1 to add, 0 to change, 0 to destroy</summary>\n\n```text\nTerraform will perform',
    );
    const unknown = await summary(['--plan', `dev=${json}`, '--plan-text', `prod=${text}`]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--plan-text names prod, which no --plan gives (stacks: dev)');
  });

  test('--max-length bounds the comment, cutting the plan and naming where the full one is', async () => {
    const comment = join(scratch, 'cut.md');
    const text = join(scratch, 'long.txt');
    writeFileSync(text, Array.from({ length: 5_000 }, (_, i) => `  + line ${i}`).join('\n'));
    const args = ['--plan', `dev=${file('add.json', plan())}`, '--plan-text', `dev=${text}`, '--comment', comment];
    expect((await summary([...args, '--max-length', '8000', '--full-plan', 'the artifact `plan-dev`'])).code).toBe(0);
    const written = readFileSync(comment, 'utf8');
    expect(Buffer.byteLength(written)).toBeLessThanOrEqual(8_000);
    expect(written).toMatch(
      /_Cut to fit the comment: lines [\d,]+-5,000 of 5,000 are not shown\. The full plan is in the artifact `plan-dev`\._/,
    );
  });

  test('--sarif locates findings in the construct code of the synthesized stacks (--stacks)', async () => {
    const outdir = join(scratch, 'synth');
    buildApp([dev], outdir).synth();
    const sarif = join(scratch, 'policy.sarif');
    const path = file('access-key.json', plan([{ address: 'aws_iam_access_key.ci', actions: ['create'], values: { user: 'ci' } }]));
    const { code } = await summary(['--plan', `unicornhealth-dev=${path}`, '--sarif', sarif, '--stacks', join(outdir, 'stacks')]);
    expect(code).toBe(1);
    const [result] = JSON.parse(readFileSync(sarif, 'utf8')).runs[0].results;
    expect(result.ruleId).toBe('UH-IAM-003');
    // A stack-wide rule: located at the stack's class.
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('stacks/platform-stack.ts');
  });
});
