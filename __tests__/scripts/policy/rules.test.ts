import { Testing } from 'cdktf';
import { nonprodAccount, prodAccount } from '../../../config/accounts';
import { dev, prod } from '../../../config/environments';
import { POLICY_SUPPRESSIONS } from '../../../config/policy-suppressions';
import { AccountBaselineStack, baselineStackName } from '../../../stacks/baseline-stack';
import { PlatformStack, stackName } from '../../../stacks/platform-stack';
import { evaluateStack } from '../../../scripts/policy/evaluate';
import { modelFromSynth } from '../../../scripts/policy/model';
import { RULES, Rule } from '../../../scripts/policy/rules';
import { Json, withConfig } from '../../helpers/synth';

const synthJson = (config: typeof dev): Json => JSON.parse(Testing.synth(new PlatformStack(Testing.app(), config)));
const BASE = {
  dev: synthJson(dev),
  prod: synthJson(prod),
  nat: synthJson(withConfig(dev, { network: { internetEgress: 'nat-gateway' } })),
  baseline: JSON.parse(Testing.synth(new AccountBaselineStack(Testing.app(), nonprodAccount, [dev]))),
  prodBaseline: JSON.parse(Testing.synth(new AccountBaselineStack(Testing.app(), prodAccount, [prod]))),
};

/** Helpers that break one thing in a copy of a synthesized stack. */
const all = (json: Json, type: string): Json[] => Object.values(json.resource[type] ?? {});
const one = (json: Json, type: string, idPart = ''): Json => {
  const entry = Object.entries(json.resource[type] ?? {}).find(([id]) => id.includes(idPart));
  if (!entry) throw new Error(`no ${type} ${idPart}`);
  return entry[1];
};
const drop = (json: Json, type: string, idPart = ''): void => {
  for (const id of Object.keys(json.resource[type] ?? {})) if (id.includes(idPart)) delete json.resource[type][id];
};
const documentOf = (json: Json, reference: string): Json =>
  json.data.aws_iam_policy_document[/data\.aws_iam_policy_document\.([^.]+)\.json/.exec(reference)![1]];
const addResource = (json: Json, type: string, name: string, values: Json): void => {
  json.resource[type] = { ...(json.resource[type] ?? {}), [name]: values };
};
const param = (json: Json, name: string, value: string): void => {
  one(json, 'aws_db_parameter_group').parameter.find((p: Json) => p.name === name).value = value;
};
/** Changes the settings of the stack's DMS replication: a task's, or a serverless replication's (dev). */
const taskSettings = (json: Json, change: (settings: Json) => void): void => {
  const task = json.resource.aws_dms_replication_task ? one(json, 'aws_dms_replication_task') : undefined;
  const replication = task ?? one(json, 'aws_dms_replication_config');
  const key = task ? 'replication_task_settings' : 'replication_settings';
  const settings = JSON.parse(replication[key]);
  change(settings);
  replication[key] = JSON.stringify(settings);
};
/** The statement of a policy document by sid, behind a resource's policy attribute. */
const statementOf = (json: Json, reference: string, sid: string): Json =>
  documentOf(json, reference).statement.find((s: Json) => s.sid === sid);
const devRoleArn = (name: string): string => `arn:aws:iam::${dev.accountId}:role/unicornhealth-dev-${name}`;

