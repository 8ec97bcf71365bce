import { dev, prod } from '../../../config/environments';
import { MYSQL_PARAMETERS, supportsPerformanceInsights } from '../../../stacks/constructs/database';
import { Json, ref, synthesize, withConfig } from '../../helpers/synth';

describe('Database', () => {
  const stacks = { dev: synthesize(dev), prod: synthesize(prod) };
  const instance = (name: 'dev' | 'prod'): Json => stacks[name].one('aws_db_instance');
  const dbKey = (name: 'dev' | 'prod'): string => ref('aws_kms_key', stacks[name].idOf('aws_kms_key', 'database-key'), 'arn');

  test.each(['dev', 'prod'] as const)('%s: MySQL 8.0 named unicornhealth on gp3 with autoscaling, class from config', (name) => {
    const config = name === 'dev' ? dev : prod;
    expect(instance(name)).toMatchObject({
      engine: 'mysql',
      engine_version: '8.0',
      db_name: 'unicornhealth',
      instance_class: config.database.instanceClass,
      storage_type: 'gp3',
      allocated_storage: config.database.allocatedStorageGiB,
      max_allocated_storage: config.database.maxAllocatedStorageGiB,
      auto_minor_version_upgrade: true,
      copy_tags_to_snapshot: true,
      iam_database_authentication_enabled: true,
    });
    expect(instance('dev').instance_class).toBe('db.t4g.micro');
  });

  test.each(['dev', 'prod'] as const)('%s: private, encrypted with the database key, RDS-managed master password', (name) => {
    const db = instance(name);
    expect(db).toMatchObject({
      publicly_accessible: false,
      storage_encrypted: true,
      kms_key_id: dbKey(name),
      manage_master_user_password: true,
      master_user_secret_kms_key_id: dbKey(name),
    });
    expect(db).not.toHaveProperty('password');
    expect(db.db_subnet_group_name).toContain('aws_db_subnet_group');
  });

  test('the subnet group holds the private subnets only', () => {
    const group = stacks.dev.one('aws_db_subnet_group');
    expect(group.subnet_ids).toHaveLength(dev.network.availabilityZones.length);
    for (const id of group.subnet_ids) expect(id).toMatch(/aws_subnet\.network_private-/);
  });

  test.each(Object.entries(MYSQL_PARAMETERS))('the parameter group sets %s = %s', (parameter, value) => {
    const group = stacks.dev.one('aws_db_parameter_group');
    expect(group.family).toBe('mysql8.0');
    expect(group.parameter).toContainEqual(expect.objectContaining({ name: parameter, value }));
  });

  test('TLS is required and the binary log is what DMS reads', () => {
    expect(MYSQL_PARAMETERS).toMatchObject({
      require_secure_transport: '1',
      binlog_format: 'ROW',
      binlog_row_image: 'FULL',
      binlog_checksum: 'NONE',
    });
    expect(instance('dev').backup_retention_period).toBeGreaterThanOrEqual(7);
  });

  test('the audit plugin records connections and every DML including SELECT, exported to CloudWatch', () => {
    const options = stacks.dev.one('aws_db_option_group');
    expect(options).toMatchObject({ engine_name: 'mysql', major_engine_version: '8.0' });
    expect(options.option[0].option_name).toBe('MARIADB_AUDIT_PLUGIN');
    expect(options.option[0].option_settings).toContainEqual({
      name: 'SERVER_AUDIT_EVENTS',
      value: 'CONNECT,QUERY_DDL,QUERY_DCL,QUERY_DML',
    });
    expect(instance('dev').enabled_cloudwatch_logs_exports).toEqual(['error', 'slowquery', 'audit']);
  });

  test('MySQL 8.4 is one config line: its parameter family and option group, no paid Extended Support', () => {
    const next = synthesize(withConfig(dev, { database: { engineVersion: '8.4' } }));
    expect(next.one('aws_db_instance')).toMatchObject({
      engine_version: '8.4',
      engine_lifecycle_support: 'open-source-rds-extended-support-disabled',
    });
    expect(next.one('aws_db_parameter_group').family).toBe('mysql8.4');
    expect(next.one('aws_db_option_group').major_engine_version).toBe('8.4');
    expect(instance('dev').engine_lifecycle_support).toBe('open-source-rds-extended-support');
  });

  test('without the audit log there is no option group and no audit export', () => {
    const plain = synthesize(withConfig(dev, { database: { auditLog: false } }));
    expect(plain.all('aws_db_option_group')).toHaveLength(0);
    expect(plain.one('aws_db_instance').enabled_cloudwatch_logs_exports).toEqual(['error', 'slowquery']);
  });

  test.each(['error', 'slowquery', 'audit'])('the %s log group exists first, encrypted with the logs key and kept a year', (log) => {
    const group = stacks.dev.one('aws_cloudwatch_log_group', `database_log-${log}`);
    expect(group).toMatchObject({
      name: `/aws/rds/instance/unicornhealth-dev-mysql/${log}`,
      kms_key_id: ref('aws_kms_key', stacks.dev.idOf('aws_kms_key', 'logs-key'), 'arn'),
    });
    expect(group.retention_in_days).toBeGreaterThanOrEqual(365);
    expect(instance('dev').depends_on).toContain(
      `aws_cloudwatch_log_group.${stacks.dev.idOf('aws_cloudwatch_log_group', `database_log-${log}`)}`,
    );
  });

  test.each([
    ['db.t4g.micro', false],
    ['db.t3.small', false],
    ['db.t4g.medium', true],
    ['db.m7g.large', true],
  ])('Performance Insights on %s: %s', (instanceClass, supported) => {
    expect(supportsPerformanceInsights(instanceClass)).toBe(supported);
  });

  test('Performance Insights follows the class, encrypted with the database key', () => {
    expect(instance('dev').performance_insights_enabled).toBe(false);
    expect(instance('prod')).toMatchObject({ performance_insights_enabled: true, performance_insights_kms_key_id: dbKey('prod') });
  });

  test.each([
    ['multi_az', false, true],
    ['deletion_protection', false, true],
    ['skip_final_snapshot', true, false],
    ['delete_automated_backups', true, false],
  ])('%s differs: dev %s, prod %s', (attribute, devValue, prodValue) => {
    expect(instance('dev')[attribute]).toBe(devValue);
    expect(instance('prod')[attribute]).toBe(prodValue);
  });

  test('prod keeps a final snapshot under a stable name', () => {
    expect(instance('prod').final_snapshot_identifier).toBe('unicornhealth-prod-mysql-final');
    expect(instance('dev')).not.toHaveProperty('final_snapshot_identifier');
  });

  test('the database security group admits 3306 only from named client groups', () => {
    const mysqlGroup = ref('aws_security_group', stacks.prod.idOf('aws_security_group', 'database_mysql'), 'id');
    const ingress = stacks.prod.all('aws_vpc_security_group_ingress_rule').filter((r: Json) => r.security_group_id === mysqlGroup);
    expect(ingress.length).toBeGreaterThan(0);
    for (const rule of ingress) {
      expect(rule).toMatchObject({ from_port: 3306, to_port: 3306, ip_protocol: 'tcp' });
      expect(rule.referenced_security_group_id).toMatch(/aws_security_group\./);
    }
    expect(stacks.prod.all('aws_vpc_security_group_egress_rule').filter((r: Json) => r.security_group_id === mysqlGroup)).toEqual([]);
  });

  test('the TLS certificate authority is pinned for the seed loader to verify', () => {
    expect(instance('dev').ca_cert_identifier).toBe('rds-ca-rsa2048-g1');
  });
});
