import { dev } from '../../../config/environments';
import { externalSchemaSql } from '../../../contract/warehouse';
import { Json, ref, synthesize } from '../../helpers/synth';

describe('Warehouse (Redshift Serverless)', () => {
  const stack = synthesize(dev);
  const dbKey = ref('aws_kms_key', stack.idOf('aws_kms_key', 'database-key'), 'arn');
  const spectrumRole = ref('aws_iam_role', stack.idOf('aws_iam_role', 'spectrum-role'), 'arn');

  test('the namespace is encrypted, its admin password managed by AWS, its logs exported, with the Spectrum role', () => {
    const namespace = stack.one('aws_redshiftserverless_namespace');
    expect(namespace).toMatchObject({
      kms_key_id: dbKey,
      manage_admin_password: true,
      admin_password_secret_kms_key_id: dbKey,
      log_exports: ['userlog', 'connectionlog', 'useractivitylog'],
      iam_roles: [spectrumRole],
      default_iam_role_arn: spectrumRole,
    });
    expect(namespace).not.toHaveProperty('admin_user_password');
  });

  test('the workgroup is private, with enhanced VPC routing, TLS required and capacity from config', () => {
    const workgroup = stack.one('aws_redshiftserverless_workgroup');
    expect(workgroup).toMatchObject({
      publicly_accessible: false,
      enhanced_vpc_routing: true,
      base_capacity: dev.warehouse.baseRpu,
      max_capacity: dev.warehouse.maxRpu,
    });
    expect(workgroup.subnet_ids).toHaveLength(3);
    expect(workgroup.config_parameter).toContainEqual({ parameter_key: 'require_ssl', parameter_value: 'true' });
  });

  test('a monthly usage limit deactivates the workgroup', () => {
    expect(stack.one('aws_redshiftserverless_usage_limit')).toMatchObject({
      usage_type: 'serverless-compute',
      amount: dev.warehouse.monthlyRpuHoursLimit,
      period: 'monthly',
      breach_action: 'deactivate',
    });
  });

  test('the Spectrum role reads the catalog through Lake Formation and is assumed by Redshift of this account only', () => {
    const policy = stack.one('aws_iam_role_policy', 'spectrum-policy').policy;
    expect(stack.statement(policy, 'LakeFormationCredentials').actions).toEqual(['lakeformation:GetDataAccess']);
    const trust = stack.statement(stack.one('aws_iam_role', 'spectrum-role').assume_role_policy, 'TrustedService');
    expect(trust.condition).toEqual([{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [dev.accountId] }]);
    const s3Actions = stack
      .policyBehind(policy)
      .statement.flatMap((s: Json) => s.actions)
      .filter((a: string) => a.startsWith('s3:'));
    expect(s3Actions).toEqual([]);
  });

  test('the external schema is idempotent SQL naming the Glue database, the role and the region', () => {
    expect(externalSchemaSql({ glueDatabase: 'unicornhealth_dev', roleArn: 'arn:aws:iam::111111111111:role/r', region: 'us-east-1' })).toBe(
      "CREATE EXTERNAL SCHEMA IF NOT EXISTS lake FROM DATA CATALOG DATABASE 'unicornhealth_dev' IAM_ROLE 'arn:aws:iam::111111111111:role/r' REGION 'us-east-1'",
    );
  });
});