type Env = keyof typeof BASE;
/** For each rule: the environment whose stack is the passing fixture, and the one change that breaks the rule. */
const BREAKS: Record<string, [Env, (json: Json) => void]> = {
  'UH-NET-001': ['dev', (j) => drop(j, 'aws_flow_log')],
  'UH-NET-002': [
    'dev',
    (j) => {
      all(j, 'aws_subnet')[0].map_public_ip_on_launch = true;
    },
  ],
  'UH-NET-003': [
    'prod',
    (j) => {
      one(j, 'aws_instance').associate_public_ip_address = true;
    },
  ],
  'UH-NET-004': [
    'prod',
    (j) => {
      const rule = one(j, 'aws_vpc_security_group_ingress_rule', 'mysql');
      delete rule.referenced_security_group_id;
      rule.cidr_ipv4 = '0.0.0.0/0';
    },
  ],
  'UH-NET-005': [
    'prod',
    (j) => {
      const rule = one(j, 'aws_vpc_security_group_ingress_rule', 'mysql');
      delete rule.referenced_security_group_id;
      rule.cidr_ipv6 = '::/0';
    },
  ],
  'UH-NET-006': [
    'dev',
    (j) => {
      one(j, 'aws_security_group', 'mysql').ingress = [
        { from_port: 3306, to_port: 3306, protocol: 'tcp', cidr_blocks: ['0.0.0.0/0'], description: 'MySQL' },
      ];
    },
  ],
  'UH-NET-007': [
    'dev',
    (j) => {
      one(j, 'aws_default_security_group').ingress = [{ from_port: 0, to_port: 0, protocol: '-1', self: true }];
    },
  ],
  'UH-NET-008': [
    'dev',
    (j) => {
      delete all(j, 'aws_vpc_security_group_egress_rule')[0].description;
    },
  ],
  'UH-NET-009': [
    'dev',
    (j) => {
      delete one(j, 'aws_security_group', 'mysql').description;
    },
  ],
  'UH-NET-010': [
    'dev',
    (j) => {
      one(j, 'aws_vpc_endpoint', 'endpoint-secretsmanager').private_dns_enabled = false;
    },
  ],
  'UH-NET-011': [
    'nat',
    (j) => {
      const igw = Object.keys(j.resource.aws_internet_gateway)[0];
      const privateRoutes = Object.keys(j.resource.aws_route_table).find((id) => id.includes('private-routes'));
      addResource(j, 'aws_route', 'private_to_internet', {
        route_table_id: `\${aws_route_table.${privateRoutes}.id}`,
        destination_cidr_block: '0.0.0.0/0',
        gateway_id: `\${aws_internet_gateway.${igw}.id}`,
      });
    },
  ],
  'UH-NET-012': [
    'dev',
    (j) => {
      // SSH to the access host from the DMS group, not the EC2 Instance Connect Endpoint's.
      one(j, 'aws_vpc_security_group_ingress_rule', 'from-instance-connect-endpoint-22').referenced_security_group_id =
        `\${aws_security_group.${Object.keys(j.resource.aws_security_group).find((id) => id.includes('dms'))}.id}`;
    },
  ],
  'UH-RDS-001': [
    'dev',
    (j) => {
      delete one(j, 'aws_db_instance').kms_key_id;
    },
  ],
  'UH-RDS-002': [
    'dev',
    (j) => {
      one(j, 'aws_db_instance').publicly_accessible = true;
    },
  ],
  'UH-RDS-003': [
    'dev',
    (j) => {
      one(j, 'aws_db_instance').backup_retention_period = 1;
    },
  ],
  'UH-RDS-004': [
    'prod',
    (j) => {
      one(j, 'aws_db_instance').deletion_protection = false;
    },
  ],
  'UH-RDS-005': [
    'prod',
    (j) => {
      one(j, 'aws_db_instance').multi_az = false;
    },
  ],
  'UH-RDS-006': [
    'dev',
    (j) => {
      const db = one(j, 'aws_db_instance');
      db.manage_master_user_password = false;
      db.password = 'Capstone22';
    },
  ],
  'UH-RDS-007': ['dev', (j) => param(j, 'require_secure_transport', '0')],
  'UH-RDS-008': ['dev', (j) => param(j, 'binlog_format', 'MIXED')],
  'UH-RDS-009': [
    'dev',
    (j) => {
      one(j, 'aws_db_instance').iam_database_authentication_enabled = false;
    },
  ],
  'UH-RDS-010': [
    'dev',
    (j) => {
      one(j, 'aws_db_instance').enabled_cloudwatch_logs_exports = ['error'];
    },
  ],
  'UH-RDS-011': [
    'dev',
    (j) => {
      delete one(j, 'aws_db_instance').db_subnet_group_name;
    },
  ],
  'UH-RDS-012': [
    'dev',
    (j) => {
      one(j, 'aws_db_instance').auto_minor_version_upgrade = false;
    },
  ],
  'UH-RDS-013': [
    'dev',
    (j) => {
      one(j, 'aws_db_instance').copy_tags_to_snapshot = false;
    },
  ],
  'UH-RDS-014': [
    'prod',
    (j) => {
      delete one(j, 'aws_db_instance').performance_insights_kms_key_id;
    },
  ],
  'UH-DMS-001': [
    'prod',
    (j) => {
      one(j, 'aws_dms_replication_instance').publicly_accessible = true;
    },
  ],
  'UH-DMS-002': [
    'dev',
    (j) => {
      delete one(j, 'aws_dms_replication_config').compute_config.kms_key_id;
    },
  ],
  'UH-DMS-003': [
    'dev',
    (j) => {
      one(j, 'aws_dms_endpoint').ssl_mode = 'none';
    },
  ],
  'UH-DMS-004': [
    'dev',
    (j) => {
      const e = one(j, 'aws_dms_endpoint');
      delete e.secrets_manager_arn;
      e.password = 'Capstone22';
    },
  ],
  'UH-DMS-005': [
    'dev',
    (j) => {
      one(j, 'aws_dms_s3_endpoint').encryption_mode = 'SSE_S3';
    },
  ],
  'UH-DMS-006': [
    'dev',
    (j) => {
      one(j, 'aws_dms_s3_endpoint').data_format = 'csv';
    },
  ],
  'UH-DMS-007': [
    'dev',
    (j) => {
      one(j, 'aws_dms_endpoint').s3_settings = [{ bucket_name: 'lake' }];
    },
  ],
  'UH-DMS-008': ['dev', (j) => taskSettings(j, (s) => (s.ErrorBehavior.DataErrorPolicy = 'IGNORE_RECORD'))],
  'UH-DMS-009': [
    'prod',
    (j) => {
      one(j, 'aws_dms_replication_instance').auto_minor_version_upgrade = false;
    },
  ],
  'UH-S3-001': [
    'dev',
    (j) => {
      one(j, 'aws_s3_bucket_public_access_block', 'storage_lake_').restrict_public_buckets = false;
    },
  ],
  'UH-S3-002': [
    'dev',
    (j) => {
      one(j, 'aws_s3_bucket_server_side_encryption_configuration', 'storage_lake_').rule[0].apply_server_side_encryption_by_default = {
        sse_algorithm: 'AES256',
      };
    },
  ],
  'UH-S3-003': [
    'dev',
    (j) => {
      one(j, 'aws_s3_bucket_versioning', 'storage_lake_').versioning_configuration.status = 'Suspended';
    },
  ],
  'UH-S3-004': [
    'dev',
    (j) => {
      const doc = documentOf(j, one(j, 'aws_s3_bucket_policy', 'storage_lake_').policy);
      doc.statement = doc.statement.filter((s: Json) => s.sid !== 'DenyInsecureTransport');
    },
  ],
  'UH-S3-005': ['dev', (j) => drop(j, 'aws_s3_bucket_logging', 'storage_lake_')],
  'UH-S3-006': [
    'dev',
    (j) => {
      one(j, 'aws_s3_bucket_ownership_controls', 'storage_lake_').rule.object_ownership = 'ObjectWriter';
    },
  ],
  'UH-S3-007': [
    'dev',
    (j) => {
      const l = one(j, 'aws_s3_bucket_lifecycle_configuration', 'storage_lake_');
      l.rule = l.rule.filter((r: Json) => !r.abort_incomplete_multipart_upload);
    },
  ],
  'UH-S3-008': [
    'prod',
    (j) => {
      one(j, 'aws_s3_bucket', 'storage_lake_').force_destroy = true;
    },
  ],
  'UH-S3-009': [
    'dev',
    (j) => {
      one(j, 'aws_s3_bucket_server_side_encryption_configuration', 'storage_lake_').rule[0].bucket_key_enabled = false;
    },
  ],
  'UH-KMS-001': [
    'dev',
    (j) => {
      one(j, 'aws_kms_key', 'lake-key').enable_key_rotation = false;
    },
  ],
  'UH-KMS-002': [
    'dev',
    (j) => {
      delete one(j, 'aws_kms_key', 'lake-key').policy;
    },
  ],
  'UH-KMS-003': [
    'dev',
    (j) => {
      documentOf(j, one(j, 'aws_kms_key', 'lake-key').policy).statement.push({
        sid: 'Everyone',
        effect: 'Allow',
        principals: [{ type: 'AWS', identifiers: ['*'] }],
        actions: ['kms:Decrypt'],
        resources: ['*'],
      });
    },
  ],
  'UH-GLUE-001': [
    'dev',
    (j) => {
      delete one(j, 'aws_glue_crawler').security_configuration;
    },
  ],
  'UH-GLUE-002': [
    'baseline',
    (j) => {
      one(j, 'aws_glue_data_catalog_encryption_settings').data_catalog_encryption_settings.encryption_at_rest.catalog_encryption_mode =
        'DISABLED';
    },
  ],
  'UH-GLUE-003': [
    'dev',
    (j) => {
      one(j, 'aws_glue_crawler').lake_formation_configuration.use_lake_formation_credentials = false;
    },
  ],
  'UH-GLUE-004': [
    'dev',
    (j) => {
      one(j, 'aws_glue_security_configuration').encryption_configuration.cloudwatch_encryption.cloudwatch_encryption_mode = 'DISABLED';
    },
  ],
  'UH-ATH-001': [
    'dev',
    (j) => {
      one(j, 'aws_athena_workgroup').configuration.enforce_workgroup_configuration = false;
    },
  ],
  'UH-ATH-002': [
    'dev',
    (j) => {
      one(j, 'aws_athena_workgroup').configuration.result_configuration.encryption_configuration.encryption_option = 'SSE_S3';
    },
  ],
  'UH-ATH-003': [
    'dev',
    (j) => {
      delete one(j, 'aws_athena_workgroup').configuration.bytes_scanned_cutoff_per_query;
    },
  ],
  'UH-LF-001': [
    'baseline',
    (j) => {
      one(j, 'aws_lakeformation_data_lake_settings').admins.push('arn:aws:iam::111111111111:group/LakeAdministrators');
    },
  ],
  'UH-LF-002': [
    'baseline',
    (j) => {
      one(j, 'aws_lakeformation_data_lake_settings').create_table_default_permissions = [
        { principal: 'IAM_ALLOWED_PRINCIPALS', permissions: ['ALL'] },
      ];
    },
  ],
  'UH-LF-003': [
    'dev',
    (j) => {
      // Granted after the last grant, as Governance chains them (UH-AWS-LF-004).
      const grants = Object.keys(j.resource.aws_lakeformation_permissions);
      const last = grants.find(
        (id) => !all(j, 'aws_lakeformation_permissions').some((g) => g.depends_on.includes(`aws_lakeformation_permissions.${id}`)),
      );
      addResource(j, 'aws_lakeformation_permissions', 'iam_allowed', {
        principal: 'IAM_ALLOWED_PRINCIPALS',
        permissions: ['DESCRIBE'],
        database: { name: 'x' },
        depends_on: [all(j, 'aws_lakeformation_permissions')[0].depends_on[0], `aws_lakeformation_permissions.${last}`],
      });
    },
  ],
  'UH-LF-004': [
    'dev',
    (j) => {
      one(j, 'aws_lakeformation_resource').hybrid_access_enabled = true;
    },
  ],
  'UH-LF-005': [
    'dev',
    (j) => {
      one(j, 'aws_lakeformation_resource').use_service_linked_role = true;
    },
  ],
  'UH-LF-006': [
    'dev',
    (j) => {
      one(j, 'aws_lakeformation_permissions', 'analyst-table-patient').table_with_columns.column_names.push('dob');
    },
  ],
  'UH-LF-007': [
    'baseline',
    (j) => {
      one(j, 'aws_lakeformation_data_lake_settings').create_table_default_permissions = [
        { principal: dev.governance.deployRoleArn, permissions: ['ALL'] },
      ];
    },
  ],
  'UH-LF-008': [
    'dev',
    (j) => {
      // The analyst's grant moved to the change log of patient.
      const grant = one(j, 'aws_lakeformation_permissions', 'analyst-table-patient');
      grant.table_with_columns.database_name = '${aws_glue_catalog_database.catalog_changes-database.name}';
      grant.table_with_columns.name = '${aws_glue_catalog_table.catalog_change-log-patient.name}';
    },
  ],
  'UH-GLUE-005': [
    'dev',
    (j) => {
      delete one(j, 'aws_glue_catalog_table', 'current-state_table-patient').open_table_format_input;
    },
  ],
  'UH-SFN-001': [
    'dev',
    (j) => {
      one(j, 'aws_sfn_state_machine', 'merge-state-machine').logging_configuration.include_execution_data = true;
    },
  ],
  'UH-MON-004': ['dev', (j) => drop(j, 'aws_cloudwatch_metric_alarm', 'merge-stale')],
  'UH-IAM-006': [
    'dev',
    (j) => {
      statementOf(j, one(j, 'aws_iam_role_policy', 'scheduler-role').policy, 'StartScheduledStateMachines').actions.push(
        'states:StopExecution',
      );
    },
  ],
  'UH-ACC-001': [
    'dev',
    (j) => {
      one(j, 'aws_iam_role', 'analyst-role').name = 'dms-vpc-role';
    },
  ],
  'UH-RS-001': [
    'dev',
    (j) => {
      delete one(j, 'aws_redshiftserverless_namespace').kms_key_id;
    },
  ],
  'UH-RS-002': [
    'dev',
    (j) => {
      const n = one(j, 'aws_redshiftserverless_namespace');
      n.manage_admin_password = false;
      n.admin_user_password = 'Capstone22!';
    },
  ],
  'UH-RS-003': [
    'dev',
    (j) => {
      one(j, 'aws_redshiftserverless_workgroup').publicly_accessible = true;
    },
  ],
  'UH-RS-004': [
    'dev',
    (j) => {
      one(j, 'aws_redshiftserverless_workgroup').enhanced_vpc_routing = false;
    },
  ],
  'UH-RS-005': [
    'dev',
    (j) => {
      one(j, 'aws_redshiftserverless_workgroup').config_parameter.find((p: Json) => p.parameter_key === 'require_ssl').parameter_value =
        'false';
    },
  ],
  'UH-RS-006': ['dev', (j) => drop(j, 'aws_redshiftserverless_usage_limit')],
  'UH-IAM-001': [
    'dev',
    (j) => {
      documentOf(j, one(j, 'aws_iam_role_policy', 'analyst-policy').policy).statement.push({
        effect: 'Allow',
        actions: ['*'],
        resources: ['*'],
      });
    },
  ],
  'UH-IAM-002': [
    'baseline',
    (j) => {
      addResource(j, 'aws_iam_role_policy_attachment', 'admin', { role: 'x', policy_arn: 'arn:aws:iam::aws:policy/AdministratorAccess' });
    },
  ],
  'UH-IAM-003': ['dev', (j) => addResource(j, 'aws_iam_access_key', 'lake_admin', { user: 'lake-admin' })],
  'UH-IAM-004': [
    'dev',
    (j) =>
      addResource(j, 'aws_iam_user_policy_attachment', 'lake_admin', {
        user: 'lake-admin',
        policy_arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
  ],
  'UH-IAM-005': [
    'baseline',
    (j) => {
      documentOf(j, one(j, 'aws_iam_group_policy').policy).statement[0].condition = [];
    },
  ],
  'UH-SEC-001': [
    'dev',
    (j) => {
      delete one(j, 'aws_secretsmanager_secret').kms_key_id;
    },
  ],
  'UH-LOG-001': [
    'dev',
    (j) => {
      delete one(j, 'aws_cloudwatch_log_group', 'flow-log-group').kms_key_id;
    },
  ],
  'UH-LOG-002': [
    'dev',
    (j) => {
      one(j, 'aws_cloudwatch_log_group', 'flow-log-group').retention_in_days = 30;
    },
  ],
  'UH-PRV-001': [
    'dev',
    (j) => {
      j.provider.aws[0].access_key = 'AKIA-not-a-real-key';
    },
  ],
  'UH-PRV-002': [
    'dev',
    (j) => {
      delete j.provider.aws[0].default_tags;
    },
  ],
  'UH-MON-001': ['dev', (j) => drop(j, 'aws_budgets_budget')],
  'UH-MON-002': ['dev', (j) => drop(j, 'aws_cloudwatch_event_rule', 'dms-replication')],
  'UH-MON-003': [
    'dev',
    (j) => {
      delete one(j, 'aws_sns_topic').kms_master_key_id;
    },
  ],

  // AWS service constraints
  'UH-AWS-GLUE-001': [
    'dev',
    (j) => {
      one(j, 'aws_glue_crawler', 'crawler-patient').catalog_target[0].tables.push('encounter');
    },
  ],
  'UH-AWS-GLUE-002': [
    'dev',
    (j) => {
      one(j, 'aws_glue_catalog_table', 'current-state_table-patient').open_table_format_input.iceberg_input.version = '1';
    },
  ],
  'UH-AWS-DMS-006': [
    'dev',
    (j) => {
      const task = one(j, 'aws_dms_replication_config');
      const mappings = JSON.parse(task.table_mappings);
      mappings.rules = mappings.rules.filter((r: Json) => r['rule-name'] !== 'add-change-sequence-patient');
      task.table_mappings = JSON.stringify(mappings);
    },
  ],
  'UH-AWS-DMS-001': [
    'dev',
    (j) => {
      delete one(j, 'aws_dms_endpoint').certificate_arn;
    },
  ],
  'UH-AWS-DMS-002': [
    'dev',
    (j) => {
      const write = statementOf(j, one(j, 'aws_iam_role_policy', 'target-role').policy, 'WriteRawZone');
      write.actions = write.actions.filter((a: string) => a !== 's3:PutObjectTagging');
    },
  ],
  'UH-AWS-DMS-003': ['dev', (j) => taskSettings(j, (s) => (s.ValidationSettings.EnableValidation = true))],
  'UH-AWS-DMS-004': [
    'prod',
    (j) => {
      delete one(j, 'aws_dms_event_subscription').depends_on;
    },
  ],
  'UH-AWS-DMS-005': [
    'prod',
    (j) => {
      one(j, 'aws_cloudwatch_metric_alarm', 'cdc-latency').treat_missing_data = 'breaching';
    },
  ],
  'UH-AWS-IAM-001': [
    'dev',
    (j) => {
      // Glue documents no source conditions: a role that requires aws:SourceAccount of it is never assumed.
      documentOf(j, one(j, 'aws_iam_role', 'crawler-role').assume_role_policy).statement[0].condition = [
        { test: 'StringEquals', variable: 'aws:SourceAccount', values: [dev.accountId] },
      ];
    },
  ],
  'UH-AWS-RS-001': [
    'dev',
    (j) => {
      const workgroup = one(j, 'aws_redshiftserverless_workgroup');
      workgroup.config_parameter = workgroup.config_parameter.filter((p: Json) => p.parameter_key !== 'auto_mv');
    },
  ],
  'UH-AWS-LF-001': [
    'dev',
    (j) => {
      const deny = statementOf(j, one(j, 'aws_s3_bucket_policy', 'storage_lake_').policy, 'DenyLakeObjectReadsOutsideLakeFormation');
      deny.condition[0].values.push(devRoleArn('dms-raw-zone-writer'));
    },
  ],
  'UH-AWS-LF-002': [
    'dev',
    (j) => {
      const deny = statementOf(j, one(j, 'aws_kms_key', 'lake-key').policy, 'DenyLakeDataDecryptOutsideLakeFormation');
      deny.condition.find((c: Json) => c.variable === 'aws:PrincipalArn').values.push(devRoleArn('analyst'));
    },
  ],
  'UH-AWS-LF-003': [
    'baseline',
    (j) => {
      const settings = one(j, 'aws_lakeformation_data_lake_settings');
      settings.admins[0] = `arn:aws:iam::${dev.accountId}:role/unicornhealth-dev-lake-admin`;
    },
  ],
  'UH-AWS-LF-004': [
    'dev',
    (j) => {
      const grant = one(j, 'aws_lakeformation_permissions', 'analyst-database');
      grant.depends_on = grant.depends_on.filter((d: string) => !d.startsWith('aws_lakeformation_permissions.'));
    },
  ],
};

const STACK_NAMES: Record<Env, string> = {
  dev: stackName(dev),
  prod: stackName(prod),
  nat: stackName(dev),
  baseline: baselineStackName(nonprodAccount),
  prodBaseline: baselineStackName(prodAccount),
};
const stackNameOf = (env: Env): string => STACK_NAMES[env];
/**
 * The smallest stack a rule can be judged on: the resources of its types, everything they reference (transitively,
 * through `${...}` expressions and depends_on), the policy documents among those, and the provider.
 */
function minimalFixture(base: Json, rule: Rule): Json {
  const keep = new Set<string>();
  const queue: string[] = [];
  for (const [type, byName] of Object.entries<Json>(base.resource)) {
    if (rule.resourceTypes.includes(type)) for (const name of Object.keys(byName)) queue.push(`${type}.${name}`);
  }
  while (queue.length > 0) {
    const address = queue.pop()!;
    if (keep.has(address)) continue;
    keep.add(address);
    const [kind, type, name] = address.startsWith('data.') ? address.split('.') : ['resource', ...address.split('.')];
    const body = JSON.stringify(kind === 'data' ? base.data[type][name] : base.resource[type][name]);
    for (const match of body.matchAll(/(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)/g)) {
      const target = `${match[1] ?? ''}${match[2]}.${match[3]}`;
      const exists = match[1] ? base.data[match[2]]?.[match[3]] : base.resource[match[2]]?.[match[3]];
      if (exists && !keep.has(target)) queue.push(target);
    }
  }
  const fixture: Json = { provider: base.provider, terraform: base.terraform, resource: {}, data: { aws_iam_policy_document: {} } };
  for (const address of keep) {
    const data = address.startsWith('data.');
    const [type, name] = (data ? address.slice(5) : address).split('.');
    const target = data ? fixture.data : fixture.resource;
    target[type] = { ...(target[type] ?? {}), [name]: structuredClone((data ? base.data : base.resource)[type][name]) };
  }
  return fixture;
}

/** The findings a rule fails on: comparing them shows whether a change broke that rule too. */
const failuresOf = (rule: Rule, json: Json, env: Env): string[] =>
  rule
    .evaluate(modelFromSynth(stackNameOf(env), json))
    .filter((f) => !f.pass)
    .map((f) => `${f.resource}: ${f.reason}`)
    .sort();

describe('the policy rule catalogue', () => {
  test('has at least 60 rules with stable, unique ids, a title, resource types and sources', () => {
    expect(RULES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^UH-(AWS-)?[A-Z0-9]+-\d{3}$/);
      expect(rule.title.length).toBeGreaterThan(10);
      expect(rule.resourceTypes.length).toBeGreaterThan(0);
    }
    expect(RULES.filter((r) => r.sources.checkov?.length || r.sources.trivy?.length).length).toBeGreaterThan(40);
    expect(RULES.filter((r) => r.sources.hipaa).length).toBeGreaterThan(50);
  });

  test('every AWS service constraint (UH-AWS-*) cites the AWS page or issue that states it', () => {
    const constraints = RULES.filter((r) => r.id.startsWith('UH-AWS-'));
    expect(constraints.map((r) => r.id)).toEqual(
      expect.arrayContaining(['UH-AWS-GLUE-001', 'UH-AWS-DMS-001', 'UH-AWS-IAM-001', 'UH-AWS-RS-001']),
    );
    for (const rule of constraints) {
      expect([rule.id, rule.sources.aws?.length ?? 0]).not.toEqual([rule.id, 0]);
      for (const url of rule.sources.aws ?? []) expect(url).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|github\.com|repost\.aws)\//);
    }
  });

  test('every rule has a breaking fixture', () => {
    expect(Object.keys(BREAKS).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  test.each(RULES.map((rule) => [rule.id, rule] as const))(
    '%s: passes on its minimal fixture, fails when exactly it is broken',
    (id, rule) => {
      const [env, breakIt] = BREAKS[id];
      const passing = minimalFixture(BASE[env], rule);
      const failing = structuredClone(passing);
      breakIt(failing);
      expect(Object.values<Json>(passing.resource).reduce((n, byName) => n + Object.keys(byName).length, 0)).toBeLessThan(
        Object.values<Json>(BASE[env].resource).reduce((n, byName) => n + Object.keys(byName).length, 0) / 2,
      );
      const before = evaluateStack(modelFromSynth(stackNameOf(env), passing), POLICY_SUPPRESSIONS, [rule]);
      const after = evaluateStack(modelFromSynth(stackNameOf(env), failing), POLICY_SUPPRESSIONS, [rule]);
      expect(before.findings.length).toBeGreaterThan(0);
      expect(before.failures).toBe(0);
      expect(after.failures).toBeGreaterThan(0);
      for (const other of RULES.filter((r) => r.id !== id)) {
        expect([other.id, failuresOf(other, failing, env)]).toEqual([other.id, failuresOf(other, passing, env)]);
      }
    },
  );

  test.each(['dev', 'prod'] as const)('the real %s stack passes every rule, with the two suppressions listed', (env) => {
    const report = evaluateStack(modelFromSynth(stackNameOf(env), BASE[env]), POLICY_SUPPRESSIONS);
    expect(report.findings.filter((f) => !f.pass && !f.suppressed)).toEqual([]);
    expect(report.suppressions.map((s) => s.rule)).toEqual(['UH-S3-002', 'UH-S3-005']);
  });

  test.each(['baseline', 'prodBaseline'] as const)('the real %s stack passes every rule, with no suppression', (env) => {
    const report = evaluateStack(modelFromSynth(stackNameOf(env), BASE[env]), POLICY_SUPPRESSIONS);
    expect(report.findings.filter((f) => !f.pass)).toEqual([]);
    expect(report.findings.map((f) => f.rule)).toEqual(
      expect.arrayContaining(['UH-LF-001', 'UH-LF-002', 'UH-LF-007', 'UH-GLUE-002', 'UH-IAM-005']),
    );
    expect(report.suppressions).toEqual([]);
  });

  test('the baseline rule and the environment rule judge only their own scope', () => {
    const byScope = (env: Env): string[] =>
      evaluateStack(modelFromSynth(stackNameOf(env), BASE[env]), [])
        .findings.map((f) => f.rule)
        .filter((rule) => ['UH-LF-007', 'UH-ACC-001'].includes(rule));
    expect(byScope('baseline')).toEqual(['UH-LF-007']);
    expect(byScope('dev')).toEqual(['UH-ACC-001']);
  });
});

describe('what the lake-zone rules mean beyond their one breaking change', () => {
  const ruleNamed = (id: string): Rule => RULES.find((r) => r.id === id)!;
  const failuresIn = (id: string, json: Json): string[] => failuresOf(ruleNamed(id), json, 'dev');
  const copy = (): Json => structuredClone(BASE.dev);

  test('UH-LF-008: the lake admin named by ARN may read the change log; the smoke runner, Redshift and the maintenance may not', () => {
    const findings = ruleNamed('UH-LF-008').evaluate(modelFromSynth(stackNameOf('dev'), BASE.dev));
    expect(findings.map((f) => f.resource)).toEqual(expect.arrayContaining([expect.stringMatching(/_lake-admin-change-log-patient$/)]));
    expect(findings.every((f) => f.pass)).toBe(true);
    for (const [grant, role] of [
      ['smoke-runner-table-patient', 'unicornhealth-dev-smoke-runner'],
      ['redshift-table-patient', 'unicornhealth-dev-redshift-spectrum'],
      ['maintenance-current-patient', 'unicornhealth-dev-table-maintenance'],
    ]) {
      const json = copy();
      const moved = one(json, 'aws_lakeformation_permissions', grant);
      (moved.table_with_columns ?? moved.table).database_name = '${aws_glue_catalog_database.catalog_changes-database.name}';
      expect(failuresIn('UH-LF-008', json)).toEqual([expect.stringContaining(`grants ${role} the change log (unicornhealth_dev_changes)`)]);
    }
  });

  test('UH-IAM-006: a schedule whose role may start any state machine, or that targets something else, fails', () => {
    const any = copy();
    statementOf(any, one(any, 'aws_iam_role_policy', 'scheduler-role').policy, 'StartScheduledStateMachines').resources.push('*');
    expect(failuresIn('UH-IAM-006', any)).toHaveLength(2);
    const other = copy();
    one(other, 'aws_scheduler_schedule', 'maintenance-schedule').target.arn = '${aws_sns_topic.monitoring_alerts.arn}';
    expect(failuresIn('UH-IAM-006', other)).toEqual([
      expect.stringMatching(/maintenance-schedule: the target is not a state machine/),
      expect.stringMatching(/merge-schedule: .* may do more than start scheduled state machines/),
    ]);
  });

  test('UH-MON-004: the maintenance runs on a cron and needs no staleness alarm; a failure alarm that never breaches on data fails', () => {
    const json = copy();
    drop(json, 'aws_cloudwatch_metric_alarm', 'maintenance-failed');
    one(json, 'aws_cloudwatch_metric_alarm', 'merge-stale').treat_missing_data = 'notBreaching';
    expect(failuresIn('UH-MON-004', json)).toEqual([
      expect.stringMatching(
        /maintenance-state-machine has no alarm on ExecutionsFailed > 0; .*merge-state-machine runs on a rate but nothing alarms when no execution succeeds/,
      ),
    ]);
  });
});
