import { dev, prod } from '../../../config/environments';
import { CLINIC_TABLES, Table } from '../../../contract/clinic';
import { Testing } from 'cdktf';
import { PlatformStack } from '../../../stacks/platform-stack';
import { Json, SynthesizedStack, ref, synthesize } from '../../helpers/synth';

describe('Governance (Lake Formation)', () => {
  const stack = synthesize(dev);
  const settingsId = `aws_lakeformation_data_lake_settings.${stack.idOf('aws_lakeformation_data_lake_settings')}`;
  const roleArn = (idPart: string): string => ref('aws_iam_role', stack.idOf('aws_iam_role', idPart), 'arn');
  const grants = (): Json[] => stack.all('aws_lakeformation_permissions');

  test('the lake admins are the lake-admin role and the deploying role, never a group, and no IAM-only defaults', () => {
    const settings = stack.one('aws_lakeformation_data_lake_settings');
    expect(settings.admins).toEqual([roleArn('lake-admin-role'), dev.governance.deployRoleArn]);
    expect(settings.admins.join(' ')).not.toMatch(/:group\//);
    expect(settings.create_database_default_permissions).toEqual([]);
    expect(settings.create_table_default_permissions).toEqual([]);
    expect(stack.text).not.toContain('IAM_ALLOWED_PRINCIPALS');
  });

  test('LakeAdministrators members may assume the lake-admin role only with MFA', () => {
    expect(stack.one('aws_iam_group').name).toBe('LakeAdministrators');
    const assume = stack.statement(stack.one('aws_iam_group_policy').policy, 'AssumeLakeAdminWithMfa');
    expect(assume).toMatchObject({ actions: ['sts:AssumeRole'], resources: [roleArn('lake-admin-role')] });
    expect(assume.condition).toEqual([{ test: 'Bool', variable: 'aws:MultiFactorAuthPresent', values: ['true'] }]);
    const trust = stack.statement(stack.one('aws_iam_role', 'lake-admin-role').assume_role_policy, 'AccountPrincipalsWithMfa');
    expect(trust.condition).toContainEqual({ test: 'Bool', variable: 'aws:MultiFactorAuthPresent', values: ['true'] });
    expect(stack.one('aws_iam_group_membership').users).toEqual(dev.governance.lakeAdministratorUsers);
    expect(stack.all('aws_iam_access_key')).toHaveLength(0);
    expect(stack.all('aws_iam_user_policy_attachment')).toHaveLength(0);
  });

  test('the lake location is registered with a dedicated role, not the service-linked role, and not in hybrid mode', () => {
    expect(stack.one('aws_lakeformation_resource')).toMatchObject({
      role_arn: roleArn('registration-role'),
      use_service_linked_role: false,
      hybrid_access_enabled: false,
      depends_on: [settingsId],
    });
    const key = stack.statement(stack.one('aws_iam_role_policy', 'registration-policy').policy, 'LakeKey');
    expect(key.resources).toEqual([ref('aws_kms_key', stack.idOf('aws_kms_key', 'lake-key'), 'arn')]);
  });

  test('every grant waits for the settings, and grants run one after another', () => {
    const list = Object.entries(stack.resources('aws_lakeformation_permissions'));
    const predecessors = list.map(([, grant]) => {
      expect(grant.depends_on).toContain(settingsId);
      return grant.depends_on.filter((d: string) => d.startsWith('aws_lakeformation_permissions.'));
    });
    expect(predecessors.filter((p) => p.length === 0)).toHaveLength(1);
    expect(predecessors.every((p) => p.length <= 1)).toBe(true);
    expect(new Set(predecessors.flat()).size).toBe(list.length - 1);
  });

  test('the crawler may alter the database and tables and access the data location', () => {
    const crawler = roleArn('crawler-role');
    const mine = grants().filter((g: Json) => g.principal === crawler);
    expect(mine.find((g: Json) => g.database)?.permissions).toEqual(['DESCRIBE', 'ALTER', 'CREATE_TABLE']);
    expect(mine.find((g: Json) => g.data_location)?.permissions).toEqual(['DATA_LOCATION_ACCESS']);
    expect(mine.filter((g: Json) => g.table)).toHaveLength(CLINIC_TABLES.length);
  });

  test.each([
    ['analyst', 'analyst-role'],
    ['redshift', 'spectrum-role'],
  ])('the %s role gets SELECT on every table without a single direct patient identifier', (_name, role) => {
    const selects = grants().filter((g: Json) => g.principal === roleArn(role) && g.table_with_columns);
    expect(selects).toHaveLength(CLINIC_TABLES.length);
    const patient = selects.find((g: Json) => g.table_with_columns.name.includes('table-patient'));
    expect(patient.permissions).toEqual(['SELECT']);
    expect(patient.table_with_columns.column_names).toEqual(['person_id', 'insurance']);
    const granted = selects.flatMap((g: Json) => g.table_with_columns.column_names);
    for (const identifier of ['first_name', 'last_name', 'email', 'dob', 'address', 'zip'])
      expect(patient.table_with_columns.column_names).not.toContain(identifier);
    expect(granted).toEqual(expect.arrayContaining(['employee_id', 'account_balance', 'status']));
  });

  test('adding a PHI column to the contract hides it from readers with no other change', () => {
    const withSsn: Table[] = CLINIC_TABLES.map((t) =>
      t.name !== 'patient'
        ? t
        : {
            ...t,
            columns: [
              ...t.columns,
              {
                name: 'ssn',
                type: { kind: 'char', length: 11 },
                nullable: false,
                csv: { kind: 'text' },
                classification: 'direct-identifier',
                description: 'Social security number',
              },
            ],
          },
    );
    const changed = new SynthesizedStack(new PlatformStack(Testing.app(), prod, withSsn));
    const base = synthesize(prod);
    const readerGrants = (s: SynthesizedStack): Json => s.json.resource.aws_lakeformation_permissions;
    expect(readerGrants(changed)).toEqual(readerGrants(base));
    const glueColumns = (s: SynthesizedStack): string[] =>
      s.one('aws_glue_catalog_table', 'table-patient_').storage_descriptor.columns.map((c: Json) => c.name);
    expect(glueColumns(changed)).toEqual([...glueColumns(base), 'ssn']);
  });

  test('the analyst role may query only through the workgroup and read its results', () => {
    const policy = stack.one('aws_iam_role_policy', 'analyst-policy').policy;
    expect(stack.statement(policy, 'QueryInWorkgroup').resources).toEqual([
      ref('aws_athena_workgroup', stack.idOf('aws_athena_workgroup'), 'arn'),
    ]);
    expect(stack.statement(policy, 'QueryResults').resources[1]).toMatch(/athena-results.*\/athena\/\*$/);
  });
});
