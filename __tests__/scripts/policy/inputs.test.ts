import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../scripts/cli/errors';
import { loadPlan, loadSynthesizedStacks, readPlan } from '../../../scripts/policy/inputs';

const PLAN = {
  format_version: '1.2',
  terraform_version: '1.11.4',
  planned_values: {
    root_module: { resources: [{ address: 'aws_sns_topic.alerts', mode: 'managed', type: 'aws_sns_topic', name: 'alerts', values: {} }] },
  },
  resource_changes: [],
  configuration: { root_module: { resources: [] } },
};
const SYNTHESIZED = { terraform: { backend: { local: {} } }, resource: { aws_sns_topic: { alerts: { name: 'alerts' } } } };
const STATE = { version: 4, terraform_version: '1.11.4', serial: 1, resources: [] };

describe('policy inputs', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'policy-inputs-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const write = (name: string, content: string): string => {
    const path = join(scratch, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    return path;
  };

  test('a terraform show -json plan is read as it is', () => {
    expect(readPlan(write('plan.json', JSON.stringify(PLAN)))).toEqual(PLAN);
  });

  test.each([
    [
      'a synthesized stack',
      JSON.stringify(SYNTHESIZED),
      /: not a plan from terraform show -json \(it has no planned_values\)\. It looks like a synthesized stack \(cdk\.tf\.json\): check it with --stacks DIR\.$/,
    ],
    ['a state file', JSON.stringify(STATE), /: not a plan from terraform show -json \(it has no planned_values\)\.$/],
    ['JSON that is not an object', '[1, 2]', /: not a plan from terraform show -json/],
    ['JSON null', 'null', /: not a plan from terraform show -json/],
    ['text that is not JSON', 'Plan: 3 to add, 0 to change, 0 to destroy.', /: not JSON \(/],
  ])('%s is an input error naming the file', (_case, content, message) => {
    const path = write('input.json', content);
    expect(() => readPlan(path)).toThrow(InputError);
    expect(() => readPlan(path)).toThrow(message);
    expect(() => readPlan(path)).toThrow(path);
  });

  test('a folder given as the plan is an input error saying so', () => {
    expect(() => readPlan(scratch)).toThrow(new InputError(`${scratch}: is a folder, not a file`));
  });

  test('a missing plan is an input error naming it', () => {
    expect(() => readPlan(join(scratch, 'missing.json'))).toThrow(InputError);
    expect(() => readPlan(join(scratch, 'missing.json'))).toThrow(/missing\.json: ENOENT/);
  });

  test('loadPlan gives the model of a plan under the name asked for', () => {
    const model = loadPlan(write('named/plan.json', JSON.stringify(PLAN)), 'unicornhealth-dev');
    expect(model.name).toBe('unicornhealth-dev');
    expect(model.resources.map((r) => r.address)).toEqual(['aws_sns_topic.alerts']);
  });

  test('every <stack>/cdk.tf.json of a folder is loaded, by stack name in order; other entries are ignored', () => {
    const dir = join(scratch, 'stacks');
    write('stacks/unicornhealth-prod/cdk.tf.json', JSON.stringify(SYNTHESIZED));
    write('stacks/unicornhealth-dev/cdk.tf.json', JSON.stringify(SYNTHESIZED));
    write('stacks/manifest.json', '{}');
    mkdirSync(join(dir, 'empty-folder'));
    const models = loadSynthesizedStacks(dir);
    expect(models.map((m) => m.name)).toEqual(['unicornhealth-dev', 'unicornhealth-prod']);
    expect(models[0].resources.map((r) => r.address)).toEqual(['aws_sns_topic.alerts']);
  });

  test('a stack whose cdk.tf.json is not JSON is an input error naming the file', () => {
    const path = write('broken-stacks/s/cdk.tf.json', '{');
    expect(() => loadSynthesizedStacks(join(scratch, 'broken-stacks'))).toThrow(InputError);
    expect(() => loadSynthesizedStacks(join(scratch, 'broken-stacks'))).toThrow(`${path}: not JSON`);
  });

  test.each([
    ['a missing folder', () => join(scratch, 'no-such-folder'), /^no synthesized stacks at .*no-such-folder: run npm run synth first$/],
    [
      'a folder without stacks',
      () => {
        mkdirSync(join(scratch, 'no-stacks', 'other'), { recursive: true });
        return join(scratch, 'no-stacks');
      },
      /no-stacks holds no synthesized stack \(<stack>\/cdk\.tf\.json\): run npm run synth first$/,
    ],
  ])('%s is an input error, never "all rules pass"', (_case, dir, message) => {
    const path = dir();
    expect(() => loadSynthesizedStacks(path)).toThrow(InputError);
    expect(() => loadSynthesizedStacks(path)).toThrow(message);
  });
});
