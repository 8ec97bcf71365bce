import { READABLE_COLUMNS } from '../../../contract/lake';
import { CLINIC_TABLES, SMOKE_PROBE_TABLE, Table, isSeeded, tableNamed } from '../../../contract/clinic';
import { LakeformationPermissions } from '@cdktf/provider-aws/lib/lakeformation-permissions';
import { Governance, GovernanceProps } from '../../../stacks/constructs/governance';
import { ServiceRole } from '../../../stacks/core/service-role';
import {
  Json,
  SynthesizedStack,
  TEST_CATALOG_KEY_STATEMENT,
  TEST_ENV,
  TEST_PREFIX,
  contractWithPatientSsn,
  patientGlueColumns,
  serviceTrust,
  synthesizeWith,
  testCatalog,
  testStorage,
  governedGrants,
  smokeRunnerPatientColumns,
  testCurrentState,
  testMerge,
} from '../../helpers/synth';

describe('Governance (Lake Formation)', () => {
  const root = `arn:aws:iam::${TEST_ENV.accountId}:root`;
  const DEPLOY_ROLE = `arn:aws:iam::${TEST_ENV.accountId}:role/unicornhealth-deploy`;
  const LAKE_ADMIN = `arn:aws:iam::${TEST_ENV.accountId}:role/${TEST_PREFIX}-lake-admin`;
  /** Governance with the platform's wiring: the crawler, the lake admin and the merge on the change log, the merge and the maintenance on the current state, three readers on the current state. */
  const build = (props: Partial<GovernanceProps> = {}, tables?: readonly Table[]): SynthesizedStack =>
    synthesizeWith((scope) => {
      const storage = testStorage(scope);
      const governance = new Governance(scope, 'governance', {
        environment: TEST_ENV,
        namePrefix: TEST_PREFIX,
        analystTrustedPrincipalArns: [root],
        deployRoleArn: DEPLOY_ROLE,
        storage,
        ...props,
      });
      const catalog = testCatalog(scope, tables);
      const currentState = testCurrentState(scope, tables);
      const merge = testMerge(scope, tables);
      governance.grantCrawler(catalog);
      governance.grantChangeLogReader('lake-admin', LAKE_ADMIN, catalog);
      governance.grantChangeLogReader('merge', merge.mergeRole.arn, catalog);
      governance.grantCurrentStateWriter('merge', merge.mergeRole, currentState);
      governance.grantCurrentStateWriter('maintenance', merge.maintenanceRole, currentState);
      governance.grantReader('analyst', governance.analystRole, currentState);
      const reader = new ServiceRole(scope, 'reader-role', {
        environment: TEST_ENV,
        roleName: 'reader',
        description: 'Reads the lake',
        trust: { kind: 'services', services: ['redshift'] },
      });
      governance.grantReader('redshift', reader, currentState);
      governance.grantReader('smoke-runner', governance.smokeRunnerRole, currentState);
      governance.allowAthenaQueries(governance.analystRole, catalog);
      governance.allowAthenaQueries(governance.smokeRunnerRole, catalog);
    });
  const stack = build();
  const registrationIds = [
    `aws_lakeformation_resource.${stack.idOf('aws_lakeformation_resource', 'governance_lake-location')}`,
    `aws_lakeformation_resource.${stack.idOf('aws_lakeformation_resource', 'current-state-location')}`,
  ];
  const roleArn = (idPart: string): string => stack.ref('aws_iam_role', idPart, 'arn');
  const lakeKey = stack.ref('aws_kms_key', 'lake-key', 'arn');
  const lakeArn = stack.ref('aws_s3_bucket', 'storage_lake_', 'arn');
  const grants = (synthesized: SynthesizedStack = stack): Json[] => synthesized.all('aws_lakeformation_permissions');

  test('who administers the lake is the account baseline’s: no settings, lake-admin role or LakeAdministrators here', () => {
    expect(stack.all('aws_lakeformation_data_lake_settings')).toHaveLength(0);
    expect(stack.all('aws_iam_group')).toHaveLength(0);
    expect(stack.all('aws_iam_role').map((role: Json) => role.name)).not.toContain(`${TEST_PREFIX}-lake-admin`);
    expect(stack.text).not.toContain('IAM_ALLOWED_PRINCIPALS');
  });

  test.each([
    ['lake-location', 'raw'],
    ['current-state-location', 'current'],
  ])(
    'the %s (%s/) is registered with a dedicated role, once its policy exists, not the service-linked role, not in hybrid mode',
    (idPart, prefix) => {
      expect(stack.one('aws_lakeformation_resource', idPart)).toEqual({
        arn: `${lakeArn}/${prefix}`,
        role_arn: roleArn('registration-role'),
        use_service_linked_role: false,
        hybrid_access_enabled: false,
        depends_on: [
          `aws_iam_role.${stack.idOf('aws_iam_role', 'registration-role')}`,
          `aws_iam_role_policy.${stack.idOf('aws_iam_role_policy', 'registration')}`,
        ],
      });
    },
  );

  test('the registration role trusts Lake Formation (which documents no source conditions) and reaches only the two zones', () => {
    expect(stack.serviceTrustOf('registration-role')).toEqual(serviceTrust(['lakeformation.amazonaws.com']));
    const policy = stack.one('aws_iam_role_policy', 'registration').policy;
    expect(stack.statement(policy, 'LakeObjects').resources).toEqual([`${lakeArn}/raw/*`, `${lakeArn}/current/*`]);
    expect(stack.statement(policy, 'LakeBucket').resources).toEqual([lakeArn]);
    expect(stack.statement(policy, 'LakeKey')).toMatchObject({
      resources: [lakeKey],
      condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.us-east-1.amazonaws.com'] }],
    });
  });

  test('every grant waits for both registrations, and grants run one after another', () => {
    const list = Object.values(stack.resources('aws_lakeformation_permissions'));
    const predecessors = list.map((grant: Json) => {
      expect(grant.depends_on.slice(0, 2)).toEqual(registrationIds);
      expect(grant.depends_on.slice(2).every((d: string) => d.startsWith('aws_lakeformation_permissions.'))).toBe(true);
      return grant.depends_on.slice(2);
    });
    expect(predecessors.filter((p) => p.length === 0)).toHaveLength(1);
    expect(predecessors.every((p) => p.length <= 1)).toBe(true);
    expect(new Set(predecessors.flat()).size).toBe(list.length - 1);
  });

  test('the crawler may alter the change-log database and every change-log table (paired by name) and access their location', () => {
    const crawler = roleArn('crawler-role');
    expect(stack.one('aws_lakeformation_permissions', 'crawler-database')).toMatchObject({
      principal: crawler,
      permissions: ['DESCRIBE', 'ALTER', 'CREATE_TABLE'],
      database: { name: stack.ref('aws_glue_catalog_database', 'changes-database', 'name') },
    });
    expect(stack.one('aws_lakeformation_permissions', 'crawler-location')).toMatchObject({
      permissions: ['DATA_LOCATION_ACCESS'],
      data_location: { arn: stack.ref('aws_lakeformation_resource', 'governance_lake-location', 'arn') },
    });
    for (const table of CLINIC_TABLES) {
      expect(stack.one('aws_lakeformation_permissions', `crawler-table-${table.name}`)).toMatchObject({
        principal: crawler,
        permissions: ['SELECT', 'ALTER', 'DESCRIBE', 'INSERT'],
        table: {
          database_name: stack.ref('aws_glue_catalog_database', 'changes-database', 'name'),
          name: stack.ref('aws_glue_catalog_table', `change-log-${table.name}`, 'name'),
        },
      });
    }
  });

  test.each([
    ['lake-admin', LAKE_ADMIN],
    ['merge', '${aws_iam_role.merge_merge-role.arn}'],
  ])('%s reads every column of the whole change log', (grantee, principal) => {
    expect(stack.one('aws_lakeformation_permissions', `${grantee}-changes-database`)).toMatchObject({
      principal,
      permissions: ['DESCRIBE'],
      database: { name: stack.ref('aws_glue_catalog_database', 'changes-database', 'name') },
    });
    for (const table of CLINIC_TABLES) {
      expect(stack.one('aws_lakeformation_permissions', `${grantee}-change-log-${table.name}`)).toEqual(
        expect.objectContaining({
          principal,
          permissions: ['SELECT', 'DESCRIBE'],
          table: {
            database_name: stack.ref('aws_glue_catalog_database', 'changes-database', 'name'),
            name: stack.ref('aws_glue_catalog_table', `change-log-${table.name}`, 'name'),
          },
        }),
      );
    }
  });

  test('only the crawler, the lake admin and the merge are granted anything in the change-log database', () => {
    const changesDatabase = stack.ref('aws_glue_catalog_database', 'changes-database', 'name');
    const onChangeLog = grants().filter(
      (g: Json) => (g.database?.name ?? g.table?.database_name ?? g.table_with_columns?.database_name) === changesDatabase,
    );
    expect(new Set(onChangeLog.map((g: Json) => g.principal))).toEqual(
      new Set([roleArn('crawler-role'), LAKE_ADMIN, roleArn('merge-role')]),
    );
  });

  test.each([
    ['merge', 'merge-role'],
    ['maintenance', 'maintenance-role'],
  ])('the %s writes every current-state table through Athena and may alter tables at their location', (grantee, role) => {
    for (const table of CLINIC_TABLES) {
      expect(stack.one('aws_lakeformation_permissions', `${grantee}-current-${table.name}`)).toMatchObject({
        principal: roleArn(role),
        permissions: ['SELECT', 'INSERT', 'DELETE', 'ALTER', 'DESCRIBE'],
        table: {
          database_name: stack.ref('aws_glue_catalog_database', 'catalog_database', 'name'),
          name: stack.ref('aws_glue_catalog_table', `current-state_table-${table.name}`, 'name'),
        },
      });
    }
    expect(stack.one('aws_lakeformation_permissions', `${grantee}-current-location`)).toMatchObject({
      principal: roleArn(role),
      permissions: ['DATA_LOCATION_ACCESS'],
      data_location: { arn: stack.ref('aws_lakeformation_resource', 'current-state-location', 'arn') },
    });
  });

  test('every grant on a current-state table is replaced with the table (Lake Formation drops them together); others are not', () => {
    const grants = Object.entries<Json>(stack.json.resource.aws_lakeformation_permissions);
    const onCurrent = grants.filter(([, g]) => /current-state_table-/.test(JSON.stringify(g.table ?? g.table_with_columns ?? {})));
    expect(onCurrent.length).toBeGreaterThanOrEqual(5 * CLINIC_TABLES.length - 2 * CLINIC_TABLES.filter((t) => !isSeeded(t)).length);
    for (const [, grant] of onCurrent) {
      const table = /\$\{(aws_glue_catalog_table\.current-state_table-[\w-]+)\.name\}/.exec(
        JSON.stringify(grant.table ?? grant.table_with_columns),
      )?.[1];
      expect(grant.lifecycle).toEqual({ replace_triggered_by: [table] });
    }
    for (const [, grant] of grants.filter((entry) => !onCurrent.includes(entry))) expect(grant.lifecycle).toBeUndefined();
  });

  test('the maintenance is never granted the change log', () => {
    expect(
      grants().filter((g: Json) => g.principal === roleArn('maintenance-role') && JSON.stringify(g).includes('changes-database')),
    ).toEqual([]);
  });

  test('the last grant is what waits for all the others', () => {
    const governance = synthesizeWith((scope) => {
      const made = new Governance(scope, 'governance', {
        environment: TEST_ENV,
        namePrefix: TEST_PREFIX,
        analystTrustedPrincipalArns: [root],
        deployRoleArn: DEPLOY_ROLE,
        storage: testStorage(scope),
      });
      expect(made.grantsMade).toEqual([]);
      made.grantCrawler(testCatalog(scope));
      expect(made.grantsMade.map((g) => (g as LakeformationPermissions).node.id)).toEqual(['crawler-location']);
    });
    expect(governance.all('aws_lakeformation_permissions')).toHaveLength(CLINIC_TABLES.length + 2);
  });

  test.each([
    ['analyst', 'analyst-role', false],
    ['redshift', 'reader-role', true],
  ])(
    'the %s reader gets DESCRIBE on the main database and SELECT on every current table without a single direct patient identifier (smoke probe: %s)',
    (name, role, readsProbe) => {
      expect(stack.one('aws_lakeformation_permissions', `${name}-database`)).toMatchObject({
        principal: roleArn(role),
        permissions: ['DESCRIBE'],
        database: { name: stack.ref('aws_glue_catalog_database', 'catalog_database', 'name') },
      });
      const selects = grants().filter((g: Json) => g.principal === roleArn(role) && g.table_with_columns);
      // The clinic's tables; the smoke probe for Redshift only (for analysts no grant at all: one of no columns is
      // invalid).
      expect(selects).toHaveLength(readsProbe ? CLINIC_TABLES.length : CLINIC_TABLES.filter(isSeeded).length);
      expect(selects.some((g: Json) => String(g.table_with_columns.name).includes(SMOKE_PROBE_TABLE))).toBe(readsProbe);
      const patient = stack.one('aws_lakeformation_permissions', `${name}-table-patient`);
      expect(patient.permissions).toEqual(['SELECT']);
      expect(patient.table_with_columns).toEqual({
        database_name: stack.ref('aws_glue_catalog_database', 'catalog_database', 'name'),
        name: stack.ref('aws_glue_catalog_table', 'current-state_table-patient', 'name'),
        column_names: ['person_id', 'insurance'],
      });
      expect(selects.flatMap((g: Json) => g.table_with_columns.column_names)).toEqual(
        expect.arrayContaining(['employee_id', 'account_balance', 'status']),
      );
    },
  );

  test('adding a PHI column to the contract hides it from readers with no other change', () => {
    const changed = build({}, contractWithPatientSsn());
    expect(governedGrants(changed)).toEqual(governedGrants(stack));
    expect(smokeRunnerPatientColumns(changed)).toEqual([...smokeRunnerPatientColumns(stack), 'ssn']);
    expect(patientGlueColumns(changed).changeLog).toEqual([...patientGlueColumns(stack).changeLog, 'ssn']);
  });

  test('a table of which a persona may read no column gets no grant for that persona, and the others still get theirs', () => {
    const patient = tableNamed('patient');
    const probe: Table = {
      name: 'probe',
      description: 'Only the smoke runner reads it',
      primaryKey: 'probe_id',
      columns: [{ ...patient.columns.find((c) => c.name === 'first_name')!, name: 'probe_id' }],
    };
    const withProbe = build({}, [...CLINIC_TABLES, probe]);
    const ids = Object.keys(withProbe.resources('aws_lakeformation_permissions'));
    const readerGrants = (table: string): string[] =>
      ids.filter((id) => /_(analyst|redshift|smoke-runner)-table-/.test(id) && id.endsWith(`-table-${table}`));
    expect(readerGrants('probe')).toEqual(['governance_smoke-runner-table-probe']);
    expect(readerGrants('patient')).toHaveLength(3);
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
      'CatalogKeyThroughGlue',
      'QueryResults',
      'LakeKeyThroughServices',
    ]);
    expect(stack.statement(policy.policy, 'CatalogKeyThroughGlue')).toEqual(TEST_CATALOG_KEY_STATEMENT);
    expect(stack.statement(policy.policy, 'QueryInWorkgroup').resources).toEqual([
      stack.ref('aws_athena_workgroup', 'catalog_workgroup', 'arn'),
    ]);
    const results = stack.ref('aws_s3_bucket', 'athena-results', 'arn');
    expect(stack.statement(policy.policy, 'QueryResults').resources).toEqual([results, `${results}/athena/*`]);
    expect(stack.statement(policy.policy, 'LakeKeyThroughServices')).toMatchObject({
      resources: [lakeKey],
      condition: [
        { test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.us-east-1.amazonaws.com', 'athena.us-east-1.amazonaws.com'] },
      ],
    });
  });

  test('the smoke runner reads every column of every table, and only the deploying role may assume it', () => {
    const smokeRunner = stack.one('aws_iam_role', 'smoke-runner-role');
    expect(smokeRunner.name).toBe(`${TEST_PREFIX}-smoke-runner`);
    expect(stack.policyBehind(smokeRunner.assume_role_policy).statement).toEqual([
      expect.objectContaining({ principals: [{ type: 'AWS', identifiers: [DEPLOY_ROLE] }], actions: ['sts:AssumeRole'] }),
    ]);
    const patient = grants().find(
      (g) => g.principal === roleArn('smoke-runner-role') && String(g.table_with_columns?.name).includes('patient'),
    );
    expect(patient.table_with_columns.column_names).toEqual(tableNamed('patient').columns.map((c) => c.name.toLowerCase()));
  });

  test('each reader persona is granted exactly the columns the contract lets it read', () => {
    for (const [idPart, persona] of [
      ['analyst-role', 'analyst'],
      ['reader-role', 'redshift'],
      ['smoke-runner-role', 'smoke-runner'],
    ] as const) {
      for (const table of CLINIC_TABLES) {
        const grant = grants().find(
          (g) => g.principal === roleArn(idPart) && String(g.table_with_columns?.name).includes(`current-state_table-${table.name}`),
        );
        // A persona that may read no column of a table has no grant on it.
        expect([persona, table.name, grant?.table_with_columns.column_names ?? []]).toEqual([
          persona,
          table.name,
          READABLE_COLUMNS[persona](table).map((c) => c.name.toLowerCase()),
        ]);
      }
    }
  });
});
