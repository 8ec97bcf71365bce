import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { ReadableStack, readableName } from '../../../stacks/core/readable-stack';
import { SynthesizedStack, synthesizeWith } from '../../helpers/synth';

describe('ReadableStack', () => {
  test.each([
    [['storage', 'access-logs', 'bucket'], 'storage_access-logs_bucket'],
    [['analyst-role', 'Default'], 'analyst-role'],
    [['lake-key', 'key'], 'lake-key'],
    [['catalog', 'table-patient'], 'catalog_table-patient'],
    [['network', 'Resource'], 'network'],
    [['Resource'], 'Resource'],
    [['email-a.b@example.com'], 'email-abexamplecom'],
  ])('the Terraform name of %j is %s: the construct path, without a hash', (path, name) => {
    expect(readableName(path)).toBe(name);
  });

  test('a path that leaves nothing to name is refused', () => {
    expect(() => readableName(['Default'])).toThrow(/gives no Terraform name/);
  });

  test('resources are addressed by their construct path, with no hash', () => {
    const stack = synthesizeWith((scope) => {
      const alerts = new Construct(scope, 'monitoring');
      new SnsTopic(alerts, 'alerts', { name: 'alerts' });
    });
    expect(Object.keys(stack.resources('aws_sns_topic'))).toEqual(['monitoring_alerts']);
  });

  test('two paths that read alike fail the synth, naming both', () => {
    const stack = new ReadableStack(Testing.app(), 'test');
    new SnsTopic(new Construct(stack, 'a_b'), 'c', { name: 'one' });
    new SnsTopic(new Construct(stack, 'a'), 'b_c', { name: 'two' });
    expect(() => new SynthesizedStack(stack)).toThrow('test/a_b/c and test/a/b_c would both be named "a_b_c" in Terraform');
  });
});
