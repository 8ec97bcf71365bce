import { prod } from '../../../config/environments';
import { CLINIC_TABLES } from '../../../contract/clinic';
import { SOURCE_SCHEMA } from '../../../contract/lake';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnotationMetadataEntryType, App } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ReadableStack } from '../../../stacks/core/readable-stack';
import { changeSequenceRules } from '../../../contract/merge';
import {
  MigrationProps,
  SOURCE_CA_BUNDLE_FILE,
  changeLogTableMappings,
  replicationTaskSettings,
  serverlessLogGroupName,
} from '../../../stacks/constructs/migration';
import {
  Json,
  SynthesizedStack,
  TEST_ENV,
  TEST_PREFIX,
  fromTestAccount,
  mysqlAndAwsApiTargets,
  serviceTrust,
  synthesizeWith,
  testMigration,
} from '../../helpers/synth';

describe('Migration (DMS)', () => {
  /** A retention no building block uses, so that the task log group shows it is the one passed in. */
  const logRetentionDays = 731;
  const build = (props: Partial<MigrationProps> = {}): SynthesizedStack =>
    synthesizeWith((scope) => testMigration(scope, { logRetentionDays, ...props }));
  const smallInstance = { kind: 'instance', replicationInstanceClass: 'dms.t3.micro', allocatedStorageGiB: 20, multiAz: false } as const;
  /** dev runs DMS Serverless; `instance` is dev's full load on a replication instance; prod captures changes on one. */
  const stacks = { dev: build(), instance: build({ capacity: smallInstance }), prod: build({ ...prod.migration }) };
  const stack = stacks.dev;
  const onInstance = stacks.instance;
  const key = (name: string): string => stack.ref('aws_kms_key', `${name}-key`, 'arn');
  const name = `${TEST_PREFIX}-dms`;
  const dmsResources = `arn:aws:dms:us-east-1:${TEST_ENV.accountId}:*`;

  test('the account-level DMS roles are the account baseline’s: the subnet group and instance neither create nor wait for them', () => {
    const roleNames = stack.all('aws_iam_role').map((role: Json) => role.name);
    expect(roleNames).not.toContain('dms-vpc-role');
    expect(roleNames).not.toContain('dms-cloudwatch-logs-role');
    expect(stack.all('aws_iam_role_policy_attachment')).toHaveLength(0);
    expect(stack.one('aws_dms_replication_subnet_group')).not.toHaveProperty('depends_on');
    expect(onInstance.one('aws_dms_replication_instance')).not.toHaveProperty('depends_on');
  });

  test.each([
    ['instance', 'dms.t3.micro', false, 20],
    ['prod', 'dms.t3.medium', true, 50],
  ] as const)(
    '%s: a private replication instance of class %s, Multi-AZ %s, %i GiB, encrypted, auto minor upgrades',
    (env, instanceClass, multiAz, storage) => {
      expect(stacks[env].one('aws_dms_replication_instance')).toMatchObject({
        replication_instance_id: name,
        replication_instance_class: instanceClass,
        allocated_storage: storage,
        multi_az: multiAz,
        publicly_accessible: false,
        auto_minor_version_upgrade: true,
        kms_key_arn: stacks[env].ref('aws_kms_key', 'database-key', 'arn'),
        vpc_security_group_ids: [stacks[env].ref('aws_security_group', 'migration_dms', 'id')],
      });
    },
  );

  test('the subnet group holds the network’s private subnets', () => {
    expect(stack.one('aws_dms_replication_subnet_group').subnet_ids).toEqual(
      ['us-east-1a', 'us-east-1b', 'us-east-1c'].map((az) => stack.ref('aws_subnet', `private-${az}`, 'id')),
    );
  });

  test('the MySQL source reads the source database over TLS that verifies the server, its credentials from a CMK-encrypted secret no value of which is in code', () => {
    const source = stack.one('aws_dms_endpoint');
    const secret = stack.ref('aws_secretsmanager_secret', 'source-secret', 'arn');
    expect(source).toEqual({
      endpoint_id: `${name}-mysql-source`,
      endpoint_type: 'source',
      engine_name: 'mysql',
      database_name: SOURCE_SCHEMA,
      secrets_manager_arn: secret,
      secrets_manager_access_role_arn: stack.ref('aws_iam_role', 'secret-access-role', 'arn'),
      // DMS's SSL table: `require` is not supported for MySQL; verify-full checks the CA and the host name.
      ssl_mode: 'verify-full',
      certificate_arn: stack.ref('aws_dms_certificate', 'source-ca', 'certificate_arn'),
      kms_key_arn: key('database'),
    });
    expect(stack.one('aws_secretsmanager_secret')).toMatchObject({
      name: `${TEST_PREFIX}/dms/source`,
      kms_key_id: key('database'),
      recovery_window_in_days: 30,
    });
    expect(stack.all('aws_secretsmanager_secret_version')).toHaveLength(0);
  });

  test('the CA bundle is read from beside the synthesized stack, imported under an id that changes with its content, replaced new-before-old', () => {
    const bundle = `join("/", [path.module, "${SOURCE_CA_BUNDLE_FILE}"])`;
    expect(stack.one('aws_dms_certificate', 'source-ca')).toEqual({
      certificate_id: `${name}-source-ca-\${substr(filesha256(${bundle}), 0, 12)}`,
      certificate_pem: `\${file(${bundle})}`,
      lifecycle: { create_before_destroy: true },
    });
  });

  test('a missing CA bundle synthesizes with a warning that says how to fetch it; a present one is copied beside the stack', () => {
    const synthIn = (outdir: string, sourceCaBundleFile: string): ReadableStack => {
      const app = new App({ outdir });
      const scope = new ReadableStack(app, 'test');
      new AwsProvider(scope, 'aws', { region: TEST_ENV.region });
      testMigration(scope, { sourceCaBundleFile });
      app.synth();
      return scope;
    };
    const warnings = (scope: ReadableStack): string[] =>
      scope.node
        .findAll()
        .flatMap((c) => c.node.metadata.filter((m) => m.type === String(AnnotationMetadataEntryType.WARN)).map((m) => String(m.data)));
    const scratch = mkdtempSync(join(tmpdir(), 'ca-bundle-'));
    try {
      const missing = synthIn(join(scratch, 'missing'), 'certs/not-downloaded-bundle.pem');
      expect(warnings(missing)).toEqual([
        expect.stringMatching(
          /^certs\/not-downloaded-bundle.pem is missing, .* terraform plan of it fails until it is: .*curl -fsSL https:\/\/truststore.pki.rds.amazonaws.com\/us-east-1\/us-east-1-bundle.pem -o certs\/not-downloaded-bundle.pem/,
        ),
      ]);
      const pem = join(scratch, 'bundle.pem');
      writeFileSync(pem, '-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n');
      const present = synthIn(join(scratch, 'present'), pem);
      expect(warnings(present)).toEqual([]);
      expect(readFileSync(join(scratch, 'present', 'stacks', 'test', SOURCE_CA_BUNDLE_FILE), 'utf8')).toBe(readFileSync(pem, 'utf8'));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test('the secret-access role trusts regional DMS of this account’s DMS resources, and reads that secret only', () => {
    expect(stack.serviceTrustOf('secret-access-role')).toEqual(
      serviceTrust(['dms.us-east-1.amazonaws.com'], fromTestAccount(dmsResources)),
    );
    const policy = stack.one('aws_iam_role_policy', 'secret-access').policy;
    expect(stack.statement(policy, 'ReadSourceSecret').resources).toEqual([stack.ref('aws_secretsmanager_secret', '', 'arn')]);
    expect(stack.statement(policy, 'DecryptSourceSecret')).toMatchObject({
      actions: ['kms:Decrypt'],
      resources: [key('database')],
      condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['secretsmanager.us-east-1.amazonaws.com'] }],
    });
  });

  test('the target is an aws_dms_s3_endpoint writing Parquet with SSE-KMS and millisecond timestamps into the raw zone', () => {
    expect(stack.one('aws_dms_s3_endpoint')).toMatchObject({
      endpoint_type: 'target',
      bucket_name: stack.ref('aws_s3_bucket', 'storage_lake_', 'bucket'),
      bucket_folder: 'raw',
      service_access_role_arn: stack.ref('aws_iam_role', 'target-role', 'arn'),
      data_format: 'parquet',
      parquet_version: 'parquet-2-0',
      encryption_mode: 'SSE_KMS',
      server_side_encryption_kms_key_id: key('lake'),
      parquet_timestamp_in_millisecond: true,
      depends_on: [`aws_iam_role.${stack.idOf('aws_iam_role', 'target-role')}`],
    });
    expect(stack.text).not.toContain('s3_settings');
  });

  test.each(['dev', 'prod'] as const)(
    '%s: the target writes a change log whatever the mode: the operation of every row, full load included, the commit time, a file a minute',
    (env) => {
      expect(stacks[env].one('aws_dms_s3_endpoint')).toMatchObject({
        include_op_for_full_load: true,
        timestamp_column_name: 'dms_commit_ts',
        cdc_max_batch_interval: 60,
      });
    },
  );

  test('the target role trusts DMS (both principals) of this account’s DMS resources, and may write the raw-zone prefix only', () => {
    expect(stack.serviceTrustOf('target-role')).toEqual(
      serviceTrust(['dms.amazonaws.com', 'dms.us-east-1.amazonaws.com'], fromTestAccount(dmsResources)),
    );
    const lake = stack.ref('aws_s3_bucket', 'storage_lake_', 'arn');
    const policy = stack.one('aws_iam_role_policy', 'target-policy').policy;
    // The S3 target prerequisites: put, delete and tag objects; no read (only S3 target validation reads, and it is off).
    expect(stack.statement(policy, 'WriteRawZone')).toMatchObject({
      actions: ['s3:PutObject', 's3:DeleteObject', 's3:PutObjectTagging'],
      resources: [`${lake}/raw/*`],
    });
    expect(stack.one('aws_iam_role', 'target-role').name).toBe(`${TEST_PREFIX}-dms-raw-zone-writer`);
    expect(stack.statement(policy, 'ListRawZone')).toMatchObject({
      resources: [lake],
      condition: [{ test: 'StringLike', variable: 's3:prefix', values: ['raw/*'] }],
    });
    expect(stack.statement(policy, 'EncryptWithLakeKey')).toMatchObject({
      resources: [key('lake')],
      condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.us-east-1.amazonaws.com'] }],
    });
  });

  test('dev: a DMS Serverless replication of the same endpoints, mappings and settings, not started by Terraform, no instance or task', () => {
    expect(stack.all('aws_dms_replication_instance')).toHaveLength(0);
    expect(stack.all('aws_dms_replication_task')).toHaveLength(0);
    const replication = stack.one('aws_dms_replication_config');
    expect(replication).toMatchObject({
      replication_config_identifier: `${name}-to-raw`,
      resource_identifier: `${name}-to-raw`,
      replication_type: 'full-load',
      start_replication: false,
      source_endpoint_arn: stack.ref('aws_dms_endpoint', '', 'endpoint_arn'),
      target_endpoint_arn: stack.ref('aws_dms_s3_endpoint', '', 'endpoint_arn'),
      compute_config: {
        replication_subnet_group_id: stack.ref('aws_dms_replication_subnet_group', '', 'replication_subnet_group_id'),
        vpc_security_group_ids: [stack.ref('aws_security_group', 'migration_dms', 'id')],
        kms_key_id: key('database'),
        min_capacity_units: 1,
        max_capacity_units: 1,
        multi_az: false,
      },
    });
    expect(JSON.parse(replication.table_mappings)).toEqual(changeLogTableMappings(CLINIC_TABLES, SOURCE_SCHEMA));
    expect(JSON.parse(replication.replication_settings)).toEqual(replicationTaskSettings('full-load'));
  });

  test('the serverless replication logs to a log group created first with the logs key and retention, under the name DMS gives it', () => {
    expect(stack.one('aws_cloudwatch_log_group', 'replication-logs')).toEqual({
      name: serverlessLogGroupName(`${name}-to-raw`),
      kms_key_id: key('logs'),
      retention_in_days: logRetentionDays,
    });
    expect(stack.one('aws_dms_replication_config').depends_on).toEqual([
      `aws_cloudwatch_log_group.${stack.idOf('aws_cloudwatch_log_group', 'replication-logs')}`,
    ]);
    expect(stack.all('aws_cloudwatch_log_group').map((g: Json) => g.name)).not.toContain(`dms-tasks-${name}`);
  });

  test('the task mappings select exactly the contract tables of the source schema by default', () => {
    const mappings = JSON.parse(onInstance.one('aws_dms_replication_task').table_mappings);
    const selection = mappings.rules.filter((r: Json) => r['rule-type'] === 'selection');
    expect(selection.map((r: Json) => r['object-locator'])).toEqual(
      CLINIC_TABLES.map((t) => ({ 'schema-name': SOURCE_SCHEMA, 'table-name': t.name })),
    );
    expect(selection.every((r: Json) => r['rule-action'] === 'include')).toBe(true);
  });

  test('after the selection rules, each table gets the change sequence as a column ($AR_H_CHANGE_SEQ), numbered on', () => {
    const mappings = JSON.parse(onInstance.one('aws_dms_replication_task').table_mappings);
    expect(mappings).toEqual(changeLogTableMappings(CLINIC_TABLES, SOURCE_SCHEMA));
    expect(mappings.rules.slice(CLINIC_TABLES.length)).toEqual(changeSequenceRules(CLINIC_TABLES, SOURCE_SCHEMA, CLINIC_TABLES.length + 1));
    expect(mappings.rules.map((r: Json) => Number(r['rule-id']))).toEqual(
      CLINIC_TABLES.flatMap((_t, i) => [i + 1, i + 1 + CLINIC_TABLES.length]).sort((a, b) => a - b),
    );
    expect(
      mappings.rules
        .slice(CLINIC_TABLES.length)
        .map((r: Json) => [r['object-locator']['table-name'], r['rule-action'], r.value, r.expression]),
    ).toEqual(CLINIC_TABLES.map((t) => [t.name, 'add-column', 'dms_change_seq', '$AR_H_CHANGE_SEQ']));
  });

  test('the tables are an option', () => {
    const mappings = JSON.parse(build({ tables: CLINIC_TABLES.slice(0, 2) }).one('aws_dms_replication_config').table_mappings);
    expect(mappings.rules.map((r: Json) => [r['rule-type'], r['object-locator']['table-name']])).toEqual([
      ['selection', 'insurance'],
      ['selection', 'employee'],
      ['transformation', 'insurance'],
      ['transformation', 'employee'],
    ]);
  });

  test.each([
    ['instance', 'full-load'],
    ['prod', 'full-load-and-cdc'],
  ] as const)('%s: the task runs %s between the endpoints, is not started by Terraform, and logs', (env, mode) => {
    const synthesized = stacks[env];
    const task = synthesized.one('aws_dms_replication_task');
    expect(task).toMatchObject({
      replication_task_id: `${name}-${SOURCE_SCHEMA}-to-raw`,
      migration_type: mode,
      start_replication_task: false,
      replication_instance_arn: synthesized.ref('aws_dms_replication_instance', '', 'replication_instance_arn'),
      source_endpoint_arn: synthesized.ref('aws_dms_endpoint', '', 'endpoint_arn'),
      target_endpoint_arn: synthesized.ref('aws_dms_s3_endpoint', '', 'endpoint_arn'),
    });
    expect(JSON.parse(task.replication_task_settings)).toEqual(replicationTaskSettings(mode));
  });

  test('the mode defaults to a full load', () => {
    expect(build({ mode: undefined }).one('aws_dms_replication_config').replication_type).toBe('full-load');
  });

  test.each([
    ['full-load', ['SOURCE_UNLOAD', 'TARGET_LOAD', 'TASK_MANAGER']],
    ['full-load-and-cdc', ['SOURCE_UNLOAD', 'TARGET_LOAD', 'TASK_MANAGER', 'SOURCE_CAPTURE', 'TARGET_APPLY']],
  ] as const)('%s task settings do not validate into S3, suspend failing tables rather than skip rows, and log %j', (mode, components) => {
    const settings: Json = replicationTaskSettings(mode);
    expect(settings.Logging.LogComponents.map((c: Json) => c.Id)).toEqual(components);
    // S3 target validation runs Athena and fails under Lake Formation; the smoke checks reconcile every table instead.
    expect(settings.ValidationSettings).toEqual({ EnableValidation: false });
    expect(settings.ErrorBehavior).toMatchObject({
      DataErrorPolicy: 'LOG_ERROR',
      TableErrorPolicy: 'SUSPEND_TABLE',
      TableErrorEscalationPolicy: 'STOP_TASK',
      FailOnNoTablesCaptured: true,
    });
  });

  test('the task log group is pre-created with the logs key and retention', () => {
    expect(onInstance.one('aws_cloudwatch_log_group', 'task-logs')).toEqual({
      name: `dms-tasks-${name}`,
      kms_key_id: onInstance.ref('aws_kms_key', 'logs-key', 'arn'),
      retention_in_days: logRetentionDays,
    });
  });

  test('DMS reaches MySQL on 3306, the endpoints on 443 and S3 through its prefix list, nothing else; MySQL admits it', () => {
    expect(stack.egressTargets(stack.ref('aws_security_group', 'migration_dms', 'id'))).toEqual(mysqlAndAwsApiTargets(stack));
    expect(stack.one('aws_vpc_security_group_ingress_rule', 'mysql_from-dms-3306').description).toBe(
      `DMS full load and change capture (from ${name})`,
    );
  });
});
