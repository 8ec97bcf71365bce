import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMENT_MARKER } from '../../../scripts/policy/plan-summary';
import { runInProcess } from '../../helpers/cli';

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
  ])('a plan that deletes the database, with %s, exits %i', async (_case, args, env, expected) => {
    const path = file('delete-db.json', plan([DELETE_DATABASE]));
    const { code, stdout } = await summary(['--plan', `unicornhealth-prod=${path}`, ...args], env);
    expect(code).toBe(expected);
    expect(stdout).toContain('1 stateful resource(s) would be destroyed or replaced');
    expect(stdout).toContain('`unicornhealth-prod`: **delete** `aws_db_instance.clinic`');
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
});
