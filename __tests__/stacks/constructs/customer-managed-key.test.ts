import { CustomerManagedKey, CustomerManagedKeyProps } from '../../../stacks/constructs/customer-managed-key';
import { Json, SynthesizedStack, TEST_ENV, synthesizeWith } from '../../helpers/synth';

describe('CustomerManagedKey', () => {
  const build = (props: Partial<CustomerManagedKeyProps> = {}): SynthesizedStack =>
    synthesizeWith(
      (stack) => new CustomerManagedKey(stack, 'key', { environment: TEST_ENV, alias: 'uh-test-lake', description: 'Lake data', ...props }),
    );
  const policyOf = (stack: SynthesizedStack): Json => stack.policyBehind(stack.one('aws_kms_key').policy);
  const root = `arn:aws:iam::${TEST_ENV.accountId}:root`;

  const plain = build();
  const everything = build({
    usedThroughServices: ['s3', 'glue'],
    usedByRoleArns: ['arn:aws:iam::111111111111:role/decrypter'],
    servicePrincipalUses: [
      {
        sid: 'LogsOfThisAccount',
        servicePrincipals: ['logs.us-east-1.amazonaws.com'],
        actions: ['kms:Encrypt*'],
        conditions: [{ test: 'ArnLike', variable: 'kms:EncryptionContext:aws:logs:arn', values: ['arn:aws:logs:*'] }],
      },
    ],
    deletionWindowDays: 7,
  });

  test('by default: yearly rotation, a 30-day deletion window, the alias, and a policy that only lets the account administer it', () => {
    expect(plain.one('aws_kms_key')).toMatchObject({
      description: 'Lake data',
      enable_key_rotation: true,
      rotation_period_in_days: 365,
      deletion_window_in_days: 30,
      tags: { Name: 'uh-test-lake' },
    });
    expect(plain.one('aws_kms_alias')).toEqual({ name: 'alias/uh-test-lake', target_key_id: plain.ref('aws_kms_key', '', 'key_id') });
    expect(policyOf(plain).statement.map((s: Json) => s.sid)).toEqual(['AccountAdministersKeyThroughIam']);
  });

  test('the account administers the key through IAM but gets no cryptographic use from it', () => {
    const admin = policyOf(plain).statement[0];
    expect(admin.principals).toEqual([{ type: 'AWS', identifiers: [root] }]);
    expect(admin.actions).toEqual(expect.arrayContaining(['kms:ScheduleKeyDeletion', 'kms:Put*', 'kms:RotateKeyOnDemand']));
    for (const crypto of ['kms:*', 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']) expect(admin.actions).not.toContain(crypto);
  });

  test('named services may use the key for this account only, and create grants only for AWS resources', () => {
    const statements = policyOf(everything).statement;
    const throughServices = [
      { test: 'StringEquals', variable: 'kms:CallerAccount', values: [TEST_ENV.accountId] },
      { test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.us-east-1.amazonaws.com', 'glue.us-east-1.amazonaws.com'] },
    ];
    expect(statements.find((s: Json) => s.sid === 'UseThroughNamedServices')).toMatchObject({
      principals: [{ type: 'AWS', identifiers: [root] }],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      condition: throughServices,
    });
    expect(statements.find((s: Json) => s.sid === 'GrantsForNamedServiceResources')).toMatchObject({
      actions: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
      condition: [...throughServices, { test: 'Bool', variable: 'kms:GrantIsForAWSResource', values: ['true'] }],
    });
  });

  test('named roles may use the key directly', () => {
    expect(policyOf(everything).statement.find((s: Json) => s.sid === 'UseByNamedRoles').principals).toEqual([
      { type: 'AWS', identifiers: ['arn:aws:iam::111111111111:role/decrypter'] },
    ]);
  });

  test('a service principal uses the key only under its conditions', () => {
    expect(policyOf(everything).statement.find((s: Json) => s.sid === 'LogsOfThisAccount')).toEqual({
      sid: 'LogsOfThisAccount',
      effect: 'Allow',
      principals: [{ type: 'Service', identifiers: ['logs.us-east-1.amazonaws.com'] }],
      actions: ['kms:Encrypt*'],
      resources: ['*'],
      condition: [{ test: 'ArnLike', variable: 'kms:EncryptionContext:aws:logs:arn', values: ['arn:aws:logs:*'] }],
    });
  });

  test('the deletion window is an option', () => {
    expect(everything.one('aws_kms_key').deletion_window_in_days).toBe(7);
  });

  test.each([
    ['without options', plain],
    ['with every option', everything],
  ])('%s, no statement has a wildcard principal', (_name, stack) => {
    for (const statement of policyOf(stack).statement) {
      for (const principal of statement.principals ?? []) expect(principal.identifiers).not.toContain('*');
    }
  });
});
