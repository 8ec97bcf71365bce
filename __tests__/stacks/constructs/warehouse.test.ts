import { dev, prod } from '../../../config/environments';
import { externalSchemaSql } from '../../../contract/warehouse';
import { WORKGROUP_PARAMETERS, Warehouse, WarehouseProps } from '../../../stacks/constructs/warehouse';
import {
  Json,
  SynthesizedStack,
  TEST_CATALOG_KEY_STATEMENT,
  TEST_ENV,
  TEST_PREFIX,
  serviceTrust,
  synthesizeWith,
  testCatalog,
  testKey,
  testNetwork,
} from '../../helpers/synth';

describe('Warehouse (Redshift Serverless)', () => {
  const build = (props: Partial<WarehouseProps> = {}): SynthesizedStack =>
    synthesizeWith((scope) => {
      new Warehouse(scope, 'warehouse', {
        ...dev.warehouse,
        environment: TEST_ENV,
        namePrefix: TEST_PREFIX,
        network: testNetwork(scope),
        catalog: testCatalog(scope),
        databaseKey: testKey(scope, 'database'),
        ...props,
      });
    });
  const stack = build();
  const name = `${TEST_PREFIX}-warehouse`;
  const dbKey = stack.ref('aws_kms_key', 'database-key', 'arn');
  const spectrumRole = stack.ref('aws_iam_role', 'spectrum-role', 'arn');
  const redshiftGroup = stack.ref('aws_security_group', 'warehouse_redshift', 'id');

  test('the namespace is encrypted, its admin password managed by AWS, its logs exported, with the Spectrum role as default', () => {
    const namespace = stack.one('aws_redshiftserverless_namespace');
    expect(namespace).toEqual({
      namespace_name: name,
      db_name: 'clinic',
      admin_username: 'clinic_admin',
      manage_admin_password: true,
      admin_password_secret_kms_key_id: dbKey,
      kms_key_id: dbKey,
      iam_roles: [spectrumRole],
      default_iam_role_arn: spectrumRole,
      log_exports: ['userlog', 'connectionlog', 'useractivitylog'],
    });
  });

  test('the database name is an option', () => {
    expect(build({ databaseName: 'lakehouse' }).one('aws_redshiftserverless_namespace').db_name).toBe('lakehouse');
  });

  test.each([
    ['dev', dev.warehouse],
    ['prod', prod.warehouse],
  ] as const)(
    '%s: the workgroup is private, in the private subnets, with enhanced VPC routing, TLS required and capacity from config',
    (_env, config) => {
      const synthesized = build(config);
      expect(synthesized.one('aws_redshiftserverless_workgroup')).toEqual({
        workgroup_name: name,
        namespace_name: synthesized.ref('aws_redshiftserverless_namespace', '', 'namespace_name'),
        base_capacity: config.baseRpu,
        max_capacity: config.maxRpu,
        enhanced_vpc_routing: true,
        publicly_accessible: false,
        subnet_ids: ['us-east-1a', 'us-east-1b', 'us-east-1c'].map((az) => synthesized.ref('aws_subnet', `private-${az}`, 'id')),
        security_group_ids: [synthesized.ref('aws_security_group', 'warehouse_redshift', 'id')],
        config_parameter: Object.entries(WORKGROUP_PARAMETERS).map(([parameter_key, parameter_value]) => ({
          parameter_key,
          parameter_value,
        })),
        lifecycle: { ignore_changes: ['config_parameter'] },
      });
      expect(WORKGROUP_PARAMETERS).toMatchObject({ require_ssl: 'true', enable_user_activity_logging: 'true' });
      // Every parameter AWS returns (the replan test holds what it returns): nothing left for AWS to fill in.
      expect(Object.keys(WORKGROUP_PARAMETERS)).toHaveLength(9);
      expect(synthesized.one('aws_redshiftserverless_usage_limit')).toEqual({
        resource_arn: synthesized.ref('aws_redshiftserverless_workgroup', '', 'arn'),
        usage_type: 'serverless-compute',
        amount: config.monthlyRpuHoursLimit,
        period: 'monthly',
        breach_action: 'deactivate',
      });
    },
  );

  test('the Spectrum role is assumed by Redshift (which documents no source conditions) and reads the catalog through Lake Formation', () => {
    expect(stack.serviceTrustOf('spectrum-role')).toEqual(serviceTrust(['redshift.amazonaws.com', 'redshift-serverless.amazonaws.com']));
    const policy = stack.one('aws_iam_role_policy', 'spectrum').policy;
    // No S3 permission and no lake key: Spectrum reads with the credentials Lake Formation vends (the registration role's).
    expect(stack.sids(policy)).toEqual(['ReadCatalog', 'LakeFormationCredentials', 'CatalogKeyThroughGlue']);
    expect(stack.statement(policy, 'CatalogKeyThroughGlue')).toEqual(TEST_CATALOG_KEY_STATEMENT);
    const database = stack.ref('aws_glue_catalog_database', 'catalog_database', 'name');
    expect(stack.statement(policy, 'ReadCatalog').resources).toEqual([
      `arn:aws:glue:us-east-1:${TEST_ENV.accountId}:catalog`,
      `arn:aws:glue:us-east-1:${TEST_ENV.accountId}:database/${database}`,
      `arn:aws:glue:us-east-1:${TEST_ENV.accountId}:table/${database}/*`,
    ]);
    const s3Actions = stack
      .policyBehind(policy)
      .statement.flatMap((s: Json) => s.actions)
      .filter((a: string) => a.startsWith('s3:'));
    expect(s3Actions).toEqual([]);
  });

  test('the workgroup has no inbound rule and reaches only the endpoints and S3', () => {
    expect(stack.ingressOf(redshiftGroup)).toEqual([]);
    const egress = stack.egressOf(redshiftGroup);
    expect(egress.map((r) => [r.to_port, r.description]).sort()).toEqual([
      [443, 'Redshift Spectrum reads the lake'],
      [443, `Redshift to Glue and Lake Formation (to ${TEST_PREFIX}-vpc-endpoints)`],
    ]);
  });

  test('the external schema is idempotent SQL naming the Glue database, the role and the region', () => {
    expect(externalSchemaSql({ glueDatabase: 'unicornhealth_dev', roleArn: 'arn:aws:iam::111111111111:role/r', region: 'us-east-1' })).toBe(
      "CREATE EXTERNAL SCHEMA IF NOT EXISTS lake FROM DATA CATALOG DATABASE 'unicornhealth_dev' IAM_ROLE 'arn:aws:iam::111111111111:role/r' REGION 'us-east-1'",
    );
  });
});
