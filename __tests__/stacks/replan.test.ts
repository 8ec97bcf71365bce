/** @needs terraform: plans every synthesized stack offline, twice: from an empty state, then against the state AWS leaves after apply. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerraformStack } from 'cdktf';
import { environments } from '../../config/environments';
import { buildApp } from '../../stacks/app';
import { stackName } from '../../stacks/platform-stack';
import { planOffline } from '../../scripts/terraform/offline-plan';
import { AWS_RETURNS, CHECKED_WITHOUT_ENTRY, awsPolicyForm } from '../helpers/aws-returns';
import {
  AppliedStateReplan,
  ResourceSchemas,
  driftedState,
  formatChanges,
  plannedChanges,
  replanAgainstAppliedState,
} from '../helpers/applied-state';

/*
 * Issue 11, "No perpetual diff": after a successful apply, AWS returns more than the configuration says (every
 * Redshift Serverless config parameter, policies in canonical form, full DMS task settings, ...). Each stack is
 * planned against the state holding exactly that (see helpers/applied-state.ts and the cited table in
 * helpers/aws-returns.ts) and must plan zero changes: anything else is a diff on every plan, and an update that AWS
 * may refuse.
 */
describe('no perpetual diff: every stack plans zero changes against the state AWS leaves after apply', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'replan-'));
  const stacksDir = join(outdir, 'stacks');
  let results: AppliedStateReplan[] = [];
  let schemas: ResourceSchemas;
  let stacks: string[] = [];

  beforeAll(async () => {
    const app = buildApp(environments, outdir);
    app.synth();
    stacks = app.node.children
      .filter((child) => TerraformStack.isStack(child))
      .map((child) => child.node.id)
      .sort();
    ({ results, schemas } = await replanAgainstAppliedState({ stacksDir, log: (line) => process.stderr.write(`[replan] ${line}\n`) }));
  }, 900_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const resultOf = (stack: string): AppliedStateReplan => {
    const result = results.find((r) => r.stack === stack);
    if (!result) throw new Error(`${stack} was not planned`);
    return result;
  };

  test('every synthesized stack was planned, every environment among them', () => {
    expect(results.map((r) => r.stack).sort()).toEqual(stacks);
    expect(stacks).toEqual(expect.arrayContaining(environments.map(stackName)));
  });

  /** Fails with every changing address, its differing attributes (before -> after) and what AWS returns for its type. */
  const expectNoChanges = ({ stack, changes }: AppliedStateReplan): void => {
    if (changes.length === 0) return;
    const types = [...new Set(changes.map((c) => c.address.split('.')[0]))];
    const why = AWS_RETURNS.filter((entry) => types.includes(entry.type)).map(
      (entry) => `  ${entry.type} ${entry.attributes.join(', ')}: ${entry.awsReturns}\n    sources: ${entry.sources.join(' ')}`,
    );
    throw new Error(
      `${stack} plans ${changes.length} change(s) against the state AWS leaves after apply (a perpetual diff):\n` +
        `${formatChanges(changes)}\n\nWhat AWS returns for these types:\n${why.join('\n')}`,
    );
  };

  test.each(environments.map(stackName))('%s: no resource changes against the state AWS returns', (stack) => {
    const result = resultOf(stack);
    expect(result.resources.length).toBeGreaterThan(40);
    expectNoChanges(result);
  });

  test('any other synthesized stack (account baselines, ...): no resource changes against the state AWS returns', () => {
    for (const result of results.filter((r) => !environments.map(stackName).includes(r.stack))) expectNoChanges(result);
  });

  test('every resource type of the stacks was checked against what AWS returns (add a table entry or a note for a new type)', () => {
    const types = [...new Set(results.flatMap((r) => r.resources.map((resource) => resource.type)))].sort();
    const checked = new Set([...AWS_RETURNS.map((e) => e.type), ...Object.keys(CHECKED_WITHOUT_ENTRY)]);
    expect(types.filter((type) => !checked.has(type))).toEqual([]);
  });

  test('every table entry names a resource type and attributes of the provider, and cites its sources', () => {
    for (const entry of AWS_RETURNS) {
      const schema = schemas[entry.type];
      expect({ type: entry.type, known: Boolean(schema) }).toEqual({ type: entry.type, known: true });
      const top = new Set([...Object.keys(schema.block.attributes ?? {}), ...Object.keys(schema.block.block_types ?? {})]);
      expect(entry.attributes.filter((a) => !top.has(a.split('.')[0]))).toEqual([]);
      expect(entry.sources.length).toBeGreaterThan(0);
      for (const source of entry.sources) expect(source).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|github\.com)\//);
    }
  });

  test('the state carries the provider address and the schema version of each resource type', () => {
    const state = resultOf(stackName(environments[0])).state as {
      version: number;
      resources: { type: string; provider: string; instances: { schema_version: number }[] }[];
    };
    expect(state.version).toBe(4);
    for (const resource of state.resources) {
      expect(resource.provider).toBe('provider["registry.terraform.io/hashicorp/aws"]');
      for (const instance of resource.instances) expect(instance.schema_version).toBe(schemas[resource.type].version);
    }
  });

  test('the state holds what AWS returns, not what the configuration says: all Redshift config parameters, canonical policies', () => {
    const { state } = resultOf(stackName(environments[0]));
    const resources = (state as { resources: { type: string; instances: { attributes: Record<string, unknown> }[] }[] }).resources;
    const attributesOf = (type: string): Record<string, unknown>[] =>
      resources.filter((r) => r.type === type).flatMap((r) => r.instances.map((i) => i.attributes));
    const parameters = (attributesOf('aws_redshiftserverless_workgroup')[0].config_parameter as { parameter_key: string }[]).map(
      (p) => p.parameter_key,
    );
    expect(parameters).toEqual(expect.arrayContaining(['auto_mv', 'datestyle', 'max_query_execution_time', 'search_path', 'use_fips_ssl']));
    for (const role of attributesOf('aws_iam_role')) expect(role.assume_role_policy).toBe(awsPolicyForm(role.assume_role_policy));
  });

  test('the comparison is not vacuous: a state with one drifted attribute plans exactly that update', async () => {
    const { stack, state } = resultOf(stackName(environments[0]));
    const drifted = driftedState(state);
    const [result] = await planOffline({ stacksDir, stacks: [stack], states: { [stack]: drifted.state } });
    const change = plannedChanges(result.planJson as never).find((c) => c.address === drifted.address);
    expect(change?.actions).toEqual(['update']);
    expect(change?.attributes.map((a) => a.attribute)).toContain('tags_all');
  }, 300_000);
});
