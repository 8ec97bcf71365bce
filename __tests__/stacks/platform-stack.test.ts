import { dev, prod } from '../../config/environments';
import { ConfigError } from '../../config/validate';
import { CLINIC_TABLES, isSeeded } from '../../contract/clinic';
import { SOURCE_SCHEMA } from '../../contract/lake';
import { stackName } from '../../stacks/platform-stack';
import { interfaceEndpointServices } from '../../stacks/core/interface-endpoints';
import {
  Json,
  SynthesizedStack,
  contractWithPatientSsn,
  patientGlueColumns,
  synthesize,
  withConfig,
  governedGrants,
  smokeRunnerPatientColumns,
} from '../helpers/synth';

describe('PlatformStack', () => {
  const stacks = { dev: synthesize(dev), prod: synthesize(prod) };
  const configs = { dev, prod };
  const environments = ['dev', 'prod'] as const;
  const key = (stack: SynthesizedStack, name: string): string => stack.ref('aws_kms_key', `${name}-key`, 'arn');
  const keyPolicy = (stack: SynthesizedStack, name: string): Json => stack.policyBehind(stack.one('aws_kms_key', `${name}-key`).policy);

  test.each(environments)('%s: the stack is named after project and environment', (name) => {
    expect(stackName(configs[name])).toBe(`unicornhealth-${name}`);
    expect(stacks[name].stack.node.id).toBe(`unicornhealth-${name}`);
  });

  test.each(environments)('%s: the provider is pinned to its region and account, with default tags', (name) => {
    const { json } = stacks[name];
    const config = configs[name];
    expect(json.provider.aws).toEqual([
      expect.objectContaining({
        region: config.region,
        allowed_account_ids: [config.accountId],
        default_tags: [{ tags: expect.objectContaining({ Environment: name, DataClassification: 'PHI' }) }],
      }),
    ]);
    expect(json.provider.aws[0]).not.toHaveProperty('access_key');
    expect(json.provider.aws[0]).not.toHaveProperty('secret_key');
    expect(json.terraform.required_providers.aws.version).toBe('5.100.0');
  });

  test.each(environments)('%s: state lives in S3, encrypted, one key per environment, native lock file', (name) => {
    expect(stacks[name].json.terraform.backend).toEqual({
      s3: {
        bucket: `unicornhealth-tfstate-${configs[name].accountId}`,
        key: `unicornhealth/${name}/terraform.tfstate`,
        region: 'us-east-1',
        encrypt: true,
        use_lockfile: true,
      },
    });
    expect(stacks[name].text).not.toContain('dynamodb_table');
  });

  test('an environment without a state bucket uses a local backend', () => {
    const local = synthesize({ ...dev, name: 'sandbox', stateBackend: undefined });
    expect(local.json.terraform.backend).toEqual({ local: { path: 'terraform.unicornhealth-sandbox.tfstate' } });
  });

  test('an invalid environment fails the synth with the list of problems', () => {
    expect(() => synthesize(withConfig(dev, { network: { availabilityZones: ['us-east-1a'] } }))).toThrow(ConfigError);
  });

  test.each(environments)('%s: the only data sources are local policy documents (nothing calls AWS at plan time)', (name) => {
    expect(Object.keys(stacks[name].json.data)).toEqual(['aws_iam_policy_document']);
  });

  test.each(environments)('%s: no password, key material or machine path in the synthesized JSON', (name) => {
    const { text } = stacks[name];
    expect(text).not.toMatch(/"(master_)?password"\s*:/);
    expect(text).not.toMatch(/AKIA[0-9A-Z]{16}/);
    expect(text).not.toMatch(/"\/(opt|work|root|tmp)\//);
  });

  test.each([
    ['lake', ['s3', 'glue', 'athena']],
    ['database', ['rds', 'secretsmanager', 'ec2', 'dms', 'redshift-serverless']],
  ])('the %s key may be used only through %j', (name, services) => {
    const use = keyPolicy(stacks.dev, name).statement.find((s: Json) => s.sid === 'UseThroughNamedServices');
    expect(use.condition).toContainEqual({
      test: 'StringEquals',
      variable: 'kms:ViaService',
      values: services.map((s) => `${s}.us-east-1.amazonaws.com`),
    });
    expect(stacks.dev.one('aws_kms_alias', `${name}-key`).name).toBe(`alias/unicornhealth-dev-${name}`);
  });

  test('the logs key serves this account’s CloudWatch log groups and the alert publishers, and no service through IAM', () => {
    const statements = keyPolicy(stacks.dev, 'logs').statement;
    expect(statements.map((s: Json) => s.sid)).toEqual([
      'AccountAdministersKeyThroughIam',
      'CloudWatchLogsOfThisAccount',
      'AlertPublishersOfThisAccount',
    ]);
    expect(statements[1]).toMatchObject({
      principals: [{ type: 'Service', identifiers: ['logs.us-east-1.amazonaws.com'] }],
      condition: [
        {
          test: 'ArnLike',
          variable: 'kms:EncryptionContext:aws:logs:arn',
          values: [`arn:aws:logs:us-east-1:${dev.accountId}:log-group:*`],
        },
      ],
    });
    expect(statements[2]).toMatchObject({
      principals: [
        {
          type: 'Service',
          identifiers: ['events.amazonaws.com', 'cloudwatch.amazonaws.com', 'dms.amazonaws.com', 'budgets.amazonaws.com'],
        },
      ],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [dev.accountId] }],
    });
  });

  test('the lake key encrypts the lake and results buckets, the DMS target, the crawler output and Athena', () => {
    const stack = stacks.dev;
    const lake = key(stack, 'lake');
    for (const bucket of ['storage_lake_', 'athena-results']) {
      expect(
        stack.one('aws_s3_bucket_server_side_encryption_configuration', bucket).rule[0].apply_server_side_encryption_by_default
          .kms_master_key_id,
      ).toBe(lake);
    }
    expect(stack.one('aws_dms_s3_endpoint').server_side_encryption_kms_key_id).toBe(lake);
    expect(stack.one('aws_glue_security_configuration').encryption_configuration.s3_encryption.kms_key_arn).toBe(lake);
    for (const workgroup of stack.all('aws_athena_workgroup')) {
      expect(workgroup.configuration.result_configuration.encryption_configuration.kms_key_arn).toBe(lake);
    }
  });

  test('the database key encrypts RDS, its secret, DMS, Redshift and the access host’s volume', () => {
    const stack = stacks.prod;
    const database = key(stack, 'database');
    expect(stack.one('aws_db_instance')).toMatchObject({
      kms_key_id: database,
      master_user_secret_kms_key_id: database,
      performance_insights_kms_key_id: database,
    });
    expect(stack.one('aws_dms_replication_instance').kms_key_arn).toBe(database);
    expect(stack.one('aws_secretsmanager_secret').kms_key_id).toBe(database);
    expect(stack.one('aws_redshiftserverless_namespace').kms_key_id).toBe(database);
    expect(stack.one('aws_launch_template').block_device_mappings[0].ebs.kms_key_id).toBe(database);
  });

  test.each(environments)(
    '%s: the logs key encrypts every log group and the alerts topic, and every group keeps logRetentionDays',
    (name) => {
      const stack = stacks[name];
      const logs = key(stack, 'logs');
      for (const group of stack.all('aws_cloudwatch_log_group')) {
        expect(group).toMatchObject({ kms_key_id: logs, retention_in_days: configs[name].logRetentionDays });
      }
      // Flow logs, three RDS logs, the DMS task, and the two state machines.
      expect(stack.all('aws_cloudwatch_log_group')).toHaveLength(7);
      expect(stack.one('aws_sns_topic').kms_master_key_id).toBe(logs);
      expect(stack.one('aws_glue_security_configuration').encryption_configuration.cloudwatch_encryption.kms_key_arn).toBe(logs);
    },
  );

  test('the lake bucket is what DMS writes, the catalog describes and Lake Formation governs; results go to the results bucket', () => {
    const stack = stacks.dev;
    const lake = stack.ref('aws_s3_bucket', 'storage_lake_', 'bucket');
    expect(stack.one('aws_dms_s3_endpoint')).toMatchObject({ bucket_name: lake, bucket_folder: 'raw' });
    expect(stack.one('aws_lakeformation_resource', 'governance_lake-location').arn).toBe(
      `${stack.ref('aws_s3_bucket', 'storage_lake_', 'arn')}/raw`,
    );
    expect(stack.one('aws_lakeformation_resource', 'current-state-location').arn).toBe(
      `${stack.ref('aws_s3_bucket', 'storage_lake_', 'arn')}/current`,
    );
    // The change log where DMS writes it, the current state beside it.
    expect(stack.one('aws_glue_catalog_table', 'change-log-patient').storage_descriptor.location).toBe(
      `s3://${lake}/raw/${SOURCE_SCHEMA}/patient/`,
    );
    expect(stack.one('aws_glue_catalog_table', 'current-state_table-patient').storage_descriptor.location).toBe(
      `s3://${lake}/current/patient/`,
    );
    expect(stack.outputs().athena_results_location.value).toBe(`s3://${stack.ref('aws_s3_bucket', 'athena-results', 'bucket')}/athena/`);
  });

  test('one schema name: the RDS database, the DMS source and the raw-zone folders are the contract’s', () => {
    const stack = stacks.dev;
    expect(stack.one('aws_db_instance').db_name).toBe(SOURCE_SCHEMA);
    expect(stack.one('aws_dms_endpoint').database_name).toBe(SOURCE_SCHEMA);
    expect(stack.outputs().rds_database_name.value).toBe(SOURCE_SCHEMA);
  });

  test('the crawler is granted every change-log table, the readers every current-state table, each against its own Glue table', () => {
    const stack = stacks.dev;
    const principals = {
      crawler: ['crawler-role', 'change-log'],
      analyst: ['analyst-role', 'current-state_table'],
      redshift: ['spectrum-role', 'current-state_table'],
      'smoke-runner': ['smoke-runner-role', 'current-state_table'],
    };
    for (const [grantee, [role, glueTable]] of Object.entries(principals)) {
      // Analysts and Redshift have no grant on the smoke probe (READABLE_COLUMNS gives them none of it).
      const tables = grantee === 'analyst' || grantee === 'redshift' ? CLINIC_TABLES.filter(isSeeded) : CLINIC_TABLES;
      for (const table of tables) {
        const grant = stack.one('aws_lakeformation_permissions', `${grantee}-table-${table.name}`);
        expect(grant.principal).toBe(stack.ref('aws_iam_role', role, 'arn'));
        expect((grant.table ?? grant.table_with_columns).name).toBe(
          stack.ref('aws_glue_catalog_table', `${glueTable}-${table.name}`, 'name'),
        );
      }
    }
  });

  test.each(environments)('%s: the change log is granted to the crawler, the merge and the environment’s lake-admin role only', (name) => {
    const stack = stacks[name];
    const changes = stack.ref('aws_glue_catalog_database', 'changes-database', 'name');
    const onChangeLog = stack
      .all('aws_lakeformation_permissions')
      .filter((g: Json) => (g.database?.name ?? g.table?.database_name ?? g.table_with_columns?.database_name) === changes);
    expect(new Set(onChangeLog.map((g: Json) => g.principal))).toEqual(
      new Set([
        stack.ref('aws_iam_role', 'crawler-role', 'arn'),
        stack.ref('aws_iam_role', 'merge-role', 'arn'),
        `arn:aws:iam::${configs[name].accountId}:role/unicornhealth-${name}-lake-admin`,
      ]),
    );
  });

  test.each(environments)('%s: the merge is scheduled from config, its schedules wait for every grant, and it is watched', (name) => {
    const stack = stacks[name];
    const config = configs[name];
    expect(stack.one('aws_scheduler_schedule', 'merge-schedules_merge-schedule').schedule_expression).toBe(config.lake.merge.schedule);
    expect(stack.one('aws_scheduler_schedule', 'maintenance-schedule').schedule_expression).toBe(config.lake.merge.maintenanceSchedule);
    // dev loads in full only: its change log is the last full load, which every merge rebuilds the current state from.
    expect(stack.one('aws_scheduler_schedule', 'merge-schedules_merge-schedule').target.input).toBe(
      config.migration.mode === 'full-load' ? '{"rebuild":true}' : '{}',
    );
    // The state machines' grants come first in the chain; the schedules wait for the last of them.
    const grants = stack.resources('aws_lakeformation_permissions');
    const grantsIn = (dependsOn: string[]): string[] =>
      dependsOn.filter((d) => d.startsWith('aws_lakeformation_permissions.')).map((d) => d.split('.')[1]);
    const earlier = (id: string): string[] => grantsIn(grants[id].depends_on).flatMap((before) => [before, ...earlier(before)]);
    const stateMachineGrants = Object.keys(grants).filter((id) => /_(merge|maintenance)-/.test(id));
    for (const schedule of stack.all('aws_scheduler_schedule')) {
      const waitsFor = grantsIn(schedule.depends_on);
      expect(waitsFor).toEqual(['governance_maintenance-current-location']);
      expect([...waitsFor, ...earlier(waitsFor[0])].sort()).toEqual(stateMachineGrants.sort());
    }
    expect(stack.one('aws_athena_workgroup', 'merge_athena-workgroup').configuration.bytes_scanned_cutoff_per_query).toBe(
      config.lake.merge.bytesScannedCutoffPerQuery,
    );
    expect(
      stack
        .all('aws_cloudwatch_metric_alarm')
        .filter((a: Json) => a.namespace === 'AWS/States')
        .map((a: Json) => [a.metric_name, a.dimensions.StateMachineArn]),
    ).toEqual([
      ['ExecutionsFailed', stack.ref('aws_sfn_state_machine', 'maintenance-state-machine', 'arn')],
      ['ExecutionsFailed', stack.ref('aws_sfn_state_machine', 'merge-state-machine', 'arn')],
      ['ExecutionsSucceeded', stack.ref('aws_sfn_state_machine', 'merge-state-machine', 'arn')],
    ]);
  });

  test.each(environments)(
    '%s: nothing account-wide is in the stack, so nothing waits for it; the grants wait for the registration',
    (name) => {
      const stack = stacks[name];
      for (const type of ['aws_lakeformation_data_lake_settings', 'aws_glue_data_catalog_encryption_settings', 'aws_iam_group']) {
        expect(stack.all(type)).toHaveLength(0);
      }
      for (const database of stack.all('aws_glue_catalog_database')) expect(database).not.toHaveProperty('depends_on');
      expect(stack.one('aws_dms_replication_subnet_group')).not.toHaveProperty('depends_on');
      const registrations = Object.keys(stack.resources('aws_lakeformation_resource')).map((id) => `aws_lakeformation_resource.${id}`);
      for (const grant of stack.all('aws_lakeformation_permissions'))
        expect(grant.depends_on.slice(0, 2).sort()).toEqual(registrations.sort());
    },
  );

  test('the access host, its Session Manager endpoints and the CDC alarm follow the environment’s config', () => {
    const endpoints = (stack: SynthesizedStack): string[] =>
      stack
        .all('aws_vpc_endpoint')
        .map((e: Json) => e.service_name.split('.').pop())
        .sort();
    // Only what the services in the VPC call: DMS Secrets Manager, Redshift Glue and Lake Formation, the host SSM.
    expect(endpoints(stacks.prod)).toEqual(['glue', 'lakeformation', 's3', 'secretsmanager', 'ssm', 'ssmmessages']);
    expect(endpoints(stacks.dev)).toEqual(['s3', ...interfaceEndpointServices(dev)].sort());
    // Both have the host: the release reaches every environment's database through a port forward through it.
    for (const stack of [stacks.dev, stacks.prod])
      expect(stack.outputs().access_host_instance_id.value).toBe(stack.ref('aws_instance', '', 'id'));
    const withoutHost = synthesize(withConfig(dev, { network: { accessHost: { enabled: false } } }));
    expect(withoutHost.all('aws_instance')).toHaveLength(0);
    expect(withoutHost.outputs().access_host_instance_id.value).toBe('');
    expect(endpoints(withoutHost)).not.toContain('ssm');
    expect(stacks.dev.all('aws_cloudwatch_metric_alarm').filter((a: Json) => a.namespace === 'AWS/DMS')).toHaveLength(0);
    expect(stacks.prod.one('aws_cloudwatch_metric_alarm', 'cdc-latency').threshold).toBe(prod.migration.cdcLatencyAlarmSeconds);
  });

  test.each(environments)('%s: sizes, protections and budgets come from the config', (name) => {
    const stack = stacks[name];
    const config = configs[name];
    expect(stack.one('aws_db_instance')).toMatchObject({
      instance_class: config.database.instanceClass,
      deletion_protection: config.database.deletionProtection,
    });
    const { capacity } = config.migration;
    if (capacity.kind === 'instance') {
      expect(stack.one('aws_dms_replication_instance').replication_instance_class).toBe(capacity.replicationInstanceClass);
      expect(stack.one('aws_dms_replication_task').migration_type).toBe(config.migration.mode);
    } else {
      expect(stack.one('aws_dms_replication_config')).toMatchObject({
        replication_type: config.migration.mode,
        compute_config: { max_capacity_units: capacity.maxCapacityUnits, min_capacity_units: capacity.minCapacityUnits },
      });
    }
    expect(
      stack
        .all('aws_vpc_endpoint')
        .filter((e: Json) => e.vpc_endpoint_type === 'Interface')
        .map((e: Json) => [e.service_name.split('.').pop(), e.subnet_ids.length])
        .sort(),
    ).toEqual(
      interfaceEndpointServices(config)
        .map((service) => [service, config.network.interfaceEndpointAzCount])
        .sort(),
    );
    expect(stack.one('aws_redshiftserverless_workgroup').max_capacity).toBe(config.warehouse.maxRpu);
    expect(stack.one('aws_athena_workgroup', 'catalog_workgroup').configuration.bytes_scanned_cutoff_per_query).toBe(
      config.analytics.bytesScannedCutoffPerQuery,
    );
    expect(stack.one('aws_budgets_budget').limit_amount).toBe(config.monthlyBudgetUsd.toFixed(2));
    for (const bucket of stack.all('aws_s3_bucket')) expect(bucket.force_destroy).toBe(config.storage.forceDestroyBuckets);
    expect(stack.all('aws_sns_topic_subscription').map((s: Json) => s.endpoint)).toEqual(config.alertEmails);
  });

  test.each(environments)(
    '%s: every security-group rule has a description, names a group or prefix list, and never an open range',
    (name) => {
      const stack = stacks[name];
      const rules = [...stack.all('aws_vpc_security_group_ingress_rule'), ...stack.all('aws_vpc_security_group_egress_rule')];
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(rule.description).toMatch(/\w{4,}/);
        expect(rule.referenced_security_group_id ?? rule.prefix_list_id).toBeDefined();
        expect(rule).not.toHaveProperty('cidr_ipv4');
        expect(rule).not.toHaveProperty('cidr_ipv6');
      }
      expect(stack.text).not.toMatch(/"0\.0\.0\.0\/0"[\s\S]{0,200}ingress|::\/0/);
      for (const group of stack.all('aws_security_group')) {
        expect(group).not.toHaveProperty('ingress');
        expect(group).not.toHaveProperty('egress');
      }
    },
  );

  test('a change of the contract flows through: a new direct identifier reaches the catalog, and no reader or DMS mapping changes', () => {
    const changed = synthesize(dev, contractWithPatientSsn());
    const [before, after] = [patientGlueColumns(stacks.dev), patientGlueColumns(changed)];
    expect(after.changeLog).toEqual([...before.changeLog, 'ssn']);
    expect(after.current).toEqual([...before.current.slice(0, -1), 'ssn', 'last_change_seq']);
    expect(governedGrants(changed)).toEqual(governedGrants(stacks.dev));
    expect(smokeRunnerPatientColumns(changed)).toEqual([...smokeRunnerPatientColumns(stacks.dev), 'ssn']);
    expect(changed.one('aws_dms_replication_config').table_mappings).toEqual(stacks.dev.one('aws_dms_replication_config').table_mappings);
  });

  test.each([
    'region',
    'rds_endpoint',
    'rds_port',
    'rds_database_name',
    'rds_instance_id',
    'rds_master_secret_arn',
    'rds_ca_cert_identifier',
    'lake_bucket_name',
    'raw_zone_prefix',
    'athena_results_bucket_name',
    'access_log_bucket_name',
    'vpc_id',
    'private_subnet_ids',
    'kms_lake_key_arn',
    'kms_database_key_arn',
    'kms_logs_key_arn',
    'access_host_instance_id',
    'dms_replication_instance_arn',
    'dms_task_arn',
    'dms_replication_config_arn',
    'dms_source_endpoint_arn',
    'dms_target_endpoint_arn',
    'dms_secret_arn',
    'glue_database_name',
    'glue_crawler_names',
    'athena_workgroup',
    'athena_results_location',
    'redshift_workgroup',
    'redshift_namespace',
    'redshift_database',
    'redshift_role_arn',
    'lake_admin_role_arn',
    'analyst_role_arn',
    'crawler_role_arn',
    'alerts_topic_arn',
    'glue_changes_database_name',
    'current_zone_prefix',
    'merge_state_machine_arn',
    'maintenance_state_machine_arn',
    'merge_workgroup',
    'merge_role_arn',
  ])('both environments output %s under the same name, with a description', (output) => {
    for (const name of environments) expect(stacks[name].outputs()[output]).toMatchObject({ description: expect.stringMatching(/\w/) });
  });

  test('the DMS outputs name the environment’s capacity: a serverless replication in dev, an instance and its task in prod', () => {
    const outputs = { dev: stacks.dev.outputs(), prod: stacks.prod.outputs() };
    expect(outputs.dev.dms_replication_config_arn.value).toBe(stacks.dev.ref('aws_dms_replication_config', '', 'arn'));
    expect([outputs.dev.dms_task_arn.value, outputs.dev.dms_replication_instance_arn.value]).toEqual(['', '']);
    expect(outputs.prod.dms_task_arn.value).toBe(stacks.prod.ref('aws_dms_replication_task', '', 'replication_task_arn'));
    expect(outputs.prod.dms_replication_config_arn.value).toBe('');
  });

  test('the stack estimates its own monthly cost, sets the budget’s forecast alert from it, and warns above the budget', () => {
    for (const name of environments) {
      const notifications = stacks[name].one('aws_budgets_budget').notification;
      expect(notifications.map((n: Json) => [n.notification_type, n.threshold_type])).toEqual([
        ['FORECASTED', 'ABSOLUTE_VALUE'],
        ['ACTUAL', 'PERCENTAGE'],
      ]);
      expect(notifications[0].threshold).toBeGreaterThan(0);
    }
  });

  test('the outputs point at the resources the scripts use', () => {
    const outputs = stacks.dev.outputs();
    const stack = stacks.dev;
    expect(outputs.rds_master_secret_arn.value).toMatch(/^\$\{aws_db_instance\.[^.]+\.master_user_secret\[0\]\.secret_arn\}$/);
    expect(outputs.dms_secret_arn.value).toBe(stack.ref('aws_secretsmanager_secret', '', 'arn'));
    expect(outputs.redshift_role_arn.value).toBe(stack.ref('aws_iam_role', 'spectrum-role', 'arn'));
    expect(outputs.analyst_role_arn.value).toBe(stack.ref('aws_iam_role', 'analyst-role', 'arn'));
    expect(outputs.crawler_role_arn.value).toBe(stack.ref('aws_iam_role', 'crawler-role', 'arn'));
    expect(outputs.kms_lake_key_arn.value).toBe(key(stack, 'lake'));
    expect(outputs.raw_zone_prefix.value).toBe('raw');
    expect(outputs.current_zone_prefix.value).toBe('current');
    // Readers query the current state in the main database; the change log has its own.
    expect(outputs.glue_database_name.value).toBe(stack.ref('aws_glue_catalog_database', 'catalog_database', 'name'));
    expect(outputs.glue_changes_database_name.value).toBe(stack.ref('aws_glue_catalog_database', 'changes-database', 'name'));
    expect(outputs.merge_state_machine_arn.value).toBe(stack.ref('aws_sfn_state_machine', 'merge-state-machine', 'arn'));
    expect(outputs.maintenance_state_machine_arn.value).toBe(stack.ref('aws_sfn_state_machine', 'maintenance-state-machine', 'arn'));
    expect(outputs.merge_workgroup.value).toBe(stack.ref('aws_athena_workgroup', 'merge_athena-workgroup', 'name'));
    expect(outputs.athena_workgroup.value).toBe(stack.ref('aws_athena_workgroup', 'catalog_workgroup', 'name'));
    // One crawler per contract table (Lake Formation credentials allow one table per crawler), by table name.
    expect(outputs.glue_crawler_names.value).toEqual(
      Object.fromEntries(CLINIC_TABLES.map((t) => [t.name, stack.ref('aws_glue_crawler', `crawler-${t.name}`, 'name')])),
    );
  });

  test.each(environments)(
    '%s: lake data is read only through Lake Formation: the bucket and the key name the roles the stack creates',
    (name) => {
      const stack = stacks[name];
      const roleArnOf = (idPart: string): string =>
        `arn:aws:iam::${configs[name].accountId}:role/${stack.one('aws_iam_role', idPart).name}`;
      const lakeBucketArn = `arn:aws:s3:::${stack.one('aws_s3_bucket', 'storage_lake_').bucket}`;
      const registration = roleArnOf('registration-role');
      // The registration role is the one both zones are registered with: Lake Formation vends its credentials.
      for (const location of stack.all('aws_lakeformation_resource')) {
        expect(location.role_arn).toBe(stack.ref('aws_iam_role', 'registration-role', 'arn'));
      }
      expect(
        stack.statement(stack.one('aws_s3_bucket_policy', 'storage_lake_').policy, 'DenyLakeObjectReadsOutsideLakeFormation'),
      ).toMatchObject({
        resources: [`${lakeBucketArn}/*`],
        condition: [{ test: 'ArnNotLike', variable: 'aws:PrincipalArn', values: [registration] }],
      });
      expect(keyPolicy(stack, 'lake').statement.find((s: Json) => s.sid === 'DenyLakeDataDecryptOutsideLakeFormation')).toEqual({
        sid: 'DenyLakeDataDecryptOutsideLakeFormation',
        effect: 'Deny',
        principals: [{ type: '*', identifiers: ['*'] }],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        condition: [
          { test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.us-east-1.amazonaws.com'] },
          // With S3 Bucket Keys the context is the bucket; the results bucket, same key, keeps its own context.
          { test: 'StringLike', variable: 'kms:EncryptionContext:aws:s3:arn', values: [lakeBucketArn, `${lakeBucketArn}/*`] },
          { test: 'ArnNotLike', variable: 'aws:PrincipalArn', values: [registration, roleArnOf('target-role')] },
        ],
      });
    },
  );
});
