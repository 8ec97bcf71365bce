import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { awsEnvironment } from '../../../stacks/core/aws-environment';
import { ServiceRole, ServiceRoleProps, TRUSTED_SERVICES, TrustedService } from '../../../stacks/core/service-role';
import { Json, TEST_ENV, synthesizeWith } from '../../helpers/synth';

const role = (props: Partial<ServiceRoleProps> = {}): ServiceRoleProps => ({
  environment: TEST_ENV,
  roleName: 'uh-test-reader',
  description: 'Reads things',
  trust: { kind: 'services', services: ['glue'] },
  ...props,
});

describe('ServiceRole', () => {
  const sourceAccount = { test: 'StringEquals', variable: 'aws:SourceAccount', values: [TEST_ENV.accountId] };
  const sourceArn = (arn: string): Json => ({ test: 'ArnLike', variable: 'aws:SourceArn', values: [arn] });

  test.each<[TrustedService, string, Json[]]>([
    ['vpc-flow-logs', 'vpc-flow-logs.amazonaws.com', [sourceAccount, sourceArn('arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/*')]],
    ['dms', 'dms.amazonaws.com', [sourceAccount, sourceArn('arn:aws:dms:us-east-1:111111111111:*')]],
    ['dms-regional', 'dms.us-east-1.amazonaws.com', [sourceAccount, sourceArn('arn:aws:dms:us-east-1:111111111111:*')]],
    ['dms-account-roles', 'dms.amazonaws.com', []],
    ['ec2', 'ec2.amazonaws.com', []],
    ['glue', 'glue.amazonaws.com', []],
    ['lakeformation', 'lakeformation.amazonaws.com', []],
    ['redshift', 'redshift.amazonaws.com', []],
    ['redshift-serverless', 'redshift-serverless.amazonaws.com', []],
    ['states', 'states.amazonaws.com', [sourceAccount, sourceArn('arn:aws:states:us-east-1:111111111111:stateMachine:*')]],
    ['scheduler', 'scheduler.amazonaws.com', [sourceAccount, sourceArn('arn:aws:scheduler:us-east-1:111111111111:schedule-group/*')]],
  ])('%s is trusted as %s with the conditions it documents', (service, principal, conditions) => {
    expect(TRUSTED_SERVICES[service].principal(TEST_ENV)).toBe(principal);
    expect(TRUSTED_SERVICES[service].conditions(TEST_ENV)).toEqual(conditions);
    const stack = synthesizeWith(
      (scope) => new ServiceRole(scope, 'reader-role', role({ trust: { kind: 'services', services: [service] } })),
    );
    const trust = stack.statement(stack.one('aws_iam_role').assume_role_policy, 'TrustedService');
    expect(trust).toEqual({
      sid: 'TrustedService',
      effect: 'Allow',
      actions: ['sts:AssumeRole'],
      principals: [{ type: 'Service', identifiers: [principal] }],
      ...(conditions.length > 0 ? { condition: conditions } : {}),
    });
  });

  test('by default: the named role alone, at the address of the construct, with IAM session length and no policies', () => {
    const stack = synthesizeWith((scope) => new ServiceRole(scope, 'reader-role', role()));
    expect(stack.resources('aws_iam_role')).toEqual({
      'reader-role': expect.objectContaining({ name: 'uh-test-reader', description: 'Reads things' }),
    });
    expect(stack.one('aws_iam_role')).not.toHaveProperty('max_session_duration');
    expect(stack.all('aws_iam_role_policy')).toEqual([]);
    expect(stack.all('aws_iam_role_policy_attachment')).toEqual([]);
  });

  test('a role nested in a construct keeps the address that construct path gives it', () => {
    const stack = synthesizeWith((scope) => {
      const parent = new ServiceRole(scope, 'outer-role', role({ roleName: 'outer' }));
      new ServiceRole(parent, 'inner-role', role({ roleName: 'inner' }));
    });
    expect(Object.keys(stack.resources('aws_iam_role')).sort()).toEqual(['outer-role', 'outer-role_inner-role']);
  });

  test('services that document the same conditions share one trust statement', () => {
    const stack = synthesizeWith(
      (scope) => new ServiceRole(scope, 'writer-role', role({ trust: { kind: 'services', services: ['dms', 'dms-regional'] } })),
    );
    const trust = stack.statement(stack.one('aws_iam_role').assume_role_policy, 'TrustedService');
    expect(trust.principals).toEqual([{ type: 'Service', identifiers: ['dms.amazonaws.com', 'dms.us-east-1.amazonaws.com'] }]);
    expect(trust.condition).toEqual([sourceAccount, sourceArn('arn:aws:dms:us-east-1:111111111111:*')]);
  });

  test.each<[string, TrustedService[]]>([
    ['services with different conditions', ['vpc-flow-logs', 'glue']],
    ['no service', []],
  ])('trusting %s is refused', (_case, services) => {
    expect(() => synthesizeWith((scope) => new ServiceRole(scope, 'role', role({ trust: { kind: 'services', services } })))).toThrow();
  });

  test('people are trusted by principal ARN, without conditions unless MFA is asked for', () => {
    const stack = synthesizeWith((scope) => {
      new ServiceRole(scope, 'analyst-role', role({ trust: { kind: 'principals', principalArns: ['arn:aws:iam::111111111111:root'] } }));
      new ServiceRole(
        scope,
        'admin-role',
        role({
          roleName: 'admin',
          trust: { kind: 'principals', principalArns: ['arn:aws:iam::111111111111:root'], mfaMaxAgeSeconds: 900 },
        }),
      );
    });
    const open = stack.statement(stack.one('aws_iam_role', 'analyst').assume_role_policy, 'TrustedPrincipals');
    expect(open).toEqual({
      sid: 'TrustedPrincipals',
      effect: 'Allow',
      actions: ['sts:AssumeRole'],
      principals: [{ type: 'AWS', identifiers: ['arn:aws:iam::111111111111:root'] }],
    });
    const withMfa = stack.statement(stack.one('aws_iam_role', 'admin').assume_role_policy, 'TrustedPrincipalsWithMfa');
    expect(withMfa.condition).toEqual([
      { test: 'Bool', variable: 'aws:MultiFactorAuthPresent', values: ['true'] },
      { test: 'NumericLessThan', variable: 'aws:MultiFactorAuthAge', values: ['900'] },
    ]);
  });

  test('the inline policy holds the named statements and reads as the role’s policy', () => {
    const statement = { sid: 'ReadTable', effect: 'Allow', actions: ['glue:GetTable'], resources: ['*'] };
    const stack = synthesizeWith(
      (scope) => new ServiceRole(scope, 'reader-role', role({ inlinePolicy: { name: 'read-tables', statements: [statement] } })),
    );
    expect(stack.idOf('aws_iam_role_policy')).toBe('reader-role_reader-policy');
    const policy = stack.one('aws_iam_role_policy');
    expect(policy).toMatchObject({ name: 'read-tables', role: '${aws_iam_role.reader-role.name}' });
    expect(stack.policyBehind(policy.policy).statement).toEqual([statement]);
  });

  test('an inline policy added later is the same as one given at construction, and a second one is refused', () => {
    const statement = { sid: 'ReadTable', effect: 'Allow', actions: ['glue:GetTable'], resources: ['*'] };
    const stack = synthesizeWith((scope) => {
      const reader = new ServiceRole(scope, 'reader-role', role());
      reader.addInlinePolicy({ name: 'read-tables', statements: [statement] });
      expect(() => reader.addInlinePolicy({ name: 'more', statements: [statement] })).toThrow(/already has its inline policy/);
    });
    expect(stack.all('aws_iam_role_policy')).toHaveLength(1);
  });

  test('managed policies are attached by path in the environment’s partition, each under its policy name', () => {
    const stack = synthesizeWith(
      (scope) =>
        new ServiceRole(
          scope,
          'dms-vpc-role',
          role({ environment: awsEnvironment('111111111111', 'cn-north-1'), managedPolicies: ['service-role/AmazonDMSVPCManagementRole'] }),
        ),
    );
    expect(stack.idOf('aws_iam_role_policy_attachment')).toBe('dms-vpc-role_AmazonDMSVPCManagementRole');
    expect(stack.one('aws_iam_role_policy_attachment')).toEqual({
      role: '${aws_iam_role.dms-vpc-role.name}',
      policy_arn: 'arn:aws-cn:iam::aws:policy/service-role/AmazonDMSVPCManagementRole',
    });
  });

  test('a longer session is an option', () => {
    const stack = synthesizeWith((scope) => new ServiceRole(scope, 'reader-role', role({ maxSessionDurationSeconds: 7200 })));
    expect(stack.one('aws_iam_role').max_session_duration).toBe(7200);
  });

  test('dependables are the role, its attachments and its inline policy', () => {
    const stack = synthesizeWith((scope) => {
      const writer = new ServiceRole(scope, 'writer-role', role({ managedPolicies: ['ReadOnlyAccess'] }));
      writer.addInlinePolicy({
        name: 'write',
        statements: [{ sid: 'Write', effect: 'Allow', actions: ['s3:PutObject'], resources: ['*'] }],
      });
      new SnsTopic(scope, 'user', { name: 'user', dependsOn: writer.dependables });
    });
    expect(stack.one('aws_sns_topic').depends_on).toEqual([
      'aws_iam_role.writer-role',
      'aws_iam_role_policy_attachment.writer-role_ReadOnlyAccess',
      'aws_iam_role_policy.writer-role_writer-policy',
    ]);
  });

  test('an existing role is adopted: Terraform imports it and its managed-policy attachments by their documented ids', () => {
    const stack = synthesizeWith((scope) => {
      new ServiceRole(
        scope,
        'dms-vpc-role',
        role({ roleName: 'dms-vpc-role', managedPolicies: ['service-role/AmazonDMSVPCManagementRole'] }),
      ).importExisting();
      new ServiceRole(scope, 'reader-role', role());
    });
    expect(stack.json.import).toEqual([
      { to: 'aws_iam_role.dms-vpc-role', id: 'dms-vpc-role' },
      {
        to: 'aws_iam_role_policy_attachment.dms-vpc-role_AmazonDMSVPCManagementRole',
        id: 'dms-vpc-role/arn:aws:iam::aws:policy/service-role/AmazonDMSVPCManagementRole',
      },
    ]);
  });
});
