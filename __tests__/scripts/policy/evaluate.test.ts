import { Suppression } from '../../../config/policy-suppressions';
import { evaluateStack } from '../../../scripts/policy/evaluate';
import { Resource, StackModel } from '../../../scripts/policy/model';
import { RULES, Rule } from '../../../scripts/policy/rules';

const resource = (address: string, values: Record<string, unknown> = {}): Resource => {
  const [type, name] = address.split('.');
  return { type, name, address, values, dependsOn: [] };
};

const stack = (...addresses: string[]): StackModel => ({
  name: 'unicornhealth-dev',
  resources: addresses.map((a) => resource(a)),
  policyDocuments: {},
  provider: {},
  scope: 'environment',
  production: false,
  lifecycleKnown: true,
});

/** A rule for the tests: every bucket fails unless its name ends in `_ok`. */
const BUCKETS: Rule = {
  id: 'T-S3-001',
  title: 'buckets end in _ok',
  resourceTypes: ['aws_s3_bucket'],
  sources: {},
  evaluate: (s) =>
    s.resources
      .filter((r) => r.type === 'aws_s3_bucket')
      .map((r) => ({
        rule: 'T-S3-001',
        resource: r.address,
        pass: r.name.endsWith('_ok'),
        reason: r.name.endsWith('_ok') ? 'ok' : 'bad name',
      })),
};
/** A second rule on the same buckets, so suppressions must match the rule as well as the address. */
const ALSO_BUCKETS: Rule = { ...BUCKETS, id: 'T-S3-002', evaluate: (s) => BUCKETS.evaluate(s).map((f) => ({ ...f, rule: 'T-S3-002' })) };

const suppression = (rule: string, resourcePattern: string): Suppression => ({
  rule,
  resource: resourcePattern,
  reason: `accepted: ${resourcePattern}`,
});

describe('evaluating a stack', () => {
  test('every rule runs; failures are counted', () => {
    const report = evaluateStack(stack('aws_s3_bucket.lake_ok', 'aws_s3_bucket.logs', 'aws_s3_bucket.raw'), [], [BUCKETS, ALSO_BUCKETS]);
    expect(report.stack).toBe('unicornhealth-dev');
    expect(report.findings).toHaveLength(6);
    expect(report.failures).toBe(4);
    expect(report.suppressions).toEqual([]);
  });

  test.each([
    ['an exact address', 'aws_s3_bucket.logs', 'aws_s3_bucket.logs', true],
    ['an exact address, not a longer one', 'aws_s3_bucket.logs', 'aws_s3_bucket.logs_2', false],
    ['a prefix with *', 'aws_s3_bucket.logs_*', 'aws_s3_bucket.logs_bucket', true],
    ['a prefix with *, matching nothing else', 'aws_s3_bucket.logs_*', 'aws_s3_bucket.lake', false],
    ['a prefix with * that is the whole address', 'aws_s3_bucket.logs*', 'aws_s3_bucket.logs', true],
    ['a * only at the end', 'aws_s3_bucket.*_bucket', 'aws_s3_bucket.logs_bucket', false],
  ])('a suppression of %s (%s) covers %s: %p', (_case, pattern, address, covered) => {
    const report = evaluateStack(stack(address), [suppression('T-S3-001', pattern)], [BUCKETS]);
    expect(report.failures).toBe(covered ? 0 : 1);
    expect(report.findings[0].pass).toBe(false);
    expect(report.findings[0].suppressed).toEqual(covered ? suppression('T-S3-001', pattern) : undefined);
    expect(report.suppressions).toEqual(covered ? [suppression('T-S3-001', pattern)] : []);
  });

  test('a suppressed failure is kept, marked, and not counted; other rules on the same resource still count', () => {
    const accepted = suppression('T-S3-001', 'aws_s3_bucket.logs*');
    const report = evaluateStack(stack('aws_s3_bucket.logs', 'aws_s3_bucket.raw'), [accepted], [BUCKETS, ALSO_BUCKETS]);
    expect(report.findings.filter((f) => f.suppressed).map((f) => `${f.rule} ${f.resource}`)).toEqual(['T-S3-001 aws_s3_bucket.logs']);
    expect(report.failures).toBe(3);
  });

  test('passing findings are never marked suppressed', () => {
    const report = evaluateStack(stack('aws_s3_bucket.logs_ok'), [suppression('T-S3-001', 'aws_s3_bucket.*')], [BUCKETS]);
    expect(report.findings).toEqual([{ rule: 'T-S3-001', resource: 'aws_s3_bucket.logs_ok', pass: true, reason: 'ok' }]);
    expect(report.suppressions).toEqual([]);
  });

  test('only the suppressions that covered a failure are listed, in their own order, once each', () => {
    const used = [suppression('T-S3-002', 'aws_s3_bucket.raw'), suppression('T-S3-001', 'aws_s3_bucket.*')];
    const unused = suppression('T-S3-001', 'aws_s3_bucket.archive');
    const report = evaluateStack(stack('aws_s3_bucket.logs', 'aws_s3_bucket.raw'), [used[0], unused, used[1]], [BUCKETS, ALSO_BUCKETS]);
    expect(report.suppressions).toEqual(used);
    expect(report.failures).toBe(1);
  });

  test('without a list of rules, the whole catalogue runs', () => {
    const report = evaluateStack(stack(), []);
    const rulesRun = new Set(report.findings.map((f) => f.rule));
    expect([...rulesRun].every((id) => RULES.some((r) => r.id === id))).toBe(true);
    expect(rulesRun.size).toBeGreaterThan(0);
    expect(report.findings.some((f) => f.rule === 'UH-MON-001' && !f.pass)).toBe(true);
  });
});
