import { dev } from '../../../config/environments';
import { Json, synthesize } from '../../helpers/synth';

describe('CustomerManagedKey', () => {
  const stack = synthesize(dev);
  const keyPolicy = (name: string): Json => stack.policyBehind(stack.one('aws_kms_key', `${name}-key`).policy);

  test.each(['lake', 'database', 'logs'])('%s key rotates yearly and keeps a 30-day deletion window', (name) => {
    expect(stack.one('aws_kms_key', `${name}-key`)).toMatchObject({
      enable_key_rotation: true,
      rotation_period_in_days: 365,
      deletion_window_in_days: 30,
    });
    expect(stack.one('aws_kms_alias', `${name}-key`).name).toBe(`alias/unicornhealth-dev-${name}`);
  });

  test.each([
    ['lake', ['s3', 'glue', 'athena']],
    ['database', ['rds', 'secretsmanager', 'ec2', 'dms', 'redshift-serverless']],
  ])('%s key may be used only through %j by this account', (name, services) => {
    const use = keyPolicy(name).statement.find((s: Json) => s.sid === 'UseThroughNamedServices');
    expect(use.actions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
    expect(use.condition).toEqual(
      expect.arrayContaining([
        { test: 'StringEquals', variable: 'kms:ViaService', values: (services as string[]).map((s) => `${s}.us-east-1.amazonaws.com`) },
        { test: 'StringEquals', variable: 'kms:CallerAccount', values: [dev.accountId] },
      ]),
    );
  });

  test('the account administers keys through IAM but gets no unconditioned cryptographic use', () => {
    for (const name of ['lake', 'database', 'logs']) {
      const admin = keyPolicy(name).statement.find((s: Json) => s.sid === 'AccountAdministersKeyThroughIam');
      expect(admin.principals).toEqual([{ type: 'AWS', identifiers: [`arn:aws:iam::${dev.accountId}:root`] }]);
      expect(admin.actions).not.toEqual(expect.arrayContaining(['kms:*']));
      expect(admin.actions).not.toEqual(expect.arrayContaining(['kms:Decrypt']));
    }
  });

  test('no key policy statement has a wildcard principal', () => {
    for (const name of ['lake', 'database', 'logs']) {
      for (const statement of keyPolicy(name).statement) {
        for (const principal of statement.principals ?? []) expect(principal.identifiers).not.toContain('*');
      }
    }
  });

  test('the alert publishers may use the logs key for the encrypted topic, for this account only', () => {
    const publishers = keyPolicy('logs').statement.find((s: Json) => s.sid === 'AlertPublishersOfThisAccount');
    expect(publishers.principals[0].identifiers).toEqual([
      'events.amazonaws.com',
      'cloudwatch.amazonaws.com',
      'dms.amazonaws.com',
      'budgets.amazonaws.com',
    ]);
    expect(publishers.actions).toEqual(['kms:GenerateDataKey*', 'kms:Decrypt']);
    expect(publishers.condition).toEqual([{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [dev.accountId] }]);
  });

  test("the logs key lets CloudWatch Logs use it only for this account's log groups", () => {
    const logs = keyPolicy('logs').statement.find((s: Json) => s.sid === 'CloudWatchLogsOfThisAccount');
    expect(logs.principals).toEqual([{ type: 'Service', identifiers: ['logs.us-east-1.amazonaws.com'] }]);
    expect(logs.condition).toEqual([
      {
        test: 'ArnLike',
        variable: 'kms:EncryptionContext:aws:logs:arn',
        values: [`arn:aws:logs:us-east-1:${dev.accountId}:log-group:*`],
      },
    ]);
  });
});
