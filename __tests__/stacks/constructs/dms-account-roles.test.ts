import { DmsAccountRoles } from '../../../stacks/constructs/dms-account-roles';
import { Json, SynthesizedStack, TEST_ENV, serviceTrust, synthesizeWith } from '../../helpers/synth';

describe('DmsAccountRoles', () => {
  const build = (importExistingDmsRoles: boolean): SynthesizedStack =>
    synthesizeWith((scope) => new DmsAccountRoles(scope, 'dms-roles', { environment: TEST_ENV, importExistingDmsRoles }));
  const stack = build(false);

  test('the roles DMS looks up by name exist under those names, trusted by DMS without conditions, as DMS needs for them', () => {
    expect(
      stack
        .all('aws_iam_role')
        .map((role: Json) => role.name)
        .sort(),
    ).toEqual(['dms-cloudwatch-logs-role', 'dms-vpc-role']);
    for (const role of ['dms-vpc-role', 'dms-cloudwatch-logs-role']) {
      expect(stack.serviceTrustOf(`dms-roles_${role}`)).toEqual(serviceTrust(['dms.amazonaws.com']));
    }
  });

  test('each has its AWS managed policy', () => {
    expect(stack.resources('aws_iam_role_policy_attachment')).toEqual({
      'dms-roles_dms-vpc-role_AmazonDMSVPCManagementRole': {
        role: stack.ref('aws_iam_role', 'dms-roles_dms-vpc-role', 'name'),
        policy_arn: 'arn:aws:iam::aws:policy/service-role/AmazonDMSVPCManagementRole',
      },
      'dms-roles_dms-cloudwatch-logs-role_AmazonDMSCloudWatchLogsRole': {
        role: stack.ref('aws_iam_role', 'dms-roles_dms-cloudwatch-logs-role', 'name'),
        policy_arn: 'arn:aws:iam::aws:policy/service-role/AmazonDMSCloudWatchLogsRole',
      },
    });
    expect(stack.json).not.toHaveProperty('import');
  });

  test('an account that already has them imports the roles and their attachments instead of creating them', () => {
    const imported = build(true);
    expect(imported.json.import.map((block: Json) => [block.to, block.id])).toEqual([
      ['aws_iam_role.dms-roles_dms-vpc-role', 'dms-vpc-role'],
      [
        'aws_iam_role_policy_attachment.dms-roles_dms-vpc-role_AmazonDMSVPCManagementRole',
        'dms-vpc-role/arn:aws:iam::aws:policy/service-role/AmazonDMSVPCManagementRole',
      ],
      ['aws_iam_role.dms-roles_dms-cloudwatch-logs-role', 'dms-cloudwatch-logs-role'],
      [
        'aws_iam_role_policy_attachment.dms-roles_dms-cloudwatch-logs-role_AmazonDMSCloudWatchLogsRole',
        'dms-cloudwatch-logs-role/arn:aws:iam::aws:policy/service-role/AmazonDMSCloudWatchLogsRole',
      ],
    ]);
    expect(imported.resources('aws_iam_role')).toEqual(stack.resources('aws_iam_role'));
  });
});
