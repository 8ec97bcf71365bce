import { dev, prod } from '../../../config/environments';
import { SOURCE_SCHEMA } from '../../../contract/lake';
import { AUDIT_EVENTS, Database, DatabaseProps, MYSQL_PARAMETERS, supportsPerformanceInsights } from '../../../stacks/constructs/database';
import { ServiceSecurityGroup } from '../../../stacks/constructs/service-security-group';
import { Json, SynthesizedStack, TEST_PREFIX, synthesizeWith, testKey, testNetwork } from '../../helpers/synth';

describe('Database', () => {
  /** The database with one client allowed in, as the platform's DMS and access host are. */
  const build = (props: Partial<DatabaseProps> = {}): SynthesizedStack =>
    synthesizeWith((scope) => {
      const network = testNetwork(scope);
      const database = new Database(scope, 'database', {
        ...dev.database,
        namePrefix: TEST_PREFIX,
        network,
        databaseKey: testKey(scope, 'database'),
        logsKey: testKey(scope, 'logs'),
        logRetentionDays: 731,
        ...props,
      });
      const client = new ServiceSecurityGroup(scope, 'client', { vpc: network.vpc, name: 'uh-test-client', description: 'Client' });
      database.allowMysqlFrom(client, 'Reads the clinic tables');
    });
  const stacks = { dev: build(), prod: build({ ...prod.database }) };
  const stack = stacks.dev;
  const instance = (synthesized: SynthesizedStack): Json => synthesized.one('aws_db_instance');
  const key = (synthesized: SynthesizedStack, name: string): string => synthesized.ref('aws_kms_key', `${name}-key`, 'arn');

  test.each([
    ['dev', stacks.dev, dev.database],
    ['prod', stacks.prod, prod.database],
  ] as const)(
    '%s: MySQL named after the contract schema, on gp3 with autoscaling, class and storage from config',
    (_name, synthesized, config) => {
      expect(instance(synthesized)).toMatchObject({
        identifier: `${TEST_PREFIX}-mysql`,
        engine: 'mysql',
        engine_version: '8.4',
        db_name: SOURCE_SCHEMA,
        username: 'clinic_admin',
        port: 3306,
        instance_class: config.instanceClass,
        storage_type: 'gp3',
        allocated_storage: config.allocatedStorageGiB,
        max_allocated_storage: config.maxAllocatedStorageGiB,
        backup_retention_period: config.backupRetentionDays,
        auto_minor_version_upgrade: true,
        copy_tags_to_snapshot: true,
        iam_database_authentication_enabled: true,
        ca_cert_identifier: 'rds-ca-rsa2048-g1',
      });
    },
  );

  test('private, encrypted with the database key, with the master password managed by RDS under that key', () => {
    const db = instance(stack);
    expect(db).toMatchObject({
      publicly_accessible: false,
      storage_encrypted: true,
      kms_key_id: key(stack, 'database'),
      manage_master_user_password: true,
      master_user_secret_kms_key_id: key(stack, 'database'),
      db_subnet_group_name: stack.ref('aws_db_subnet_group', '', 'name'),
      vpc_security_group_ids: [stack.ref('aws_security_group', 'database_mysql', 'id')],
    });
    expect(db).not.toHaveProperty('password');
  });

  test('the subnet group holds the network’s private subnets', () => {
    expect(stack.one('aws_db_subnet_group').subnet_ids).toEqual(
      ['us-east-1a', 'us-east-1b', 'us-east-1c'].map((az) => stack.ref('aws_subnet', `private-${az}`, 'id')),
    );
  });

  test.each(Object.entries(MYSQL_PARAMETERS))('the parameter group sets %s = %s, applied immediately', (parameter, value) => {
    const group = stack.one('aws_db_parameter_group');
    expect(group.family).toBe('mysql8.4');
    expect(group.parameter).toContainEqual({ name: parameter, value, apply_method: 'immediate' });
  });

  test('TLS is required and the binary log is what DMS reads', () => {
    expect(MYSQL_PARAMETERS).toMatchObject({
      require_secure_transport: '1',
      binlog_format: 'ROW',
      binlog_row_image: 'FULL',
      binlog_checksum: 'NONE',
    });
  });

  test('the audit plugin records connections and every DML including SELECT, exported to CloudWatch', () => {
    const options = stack.one('aws_db_option_group');
    expect(options).toMatchObject({ engine_name: 'mysql', major_engine_version: '8.4' });
    expect(options.option).toEqual([
      {
        option_name: 'MARIADB_AUDIT_PLUGIN',
        option_settings: [
          { name: 'SERVER_AUDIT_EVENTS', value: AUDIT_EVENTS },
          { name: 'SERVER_AUDIT_EXCL_USERS', value: 'rdsadmin' },
        ],
      },
    ]);
    expect(AUDIT_EVENTS).toBe('CONNECT,QUERY_DDL,QUERY_DCL,QUERY_DML');
    expect(instance(stack)).toMatchObject({
      option_group_name: stack.ref('aws_db_option_group', '', 'name'),
      enabled_cloudwatch_logs_exports: ['error', 'slowquery', 'audit'],
    });
  });

  test('the engine version defaults to 8.4 in standard support; 8.0 is an option with paid Extended Support stated, its family and option group', () => {
    const byDefault = build({ engineVersion: undefined });
    expect(instance(byDefault)).toMatchObject({
      engine_version: '8.4',
      engine_lifecycle_support: 'open-source-rds-extended-support-disabled',
    });
    expect(byDefault.one('aws_db_parameter_group')).toMatchObject({ family: 'mysql8.4', name: `${TEST_PREFIX}-mysql-mysql8-4` });
    const previous = build({ engineVersion: '8.0' });
    expect(instance(previous)).toMatchObject({ engine_version: '8.0', engine_lifecycle_support: 'open-source-rds-extended-support' });
    expect(previous.one('aws_db_parameter_group')).toMatchObject({ family: 'mysql8.0', name: `${TEST_PREFIX}-mysql-mysql8-0` });
    expect(previous.one('aws_db_option_group')).toMatchObject({ major_engine_version: '8.0', name: `${TEST_PREFIX}-mysql-audit-mysql8-0` });
  });

  test('without the audit log there is no option group, no audit export and no audit log group', () => {
    const plain = build({ auditLog: false });
    expect(plain.all('aws_db_option_group')).toHaveLength(0);
    expect(instance(plain).enabled_cloudwatch_logs_exports).toEqual(['error', 'slowquery']);
    expect(Object.keys(plain.resources('aws_cloudwatch_log_group')).some((id) => id.includes('log-audit'))).toBe(false);
  });

  test.each(['error', 'slowquery', 'audit'])('the %s log group exists first, encrypted with the logs key and kept as configured', (log) => {
    expect(stack.one('aws_cloudwatch_log_group', `database_log-${log}`)).toEqual({
      name: `/aws/rds/instance/${TEST_PREFIX}-mysql/${log}`,
      kms_key_id: key(stack, 'logs'),
      retention_in_days: 731,
    });
    expect(instance(stack).depends_on).toContain(
      `aws_cloudwatch_log_group.${stack.idOf('aws_cloudwatch_log_group', `database_log-${log}`)}`,
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
    expect(instance(stacks.dev).performance_insights_enabled).toBe(false);
    expect(instance(stacks.dev)).not.toHaveProperty('performance_insights_kms_key_id');
    expect(instance(stacks.prod)).toMatchObject({
      performance_insights_enabled: true,
      performance_insights_kms_key_id: key(stacks.prod, 'database'),
      performance_insights_retention_period: 7,
    });
  });

  test.each([
    ['multi_az', false, true],
    ['deletion_protection', false, true],
    ['skip_final_snapshot', true, false],
    ['delete_automated_backups', true, false],
  ])('%s follows the config: dev %s, prod %s', (attribute, devValue, prodValue) => {
    expect(instance(stacks.dev)[attribute]).toBe(devValue);
    expect(instance(stacks.prod)[attribute]).toBe(prodValue);
  });

  test('keeping the final snapshot names it stably', () => {
    expect(instance(stacks.prod).final_snapshot_identifier).toBe(`${TEST_PREFIX}-mysql-final`);
    expect(instance(stacks.dev)).not.toHaveProperty('final_snapshot_identifier');
  });

  test('the master user and the certificate authority are options', () => {
    expect(instance(build({ masterUsername: 'owner', caCertIdentifier: 'rds-ca-ecc384-g1' }))).toMatchObject({
      username: 'owner',
      ca_cert_identifier: 'rds-ca-ecc384-g1',
    });
  });

  test('the database group admits 3306 only from the clients allowed in, and has no egress', () => {
    const mysql = stack.ref('aws_security_group', 'database_mysql', 'id');
    expect(stack.ingressOf(mysql)).toEqual([
      {
        security_group_id: mysql,
        referenced_security_group_id: stack.ref('aws_security_group', 'client', 'id'),
        ip_protocol: 'tcp',
        from_port: 3306,
        to_port: 3306,
        description: 'Reads the clinic tables (from uh-test-client)',
      },
    ]);
    expect(stack.egressOf(mysql)).toEqual([]);
  });
});
