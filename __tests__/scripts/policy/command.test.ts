import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RULES } from '../../../scripts/policy/rules';
import { runInProcess } from '../../helpers/cli';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** The smallest synthesized stack every rule passes on: default tags and a budget that alerts. */
const synthesized = (extra: Record<string, Record<string, any>> = {}): object => ({
  '//': { metadata: { stackName: 'tiny' } },
  terraform: { required_providers: { aws: { source: 'aws', version: '6.0.0' } } },
  provider: { aws: [{ region: 'us-east-1', default_tags: [{ tags: { Environment: 'dev' } }] }] },
  resource: { aws_budgets_budget: { monthly: { budget_type: 'COST', notification: [{ threshold: 80 }] } }, ...extra },
});

/** The same stack as `terraform show -json` would give it. */
const plan = (): object => ({
  format_version: '1.2',
  terraform_version: '1.11.4',
  planned_values: {
    root_module: {
      resources: [
        {
          address: 'aws_budgets_budget.monthly',
          mode: 'managed',
          type: 'aws_budgets_budget',
          name: 'monthly',
          values: { notification: [{}] },
        },
      ],
    },
  },
  resource_changes: [
    {
      address: 'aws_budgets_budget.monthly',
      mode: 'managed',
      type: 'aws_budgets_budget',
      name: 'monthly',
      change: { actions: ['create'] },
    },
  ],
  configuration: {
    provider_config: { aws: { name: 'aws', expressions: { default_tags: [{ tags: { constant_value: { Environment: 'dev' } } }] } } },
    root_module: { resources: [] },
  },
});

describe('npm run policy (the command)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'policy-command-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  let folders = 0;
  /** A fresh folder of synthesized stacks, `<stack>/cdk.tf.json`. */
  const stacksDir = (stacks: Record<string, object>): string => {
    folders += 1;
    const dir = join(scratch, `stacks-${folders}`);
    mkdirSync(dir);
    for (const [name, json] of Object.entries(stacks)) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'cdk.tf.json'), JSON.stringify(json));
    }
    return dir;
  };
  const file = (name: string, json: object): string => {
    const path = join(scratch, name);
    writeFileSync(path, JSON.stringify(json));
    return path;
  };

  test('--rules lists every rule id, as a table and as JSON', async () => {
    const text = await runInProcess('policy', ['--rules']);
    expect(text.code).toBe(0);
    for (const rule of RULES) expect(text.stdout).toMatch(new RegExp(`^${rule.id}\\s`, 'm'));
    // An AWS service constraint shows the documentation it encodes among its sources.
    expect(text.stdout).toContain('https://docs.aws.amazon.com/glue/latest/dg/crawler-lf-integ.html');
    const json = await runInProcess('policy', ['--rules', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).rules.map((r: { id: string }) => r.id)).toEqual(RULES.map((r) => r.id));
  });

  test('a folder with no stack in it is an input error (exit 2), never "all rules pass"', async () => {
    const dir = stacksDir({});
    mkdirSync(join(dir, 'not-a-stack'));
    const { code, stdout, stderr } = await runInProcess('policy', ['--stacks', dir]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${dir} holds no synthesized stack (<stack>/cdk.tf.json)`);
    expect(stdout).toBe('');
  });

  test('stacks that pass every rule exit 0, one summary line per stack', async () => {
    const { code, stdout } = await runInProcess('policy', ['--stacks', stacksDir({ 'tiny-b': synthesized(), 'tiny-a': synthesized() })]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^tiny-a: all rules pass/m);
    expect(stdout).toMatch(/^tiny-b: all rules pass/m);
    expect(stdout).toContain(`policy: all ${RULES.length} rules pass on 2 stack(s)`);
  });

  test('a failure exits 1 naming the rule and the resource; --sarif writes it for code scanning', async () => {
    const dir = stacksDir({ tiny: synthesized({ aws_iam_access_key: { ci: { user: 'ci' } } }) });
    const sarif = join(scratch, 'policy.sarif');
    const { code, stdout } = await runInProcess('policy', ['--stacks', dir, '--sarif', sarif]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^UH-IAM-003\s+tiny\s+FAIL\s+access keys are created$/m);
    expect(stdout).toContain('policy: 1 failure(s)');
    const written = JSON.parse(readFileSync(sarif, 'utf8'));
    expect(written.runs[0].results.map((r: any) => `${r.ruleId}:${r.level}`)).toEqual(['UH-IAM-003:error']);
  });

  test('--json lists only the failures unless --verbose', async () => {
    const dir = stacksDir({ tiny: synthesized({ aws_iam_access_key: { ci: { user: 'ci' } } }) });
    const brief = JSON.parse((await runInProcess('policy', ['--stacks', dir, '--json'])).stdout);
    expect(brief).toMatchObject({ ok: false, stacks: 1, failures: 1 });
    expect(brief.reports[0].findings.map((f: any) => f.rule)).toEqual(['UH-IAM-003']);
    const verbose = JSON.parse((await runInProcess('policy', ['--stacks', dir, '--json', '--verbose'])).stdout);
    expect(verbose.reports[0].findings.length).toBeGreaterThan(1);
    expect(verbose.reports[0].findings.filter((f: any) => !f.pass)).toEqual(brief.reports[0].findings);
  });

  test('--plan given a synthesized cdk.tf.json is an input error (exit 2): not a plan, check it with --stacks', async () => {
    const path = file('cdk.tf.json', synthesized());
    const { code, stderr } = await runInProcess('policy', ['--plan', path]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path}: not a plan from terraform show -json`);
    expect(stderr).toContain('It looks like a synthesized stack (cdk.tf.json): check it with --stacks DIR.');
  });

  test('--plan checks a terraform show -json plan, reported under --name', async () => {
    const path = file('plan.json', plan());
    const named = await runInProcess('policy', ['--plan', path, '--name', 'unicornhealth-dev']);
    expect(named.code).toBe(0);
    expect(named.stdout).toMatch(/^unicornhealth-dev: all rules pass/m);
    const unnamed = await runInProcess('policy', ['--plan', path]);
    expect(unnamed.stdout).toContain(`${path}: all rules pass`);
  });
});
