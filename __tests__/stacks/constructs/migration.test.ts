import { dev, prod } from '../../../config/environments';
import { CLINIC_TABLES } from '../../../contract/clinic';
import { Json, ref, synthesize, withConfig } from '../../helpers/synth';

describe('Migration (DMS)', () => {
  const stacks = { dev: synthesize(dev), prod: synthesize(prod) };
  const stack = stacks.dev;
  const key = (name: string): string => ref('aws_kms_key', stack.idOf('aws_kms_key', `${name}-key`), 'arn');

  test('the account-level DMS roles exist with their managed policies, and the subnet group and instance wait for them', () => {
    const roles = ['dms-vpc-role', 'dms-cloudwatch-logs-role'];
    for (const role of roles) expect(stack.one('aws_iam_role', `migration_${role}_`).name).toBe(role);
    const waitsFor = (resource: Json): void => {
      for (const role of roles) expect(resource.depends_on).toContain(`aws_iam_role.${stack.idOf('aws_iam_role', `migration_${role}_`)}`);
    };
    waitsFor(stack.one('aws_dms_replication_subnet_group'));
    waitsFor(stack.one('aws_dms_replication_instance'));
  });

  test('accounts that already have the DMS roles can skip them by config', () => {
    const without = synthesize(withConfig(dev, { migration: { createServiceRoles: false } }));
    expect(Object.keys(without.resources('aws_iam_role')).some((id) => id.includes('dms-vpc-role'))).toBe(false);
    expect(without.one('aws_dms_replication_instance')).not.toHaveProperty('depends_on');
  });

  test.each([
    ['dev', 'dms.t3.micro', false],
    ['prod', 'dms.t3.medium', true],
  ] as const)(
    '%s: a private replication instance of class %s, Multi-AZ %s, encrypted, auto minor upgrades',
    (name, instanceClass, multiAz) => {
      const instance = stacks[name].one('aws_dms_replication_instance');
      expect(instance).toMatchObject({
        replication_instance_class: instanceClass,
        multi_az: multiAz,
        publicly_accessible: false,
        auto_minor_version_upgrade: true,
        kms_key_arn: ref('aws_kms_key', stacks[name].idOf('aws_kms_key', 'database-key'), 'arn'),
      });
    },
  );

  test('the MySQL source reads its credentials from a CMK-encrypted secret through a role scoped to it, with TLS', () => {
    const source = stack.one('aws_dms_endpoint');
    const secretId = stack.idOf('aws_secretsmanager_secret', 'source-secret');
    expect(source).toMatchObject({
      endpoint_type: 'source',
      engine_name: 'mysql',
      ssl_mode: 'require',
      secrets_manager_arn: ref('aws_secretsmanager_secret', secretId, 'arn'),
      database_name: 'unicornhealth',
    });
    expect(source).not.toHaveProperty('password');
    expect(source).not.toHaveProperty('username');
    expect(stack.one('aws_secretsmanager_secret', 'source-secret').kms_key_id).toBe(key('database'));
    expect(stack.all('aws_secretsmanager_secret_version')).toHaveLength(0);
    const access = stack.statement(stack.one('aws_iam_role_policy', 'secret-access').policy, 'ReadSourceSecret');
    expect(access.resources).toEqual([ref('aws_secretsmanager_secret', secretId, 'arn')]);
  });

  test('the target is an aws_dms_s3_endpoint writing Parquet with SSE-KMS and millisecond timestamps into the raw zone', () => {
    expect(stack.one('aws_dms_s3_endpoint')).toMatchObject({
      endpoint_type: 'target',
      data_format: 'parquet',
      encryption_mode: 'SSE_KMS',
      server_side_encryption_kms_key_id: key('lake'),
      parquet_timestamp_in_millisecond: true,
      bucket_folder: 'raw',
    });
    expect(stack.text).not.toContain('s3_settings');
  });

  test('the target role may write the raw-zone prefix only', () => {
    const policy = stack.one('aws_iam_role_policy', 'target-policy').policy;
    expect(stack.statement(policy, 'WriteRawZone').resources).toEqual([
      `${ref('aws_s3_bucket', stack.idOf('aws_s3_bucket', 'storage_lake_'), 'arn')}/raw/*`,
    ]);
    expect(stack.statement(policy, 'ListRawZone').condition).toEqual([{ test: 'StringLike', variable: 's3:prefix', values: ['raw/*'] }]);
  });

  test('the task mappings select exactly the contract tables', () => {
    const mappings = JSON.parse(stack.one('aws_dms_replication_task').table_mappings);
    expect(mappings.rules.map((r: Json) => r['object-locator'])).toEqual(
      CLINIC_TABLES.map((t) => ({ 'schema-name': 'unicornhealth', 'table-name': t.name })),
    );
    expect(mappings.rules.every((r: Json) => r['rule-action'] === 'include')).toBe(true);
  });

  test.each([
    ['dev', 'full-load'],
    ['prod', 'full-load-and-cdc'],
  ] as const)('%s: the task runs %s, is not started by Terraform, validates, and logs', (name, mode) => {
    const task = stacks[name].one('aws_dms_replication_task');
    expect(task).toMatchObject({ migration_type: mode, start_replication_task: false });
    const settings = JSON.parse(task.replication_task_settings);
    expect(settings.ValidationSettings.EnableValidation).toBe(true);
    expect(settings.Logging.EnableLogging).toBe(true);
    expect(settings.ErrorBehavior).toMatchObject({ TableErrorPolicy: 'SUSPEND_TABLE', FailOnNoTablesCaptured: true });
  });

  test('the task log group is pre-created with the logs key and retention', () => {
    expect(stack.one('aws_cloudwatch_log_group', 'task-logs')).toMatchObject({
      name: 'dms-tasks-unicornhealth-dev-dms',
      kms_key_id: key('logs'),
      retention_in_days: dev.logRetentionDays,
    });
  });

  test('DMS reaches MySQL on 3306, the endpoints on 443 and S3 through its prefix list, nothing else', () => {
    const dmsGroup = ref('aws_security_group', stack.idOf('aws_security_group', 'migration_dms'), 'id');
    const egress = stack.all('aws_vpc_security_group_egress_rule').filter((r: Json) => r.security_group_id === dmsGroup);
    expect(egress.map((r: Json) => r.to_port).sort()).toEqual([3306, 443, 443]);
    const mysqlIngress = stack
      .all('aws_vpc_security_group_ingress_rule')
      .find((r: Json) => r.referenced_security_group_id === dmsGroup && r.to_port === 3306);
    expect(mysqlIngress.description).toMatch(/DMS/);
  });
});
