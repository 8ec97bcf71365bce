import { CLINIC_TABLES, Table } from '../../../contract/clinic';
import { Governance, GovernanceProps } from '../../../stacks/constructs/governance';
import { ServiceRole } from '../../../stacks/core/service-role';
import {
  Json,
  SynthesizedStack,
  TEST_ENV,
  TEST_PREFIX,
  contractWithPatientSsn,
  patientGlueColumns,
  serviceTrust,
  synthesizeWith,
  testCatalog,
  testStorage,
} from '../../helpers/synth';

describe('Governance (Lake Formation)', () => {
  const deployRoleArn = `arn:aws:iam::${TEST_ENV.accountId}:role/deploy`;
  const root = `arn:aws:iam::${TEST_ENV.accountId}:root`;
  /** Governance with the platform's wiring: a catalog after its settings, the crawler and two readers granted. */
  const build = (props: Partial<GovernanceProps> = {}, tables?: readonly Table[]): SynthesizedStack =>
    synthesizeWith((scope) => {
      const storage = testStorage(scope);
      const governance = new Governance(scope, 'governance', {
        environment: TEST_ENV,
        namePrefix: TEST_PREFIX,
        deployRoleArn,
        lakeAdministratorUsers: ['lake-admin'],
        analystTrustedPrincipalArns: [root],
        storage,
        ...props,
      });
      const catalog = testCatalog(scope, governance.settings, tables);
      governance.grantCrawler(catalog);
      governance.grantReader('analyst', governance.analystRole, catalog);
      const reader = new ServiceRole(scope, 'reader-role', {
        environment: TEST_ENV,
        roleName: 'reader',
        description: 'Reads the lake',
        trust: { kind: 'services', services: ['redshift'] },
      });
      governance.grantReader('redshift', reader, catalog);
      governance.allowAnalystQueries(catalog);
    });
  const stack = build();
  const settingsId = `aws_lakeformation_data_lake_settings.${stack.idOf('aws_lakeformation_data_lake_settings')}`;
  const roleArn = (idPart: string): string => stack.ref('aws_iam_role', idPart, 'arn');
  const lakeKey = stack.ref('aws_kms_key', 'lake-key', 'arn');
  const lakeArn = stack.ref('aws_s3_bucket', 'storage_lake_', 'arn');
  const grants = (synthesized: SynthesizedStack = stack): Json[] => synthesized.all('aws_lakeformation_permissions');

  test('the lake admins are the lake-admin role and the deploying role, and no IAM-only defaults remain', () => {
    expect(stack.one('aws_lakeformation_data_lake_settings')).toEqual({
      admins: [roleArn('lake-admin-role'), deployRoleArn],
      create_database_default_permissions: [],
      create_table_default_permissions: [],
      allow_full_table_external_data_access: false,
    });
    expect(stack.text).not.toContain('IAM_ALLOWED_PRINCIPALS');
  });

  test('the lake-admin role is assumed by account principals with MFA under an hour old, for an hour at most', () => {
    const role = stack.one('aws_iam_role', 'lake-admin-role');
    expect(role).toMatchObject({ name: `${TEST_PREFIX}-lake-admin`, max_session_duration: 3600 });
    expect(stack.statement(role.assume_role_policy, 'TrustedPrincipalsWithMfa')).toMatchObject({
      principals: [{ type: 'AWS', identifiers: [root] }],
      condition: [
        { test: 'Bool', variable: 'aws:MultiFactorAuthPresent', values: ['true'] },
        { test: 'NumericLessThan', variable: 'aws:MultiFactorAuthAge', values: ['3600'] },
      ],
    });
    const policy = stack.one('aws_iam_role_policy', 'lake-admin').policy;
    expect(stack.sids(policy)).toEqual(['AdministerLakeFormation', 'ReadCatalog', 'UseLakeKeyThroughGlue']);
    expect(stack.statement(policy, 'UseLakeKeyThroughGlue').resources).toEqual([lakeKey]);
  });

  test('LakeAdministrators members may assume the lake-admin role only with MFA, and get no keys or direct policies', () => {
    expect(stack.one('aws_iam_group').name).toBe('LakeAdministrators');
    const assume = stack.statement(stack.one('aws_iam_group_policy').policy, 'AssumeLakeAdminWithMfa');
    expect(assume).toMatchObject({ actions: ['sts:AssumeRole'], resources: [roleArn('lake-admin-role')] });
    expect(assume.condition).toEqual([{ test: 'Bool', variable: 'aws:MultiFactorAuthPresent', values: ['true'] }]);
    expect(stack.one('aws_iam_group_membership').users).toEqual(['lake-admin']);
    expect(stack.all('aws_iam_access_key')).toHaveLength(0);
    expect(stack.all('aws_iam_user_policy_attachment')).toHaveLength(0);
  });

  test('without administrator users there is no group membership', () => {
    expect(build({ lakeAdministratorUsers: [] }).all('aws_iam_group_membership')).toHaveLength(0);
  });

  test('the raw zone is registered with a dedicated role, not the service-linked role, and not in hybrid mode', () => {
    expect(stack.one('aws_lakeformation_resource')).toEqual({
      arn: `${lakeArn}/raw`,
      role_arn: roleArn('registration-role'),
      use_service_linked_role: false,
      hybrid_access_enabled: false,
      depends_on: [settingsId],
    });
  });

  test('the registration role trusts Lake Formation (which documents no source conditions) and reaches only the raw zone', () => {
    expect(stack.serviceTrustOf('registration-role')).toEqual(serviceTrust(['lakeformation.amazonaws.com']));
    const policy = stack.one('aws_iam_role_policy', 'registration').policy;
    expect(stack.statement(policy, 'LakeObjects').resources).toEqual([`${lakeArn}/raw/*`]);
    expect(stack.statement(policy, 'LakeBucket').resources).toEqual([lakeArn]);
    expect(stack.statement(policy, 'LakeKey')).toMatchObject({
      resources: [lakeKey],
      condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.us-east-1.amazonaws.com'] }],
    });
  });

  test('every grant waits for the settings and the registration, and grants run one after another', () => {
    const list = Object.values(stack.resources('aws_lakeformation_permissions'));
    const predecessors = list.map((grant: Json) => {
      expect(grant.depends_on).toEqual(
        expect.arrayContaining([settingsId, `aws_lakeformation_resource.${stack.idOf('aws_lakeformation_resource')}`]),
      );
      return grant.depends_on.filter((d: string) => d.startsWith('aws_lakeformation_permissions.'));
    });
    expect(predecessors.filter((p) => p.length === 0)).toHaveLength(1);
    expect(predecessors.every((p) => p.length <= 1)).toBe(true);
    expect(new Set(predecessors.flat()).size).toBe(list.length - 1);
  });

  test('the crawler may alter the database and every contract table (paired by name) and access the data location', () => {
    const crawler = roleArn('crawler-role');
    expect(stack.one('aws_lakeformation_permissions', 'crawler-database')).toMatchObject({
      principal: crawler,
      permissions: ['DESCRIBE', 'ALTER', 'CREATE_TABLE'],
      database: { name: stack.ref('aws_glue_catalog_database', '', 'name') },
    });
    expect(stack.one('aws_lakeformation_permissions', 'crawler-location')).toMatchObject({
      permissions: ['DATA_LOCATION_ACCESS'],
      data_location: { arn: stack.ref('aws_lakeformation_resource', '', 'arn') },
    });
    for (const table of CLINIC_TABLES) {
      expect(stack.one('aws_lakeformation_permissions', `crawler-table-${table.name}_`)).toMatchObject({
        principal: crawler,
        permissions: ['SELECT', 'ALTER', 'DESCRIBE', 'INSERT'],
        table: { name: stack.ref('aws_glue_catalog_table', `table-${table.name}_`, 'name') },
      });
    }
  });

  test.each([
    ['analyst', 'analyst-role'],
    ['redshift', 'reader-role'],
  ])('the %s reader gets DESCRIBE on the database and SELECT on every table without a single direct patient identifier', (name, role) => {
    expect(stack.one('aws_lakeformation_permissions', `${name}-database`)).toMatchObject({
      principal: roleArn(role),
      permissions: ['DESCRIBE'],
    });
    const selects = grants().filter((g: Json) => g.principal === roleArn(role) && g.table_with_columns);
    expect(selects).toHaveLength(CLINIC_TABLES.length);
    const patient = stack.one('aws_lakeformation_permissions', `${name}-table-patient_`);
    expect(patient.permissions).toEqual(['SELECT']);
    expect(patient.table_with_columns).toMatchObject({
      name: stack.ref('aws_glue_catalog_table', 'table-patient_', 'name'),
      column_names: ['person_id', 'insurance'],
    });
    expect(selects.flatMap((g: Json) => g.table_with_columns.column_names)).toEqual(
      expect.arrayContaining(['employee_id', 'account_balance', 'status']),
    );
  });

  test('adding a PHI column to the contract hides it from readers with no other change', () => {
    const changed = build({}, contractWithPatientSsn());
    expect(changed.resources('aws_lakeformation_permissions')).toEqual(stack.resources('aws_lakeformation_permissions'));
    expect(patientGlueColumns(changed)).toEqual([...patientGlueColumns(stack), 'ssn']);
  });

  test('the analyst role is assumed by the trusted principals, for an hour at most', () => {
    const role = stack.one('aws_iam_role', 'analyst-role');
    expect(role).toMatchObject({ name: `${TEST_PREFIX}-analyst`, max_session_duration: 3600 });
    expect(stack.statement(role.assume_role_policy, 'TrustedPrincipals')).toEqual({
      sid: 'TrustedPrincipals',
      effect: 'Allow',
      actions: ['sts:AssumeRole'],
      principals: [{ type: 'AWS', identifiers: [root] }],
    });
  });

  test('the analyst may query only through the catalog’s workgroup and read and write its results', () => {
    const policy = stack.one('aws_iam_role_policy', 'analyst-policy');
    expect(policy.name).toBe('query-lake-with-athena');
    expect(stack.sids(policy.policy)).toEqual([
      'QueryInWorkgroup',
      'ReadCatalog',
      'LakeFormationCredentials',
      'QueryResults',
      'LakeKeyThroughServices',
    ]);
    expect(stack.statement(policy.policy, 'QueryInWorkgroup').resources).toEqual([stack.ref('aws_athena_workgroup', '', 'arn')]);
    const results = stack.ref('aws_s3_bucket', 'athena-results', 'arn');
    expect(stack.statement(policy.policy, 'QueryResults').resources).toEqual([results, `${results}/athena/*`]);
    expect(stack.statement(policy.policy, 'LakeKeyThroughServices').resources).toEqual([lakeKey]);
  });
});
