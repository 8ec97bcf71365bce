import { Testing } from 'cdktf';
import { dev } from '../../../config/environments';
import { POLICY_SUPPRESSIONS } from '../../../config/policy-suppressions';
import { PlatformStack, stackName } from '../../../stacks/platform-stack';
import { planOf, replicateStack } from '../../../bench/policy-plan';
import { evaluateStack } from '../../../scripts/policy/evaluate';
import { Resource, StackModel, modelFromPlan, modelFromSynth } from '../../../scripts/policy/model';
import { enclosed, indexOf } from '../../../scripts/policy/stack-index';
import { Json } from '../../helpers/synth';

const resource = (address: string, values: Record<string, unknown> = {}): Resource => {
  const [type, name] = address.split('.');
  return { type, name, address, values, dependsOn: [] };
};

const stack = (...resources: Resource[]): StackModel => ({
  name: 'unicornhealth-dev',
  resources,
  policyDocuments: {},
  provider: {},
  scope: 'environment',
  production: false,
  lifecycleKnown: true,
});

describe('the stack index', () => {
  const bucket = resource('aws_s3_bucket.lake', { bucket: 'lake' });
  const role = resource('aws_iam_role.reader', { name: 'reader' });
  const other = resource('aws_s3_bucket.logs', { bucket: 'logs' });
  const unnamed = resource('aws_s3_bucket.bare');
  const model = stack(bucket, role, other, unnamed);

  test('resources of several types keep the stack order', () => {
    expect(indexOf(model).ofType(['aws_iam_role', 'aws_s3_bucket'])).toEqual([bucket, role, other, unnamed]);
    expect(indexOf(model).ofType(['aws_s3_bucket'])).toEqual([bucket, other, unnamed]);
    expect(indexOf(model).ofType(['aws_kms_key'])).toEqual([]);
  });

  test('lookups by address, by type and name, and by value compare as the scans they replace', () => {
    const index = indexOf(model);
    expect(index.at('aws_s3_bucket.logs')).toBe(other);
    expect(index.named('aws_iam_role', 'reader')).toBe(role);
    expect(index.named('aws_s3_bucket', 'reader')).toBeUndefined();
    expect(index.withValue('aws_s3_bucket', 'bucket', 'logs')).toEqual([other]);
    // `r.values.bucket === undefined` holds for a bucket without the attribute, as the scan found it.
    expect(index.withValue('aws_s3_bucket', 'bucket', undefined)).toEqual([unnamed]);
    expect(index.withValue('aws_s3_bucket', 'bucket', Number.NaN)).toEqual([]);
  });

  test('one index per model, shared by every rule; a model with other resources gets its own', () => {
    expect(indexOf(model)).toBe(indexOf(model));
    const built = jest.fn(() => 1);
    indexOf(model).derive('once', built);
    indexOf(model).derive('once', built);
    expect(built).toHaveBeenCalledTimes(1);
    const copy = { ...model, resources: [bucket] };
    expect(indexOf(copy)).not.toBe(indexOf(model));
    expect(indexOf(copy).ofType(['aws_s3_bucket'])).toEqual([bucket]);
  });

  test.each([
    ['{"crawlerName":["a","b"]}', '"', '"', ['a', 'b', 'crawlerName', ':[', ',']],
    ['${aws_sfn_state_machine.merge.arn} ${aws_sns_topic.alerts.arn}', '${', '.', ['aws_sfn_state_machine', 'aws_sns_topic']],
    ['${a.b.name}${c.d.name}', '${', '.name}', ['a.b', 'c.d']],
  ])('enclosed(%s) answers includes(open + s + close) for every s at once', (text, open, close, some) => {
    const found = enclosed(text, open, close, 40);
    for (const s of some) expect(found.has(s)).toBe(text.includes(`${open}${s}${close}`));
    for (const s of found) expect(text.includes(`${open}${s}${close}`)).toBe(true);
  });

  test('enclosed leaves out what is longer than asked', () => {
    expect([...enclosed('"abc" "abcdef"', '"', '"', 3)]).toEqual(['abc', ' ']);
  });
});

describe('evaluation work grows linearly with the plan', () => {
  const synthesized: Json = JSON.parse(Testing.synth(new PlatformStack(Testing.app(), dev)));

  /**
   * Every read of a resource's properties while every rule evaluates a plan of `copies` copies of the dev stack. A
   * rule that scans the resources (or the resources of a type) for each resource it checks reads quadratically many.
   */
  function readsFor(copies: number, model: (json: Json) => StackModel): number {
    const built = model(replicateStack(synthesized, copies, stackName(dev)));
    let reads = 0;
    const counted = built.resources.map(
      (r) =>
        new Proxy(r, {
          get: (target, property, receiver): unknown => {
            reads += 1;
            return Reflect.get(target, property, receiver) as unknown;
          },
        }),
    );
    const report = evaluateStack({ ...built, resources: counted }, POLICY_SUPPRESSIONS);
    expect(report.findings.length).toBeGreaterThan(copies * 100);
    return reads;
  }

  test.each([
    ['a plan', (json: Json) => modelFromPlan(stackName(dev), planOf(json))],
    ['a synthesized stack', (json: Json) => modelFromSynth(stackName(dev), json)],
  ])('on %s, four times the resources cost at most about four times the reads', (_case, model) => {
    const small = readsFor(3, model);
    const large = readsFor(12, model);
    // Linear work reads 4x (a little less: some rules read once per stack); quadratic work would read 16x.
    expect(large / small).toBeGreaterThan(3);
    expect(large / small).toBeLessThan(4.5);
  });
});
