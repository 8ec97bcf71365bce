/** @needs terraform: plans the synthesized stacks offline against the provider mirror (npm run test:unit leaves this suite out). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dev, prod } from '../../../config/environments';
import { POLICY_SUPPRESSIONS } from '../../../config/policy-suppressions';
import { buildApp } from '../../../stacks/app';
import { evaluateStack } from '../../../scripts/policy/evaluate';
import { modelFromPlan } from '../../../scripts/policy/model';
import { StackPlanResult, planOffline } from '../../../scripts/terraform/offline-plan';
import { COMMENT_MARKER, renderComment, summarizePlan, verdict } from '../../../scripts/policy/plan-summary';

/** State of a prod database deployed under an older identifier: planning the stack against it replaces the instance. */
function stateWithOldDatabase(address: string): object {
  const [type, name] = address.split('.');
  return {
    version: 4,
    terraform_version: '1.11.4',
    serial: 1,
    lineage: '0e0f0e0f-0000-4000-8000-000000000001',
    outputs: {},
    resources: [
      {
        mode: 'managed',
        type,
        name,
        provider: 'provider["registry.terraform.io/hashicorp/aws"]',
        instances: [
          {
            schema_version: 2,
            attributes: {
              id: 'db-ABCDEFGHIJKL',
              identifier: 'unicornhealth-prod-mysql-old',
              engine: 'mysql',
              engine_version: '8.0',
              instance_class: 'db.m7g.large',
              db_name: 'unicornhealth',
              username: 'clinic_admin',
              allocated_storage: 50,
              storage_encrypted: true,
              arn: 'arn:aws:rds:us-east-1:222222222222:db:unicornhealth-prod-mysql-old',
              tags: {},
              tags_all: {},
            },
          },
        ],
      },
    ],
  };
}

describe('plan summary, stateful-destroy detection and the PR comment, on real terraform show -json', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'plan-summary-'));
  let created: StackPlanResult;
  let replaced: StackPlanResult;

  beforeAll(async () => {
    buildApp([dev, prod], outdir).synth();
    // dev plans from empty state (a first deployment); prod against a database deployed under an old name.
    const stacks = join(outdir, 'stacks');
    const prodJson = JSON.parse(readFileSync(join(stacks, 'unicornhealth-prod', 'cdk.tf.json'), 'utf8'));
    const database = `aws_db_instance.${Object.keys(prodJson.resource.aws_db_instance)[0]}`;
    const results = await planOffline({ stacksDir: stacks, states: { 'unicornhealth-prod': stateWithOldDatabase(database) } });
    created = results.find((r) => r.stack === 'unicornhealth-dev')!;
    replaced = results.find((r) => r.stack === 'unicornhealth-prod')!;
  }, 300_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test('a first deployment only adds, with no stateful destroy', () => {
    const summary = summarizePlan('unicornhealth-dev', created.planJson);
    expect(summary).toMatchObject({ changes: 0, destroys: 0, replaces: 0, statefulDestroys: [] });
    expect(summary.adds).toBe(created.resourceChanges.length);
  });

  test('a plan that replaces the RDS instance calls it out as a stateful destroy', () => {
    const summary = summarizePlan('unicornhealth-prod', replaced.planJson);
    expect(summary.replaces).toBe(1);
    expect(summary.statefulDestroys).toEqual([
      { address: expect.stringMatching(/^aws_db_instance\./), type: 'aws_db_instance', action: 'replace', loses: expect.any(String) },
    ]);
  });

  test('the comment puts the stateful destroy first, then the counts, then the policy table, under one marker', () => {
    const summaries = [summarizePlan('unicornhealth-dev', created.planJson), summarizePlan('unicornhealth-prod', replaced.planJson)];
    const policy = [evaluateStack(modelFromPlan('unicornhealth-dev', created.planJson), POLICY_SUPPRESSIONS)];
    const comment = renderComment(summaries, policy, { statefulDestroyApproved: false });
    expect(comment.startsWith(COMMENT_MARKER)).toBe(true);
    const caution = comment.indexOf('stateful resource(s) would be destroyed or replaced');
    expect(caution).toBeGreaterThan(0);
    expect(caution).toBeLessThan(comment.indexOf('| stack | add |'));
    expect(comment).toMatch(/`unicornhealth-prod`: \*\*replace\*\* `aws_db_instance\./);
    expect(comment).toMatch(/\| unicornhealth-prod \| \d+ \| \d+ \| 1 \| 1 \|/);
    expect(comment).toContain('**unicornhealth-dev**: all rules pass');
  });

  test('the check fails on an unapproved stateful destroy and passes once approved', () => {
    const summaries = [summarizePlan('unicornhealth-prod', replaced.planJson)];
    const policy = [evaluateStack(modelFromPlan('unicornhealth-prod', replaced.planJson), POLICY_SUPPRESSIONS)];
    expect(verdict(summaries, policy, false)).toEqual({ ok: false, reasons: ['1 unapproved destroy(s) of stateful resources'] });
    expect(verdict(summaries, policy, true)).toEqual({ ok: true, reasons: [] });
  });

  test('a policy failure fails the check whatever the approvals', () => {
    const plan = structuredClone(created.planJson) as {
      planned_values: { root_module: { resources: { type: string; values: Record<string, unknown> }[] } };
    };
    plan.planned_values.root_module.resources.find((r) => r.type === 'aws_db_instance')!.values.publicly_accessible = true;
    const policy = [evaluateStack(modelFromPlan('unicornhealth-dev', plan), POLICY_SUPPRESSIONS)];
    expect(verdict([summarizePlan('unicornhealth-dev', plan)], policy, true)).toEqual({ ok: false, reasons: ['1 policy failure(s)'] });
  });

  test('a plan that destroys every log group (the audit history) fails without the label, and shows each one', () => {
    const plan = structuredClone(created.planJson) as {
      resource_changes: { type: string; address: string; change: { actions: string[] } }[];
    };
    const logGroups = plan.resource_changes.filter((c) => c.type === 'aws_cloudwatch_log_group');
    expect(logGroups.length).toBeGreaterThanOrEqual(5);
    for (const change of logGroups) change.change.actions = ['delete'];
    const summaries = [summarizePlan('unicornhealth-dev', plan)];
    expect(summaries[0].statefulDestroys.map((d) => d.address).sort()).toEqual(logGroups.map((c) => c.address).sort());
    const policy = [evaluateStack(modelFromPlan('unicornhealth-dev', created.planJson), POLICY_SUPPRESSIONS)];
    expect(verdict(summaries, policy, false)).toEqual({
      ok: false,
      reasons: [`${logGroups.length} unapproved destroy(s) of stateful resources`],
    });
    expect(verdict(summaries, policy, true).ok).toBe(true);
    const comment = renderComment(summaries, policy, { statefulDestroyApproved: false });
    for (const change of logGroups) expect(comment).toContain(`**delete** \`${change.address}\``);
  });
});
