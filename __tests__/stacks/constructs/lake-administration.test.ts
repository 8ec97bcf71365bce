import { LakeAdministration, LakeAdministrationProps } from '../../../stacks/constructs/lake-administration';
import { Json, SynthesizedStack, TEST_ENV, synthesizeWith, testKey } from '../../helpers/synth';

describe('LakeAdministration (Lake Formation settings, lake admins)', () => {
  const account = TEST_ENV.accountId;
  const root = `arn:aws:iam::${account}:root`;
  const deployRoleArn = `arn:aws:iam::${account}:role/deploy`;
  const environment = (name: string, deployRole = deployRoleArn): LakeAdministrationProps['environments'][number] => ({
    project: 'uh',
    name,
    governance: { deployRoleArn: deployRole, analystTrustedPrincipalArns: [root] },
  });
  const build = (props: Partial<LakeAdministrationProps> = {}): SynthesizedStack =>
    synthesizeWith((scope) => {
      new LakeAdministration(scope, 'lake-administration', {
        environment: TEST_ENV,
        environments: [environment('dev'), environment('staging')],
        lakeAdministratorUsers: ['lake-admin'],
        catalogKey: testKey(scope, 'catalog'),
        ...props,
      });
    });
  const stack = build();
  const roleArn = (name: string): string => stack.ref('aws_iam_role', `${name}-lake-admin-role`, 'arn');

  test('the admins are every environment’s lake-admin role and each deploying role once, and no defaults remain', () => {
    expect(stack.one('aws_lakeformation_data_lake_settings')).toEqual({
      admins: [roleArn('dev'), roleArn('staging'), deployRoleArn],
      read_only_admins: [],
      create_database_default_permissions: [],
      create_table_default_permissions: [],
      allow_full_table_external_data_access: false,
    });
    expect(stack.text).not.toContain('IAM_ALLOWED_PRINCIPALS');
  });

  test('read-only admins are named as given, apart from the admins: they see every permission and change none', () => {
    const planRole = `arn:aws:iam::${account}:role/plan`;
    const settings = build({ readOnlyAdminArns: [planRole] }).one('aws_lakeformation_data_lake_settings');
    expect(settings.read_only_admins).toEqual([planRole]);
    expect(settings.admins).not.toContain(planRole);
  });

  test('an environment deployed by another role adds that role', () => {
    const other = `arn:aws:iam::${account}:role/staging-deploy`;
    const admins = build({ environments: [environment('dev'), environment('staging', other)] }).one(
      'aws_lakeformation_data_lake_settings',
    ).admins;
    expect(admins.slice(2)).toEqual([deployRoleArn, other]);
  });

  test('the settings name the lake-admin roles by reference: Lake Formation refuses admins that do not exist yet', () => {
    expect(stack.one('aws_lakeformation_data_lake_settings').admins[0]).toMatch(
      /^\$\{aws_iam_role\.lake-administration_dev-lake-admin-role\.arn\}$/,
    );
  });

  test.each(['dev', 'staging'])(
    'the %s lake-admin role is named after its environment and assumed by account principals with MFA under an hour old',
    (name) => {
      const role = stack.one('aws_iam_role', `${name}-lake-admin-role`);
      expect(role).toMatchObject({ name: `uh-${name}-lake-admin`, max_session_duration: 3600 });
      expect(stack.statement(role.assume_role_policy, 'TrustedPrincipalsWithMfa')).toMatchObject({
        principals: [{ type: 'AWS', identifiers: [root] }],
        condition: [
          { test: 'Bool', variable: 'aws:MultiFactorAuthPresent', values: ['true'] },
          { test: 'NumericLessThan', variable: 'aws:MultiFactorAuthAge', values: ['3600'] },
        ],
      });
    },
  );

  test('a lake admin administers Lake Formation, reads the catalog and uses the catalog key through Glue only', () => {
    const policy = stack.one('aws_iam_role_policy', 'dev-lake-admin').policy;
    expect(stack.sids(policy)).toEqual(['AdministerLakeFormation', 'ReadCatalog', 'CatalogKeyThroughGlue']);
    expect(stack.statement(policy, 'CatalogKeyThroughGlue')).toMatchObject({
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [stack.ref('aws_kms_key', 'catalog-key', 'arn')],
      condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['glue.us-east-1.amazonaws.com'] }],
    });
    const actions = stack.policyBehind(policy).statement.flatMap((s: Json) => s.actions);
    expect(actions.filter((a: string) => a.startsWith('s3:') || a === 'lakeformation:GetDataAccess')).toEqual([]);
  });

  test('LakeAdministrators members may assume any of the account’s lake-admin roles, only with MFA, and get no keys', () => {
    expect(stack.one('aws_iam_group').name).toBe('LakeAdministrators');
    const assume = stack.statement(stack.one('aws_iam_group_policy').policy, 'AssumeLakeAdminWithMfa');
    expect(assume).toMatchObject({ actions: ['sts:AssumeRole'], resources: [roleArn('dev'), roleArn('staging')] });
    expect(assume.condition).toEqual([{ test: 'Bool', variable: 'aws:MultiFactorAuthPresent', values: ['true'] }]);
    expect(stack.one('aws_iam_group_membership').users).toEqual(['lake-admin']);
    expect(stack.all('aws_iam_access_key')).toHaveLength(0);
    expect(stack.all('aws_iam_user_policy_attachment')).toHaveLength(0);
  });

  test('without administrator users there is no group membership', () => {
    expect(build({ lakeAdministratorUsers: [] }).all('aws_iam_group_membership')).toHaveLength(0);
  });
});
