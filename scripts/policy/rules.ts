/* eslint-disable @typescript-eslint/no-explicit-any */
import { CLINIC_TABLES } from '../../contract/clinic';
import { PERSONA_ROLE_SUFFIX } from '../../contract/lake';
import { changeLogDatabaseOf } from '../../contract/merge';
import { LAKE_ROLE_SUFFIX } from '../../stacks/core/lake-roles';
import { PolicyStatement, Resource, StackModel, allPolicies, referenced, statementsOf } from './model';
import { AWS_SERVICE_RULES, DMS_REPLICATIONS, dmsSettingsOf } from './aws-service-rules';
import { Rule, first, of, perResource, referring, referringOrNaming, scoped, settingsFor, stackRule } from './rule-kit';
import { enclosed, indexOf, longest } from './stack-index';

export type { Finding, Rule, RuleSources } from './rule-kit';

const HIPAA = {
  audit: '45 CFR 164.312(b) audit controls',
  encryptRest: '45 CFR 164.312(a)(2)(iv) encryption and decryption',
  transmission: '45 CFR 164.312(e)(1) transmission security',
  access: '45 CFR 164.312(a)(1) access control',
  integrity: '45 CFR 164.312(c)(1) integrity',
  backup: '45 CFR 164.308(a)(7)(ii)(A) data backup plan',
  review: '45 CFR 164.308(a)(1)(ii)(D) information system activity review',
  minimum: '45 CFR 164.502(b) / 164.514(d) minimum necessary',
  auth: '45 CFR 164.312(d) person or entity authentication',
} as const;

/** Resources an account and region hold once: whichever stack applied last would overwrite the others'. */
export const ACCOUNT_SINGLETON_TYPES = [
  'aws_lakeformation_data_lake_settings',
  'aws_glue_data_catalog_encryption_settings',
  'aws_glue_resource_policy',
  'aws_iam_account_password_policy',
  'aws_iam_account_alias',
  'aws_s3_account_public_access_block',
  'aws_ebs_encryption_by_default',
  'aws_ebs_default_kms_key',
];
/** IAM names an account holds once: roles AWS services look up by name, and the group of the lake's administrators. */
const ACCOUNT_FIXED_ROLE_NAMES = ['dms-vpc-role', 'dms-cloudwatch-logs-role', 'dms-access-for-endpoint'];
const ACCOUNT_GROUP_NAMES = ['LakeAdministrators'];

const isBucket = (r: Resource): boolean => r.type === 'aws_s3_bucket';
const openIpv4 = (cidr: unknown): boolean => cidr === '0.0.0.0/0';
const openIpv6 = (cidr: unknown): boolean => cidr === '::/0';

const allows = (s: PolicyStatement): boolean => s.effect === 'Allow';
const unconditionedStar = (s: PolicyStatement): boolean =>
  allows(s) && s.principals.some((p) => p.identifiers.includes('*')) && s.conditions.length === 0;

const parameterValue = (group: Resource, name: string): string | undefined =>
  (group.values.parameter ?? []).find((p: any) => p.name === name)?.value;

const DIRECT_IDENTIFIERS = new Map(
  CLINIC_TABLES.map((t) => [
    t.name.toLowerCase(),
    t.columns.filter((c) => c.classification === 'direct-identifier').map((c) => c.name.toLowerCase()),
  ]),
);

/**
 * Roles whose work needs every column: the crawler (it reads the files to update the schema), the merge and the
 * table maintenance (they copy and rewrite whole rows), the lake admins (audits, replays) and the release's smoke
 * runner (it reconciles every column with the source). Every other reader is held to the contract's allow-list.
 */
const PHI_READER_ROLE = new RegExp(
  `-(${[LAKE_ROLE_SUFFIX.crawler, LAKE_ROLE_SUFFIX.merge, LAKE_ROLE_SUFFIX.tableMaintenance, LAKE_ROLE_SUFFIX.lakeAdmin, PERSONA_ROLE_SUFFIX['smoke-runner']].join('|')})$`,
);

/** Roles that may read the change log, the history of every row, deleted ones included (UH-LF-008). */
const CHANGE_LOG_READER_ROLE = new RegExp(
  `-(${[LAKE_ROLE_SUFFIX.crawler, LAKE_ROLE_SUFFIX.merge, LAKE_ROLE_SUFFIX.lakeAdmin].join('|')})$`,
);

const tableNameOf = (stack: StackModel, value: unknown): string | undefined => {
  const table = referenced(stack, value);
  return table ? table.values.name : typeof value === 'string' ? value : undefined;
};

/** A database's name: a reference to a database of the stack, or the name itself. */
const databaseNameOf = (stack: StackModel, value: unknown): string | undefined => {
  const database = referenced(stack, value);
  return database ? database.values.name : typeof value === 'string' ? value : undefined;
};

/** What the contract's naming appends to a database's name for its change log (`<db>_changes`). */
const CHANGE_LOG_DATABASE_SUFFIX = changeLogDatabaseOf('');

/** Whether a database is a change-log database, by the contract's naming. */
const isChangeLogDatabase = (name: string | undefined): boolean => name?.endsWith(CHANGE_LOG_DATABASE_SUFFIX) ?? false;

/** The Glue database a Lake Formation grant is on, whichever resource it names. */
const grantDatabaseOf = (stack: StackModel, grant: Resource): string | undefined =>
  databaseNameOf(
    stack,
    first(grant.values.database)?.name ?? first(grant.values.table)?.database_name ?? first(grant.values.table_with_columns)?.database_name,
  );

/** The role a principal value names: a reference to a role of the stack, or a role ARN. */
const principalRoleName = (stack: StackModel, value: unknown): string =>
  String(
    referenced(stack, value)?.values.name ?? (typeof value === 'string' ? (/:role\/(?:.*\/)?([^/]+)$/.exec(value)?.[1] ?? value) : ''),
  );

/**
 * What the texts hold between `open` and `close`, up to the longest of `names`: a name `n` of them is in the set
 * exactly when some text includes `open + n + close`. Each text is read once, not once per name.
 */
function heldIn(texts: readonly string[], open: string, close: string, names: readonly string[]): Set<string> {
  const maxLength = longest(names);
  const held = new Set<string>();
  for (const text of texts) for (const found of enclosed(text, open, close, maxLength)) held.add(found);
  return held;
}

/**
 * Which of `targets` each of `resources` mentions by address (`${address.` in the JSON of `valueOf(resource)`: an
 * ARN, a map of dimensions, a reference): the resources by the address they mention, each in the stack's order.
 * Each value is read once for all targets, not once per target.
 */
function mentioning(
  resources: readonly Resource[],
  valueOf: (resource: Resource) => unknown,
  targets: readonly Resource[],
): Map<string, Resource[]> {
  const addresses = new Set(targets.map((t) => t.address));
  const maxLength = longest(addresses);
  const byTarget = new Map<string, Resource[]>();
  for (const resource of resources) {
    for (const address of enclosed(JSON.stringify(valueOf(resource) ?? null), '${', '.', maxLength)) {
      if (!addresses.has(address)) continue;
      const group = byTarget.get(address);
      if (group) group.push(resource);
      else byTarget.set(address, [resource]);
    }
  }
  return byTarget;
}

/** Whether a principal is among the admins of the stack's Lake Formation settings (collected once per stack). */
function isLakeAdmin(stack: StackModel, principal: unknown): boolean {
  const { admins, other } = indexOf(stack).derive('lake formation admins', () => {
    const settings = of(stack, 'aws_lakeformation_data_lake_settings');
    // Admins are a list; anything else keeps the original test, which a string would answer by substring.
    const lists = settings.map((s) => s.values.admins ?? []);
    return { admins: new Set(lists.filter(Array.isArray).flat()), other: lists.filter((a) => !Array.isArray(a)) };
  });
  return admins.has(principal) || other.some((a: any) => a.includes(principal));
}

/** The HIPAA-minded rules: scanner equivalents and the platform's own safeguards. */
export const HIPAA_RULES: readonly Rule[] = [
  // Network
  stackRule(
    'UH-NET-001',
    'Every VPC records ALL traffic in flow logs',
    ['aws_vpc', 'aws_flow_log'],
    { checkov: ['CKV2_AWS_11'], trivy: ['AVD-AWS-0178'], cdkNag: 'HIPAA.Security-VPCFlowLogsEnabled', hipaa: HIPAA.audit },
    (stack) => {
      const missing = of(stack, 'aws_vpc').filter(
        (vpc) => !referring(stack, 'aws_flow_log', 'vpc_id', vpc).some((f) => f.values.traffic_type === 'ALL'),
      );
      return missing.length ? `no ALL-traffic flow log for ${missing.map((v) => v.address).join(', ')}` : undefined;
    },
  ),
  perResource(
    'UH-NET-002',
    'Subnets do not assign public IPs',
    ['aws_subnet'],
    { checkov: ['CKV_AWS_130'], trivy: ['AVD-AWS-0164'], hipaa: HIPAA.access },
    (r) => (r.values.map_public_ip_on_launch === true ? 'map_public_ip_on_launch is true' : undefined),
  ),
  perResource(
    'UH-NET-003',
    'Instances have no public IP address',
    ['aws_instance', 'aws_launch_template'],
    { checkov: ['CKV_AWS_88'], trivy: ['AVD-AWS-0009'], cdkNag: 'HIPAA.Security-EC2InstanceNoPublicIp', hipaa: HIPAA.access },
    (r) =>
      r.values.associate_public_ip_address === true || first(r.values.network_interfaces)?.associate_public_ip_address === 'true'
        ? 'a public IP is associated'
        : undefined,
  ),
  perResource(
    'UH-NET-004',
    'No security-group ingress from 0.0.0.0/0 on any port (3306 included)',
    ['aws_vpc_security_group_ingress_rule', 'aws_security_group_rule'],
    {
      checkov: ['CKV_AWS_24', 'CKV_AWS_25', 'CKV_AWS_260'],
      trivy: ['AVD-AWS-0107'],
      cdkNag: 'HIPAA.Security-EC2RestrictedCommonPorts',
      hipaa: HIPAA.access,
    },
    (r) =>
      openIpv4(r.values.cidr_ipv4) || (r.values.type === 'ingress' && (r.values.cidr_blocks ?? []).some(openIpv4))
        ? 'ingress open to 0.0.0.0/0'
        : undefined,
    (r) => r.type !== 'aws_security_group_rule' || r.values.type === 'ingress',
  ),
  perResource(
    'UH-NET-005',
    'No security-group ingress from ::/0',
    ['aws_vpc_security_group_ingress_rule', 'aws_security_group_rule'],
    { checkov: ['CKV_AWS_24'], trivy: ['AVD-AWS-0107'], hipaa: HIPAA.access },
    (r) => (openIpv6(r.values.cidr_ipv6) || (r.values.ipv6_cidr_blocks ?? []).some(openIpv6) ? 'ingress open to ::/0' : undefined),
    (r) => r.type !== 'aws_security_group_rule' || r.values.type === 'ingress',
  ),
  perResource(
    'UH-NET-006',
    'Security groups carry no inline ingress from open ranges',
    ['aws_security_group'],
    { checkov: ['CKV_AWS_260'], trivy: ['AVD-AWS-0107'], hipaa: HIPAA.access },
    (r) =>
      (r.values.ingress ?? []).some((i: any) => (i.cidr_blocks ?? []).some(openIpv4) || (i.ipv6_cidr_blocks ?? []).some(openIpv6))
        ? 'inline ingress open to the internet'
        : undefined,
  ),
  stackRule(
    'UH-NET-007',
    "Each VPC's default security group is managed and has no rules",
    ['aws_default_security_group'],
    { checkov: ['CKV2_AWS_12'], trivy: ['AVD-AWS-0173'], cdkNag: 'HIPAA.Security-VPCDefaultSecurityGroupClosed', hipaa: HIPAA.access },
    (stack) => {
      const defaults = of(stack, 'aws_default_security_group');
      if (of(stack, 'aws_vpc').length > defaults.length) return 'a VPC has no managed default security group';
      const open = defaults.filter((d) => (d.values.ingress ?? []).length || (d.values.egress ?? []).length);
      return open.length ? `${open.map((d) => d.address).join(', ')} has rules` : undefined;
    },
  ),
  perResource(
    'UH-NET-008',
    'Every security-group rule has a description',
    ['aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule', 'aws_security_group_rule'],
    { checkov: ['CKV_AWS_23'], trivy: ['AVD-AWS-0124'] },
    (r) => (!r.values.description ? 'no description' : undefined),
  ),
  perResource(
    'UH-NET-009',
    'Every security group has a description',
    ['aws_security_group'],
    { checkov: ['CKV_AWS_23'], trivy: ['AVD-AWS-0099'] },
    (r) => (!r.values.description || r.values.description === 'Managed by Terraform' ? 'no description' : undefined),
  ),
  perResource(
    'UH-NET-010',
    'Interface endpoints resolve privately',
    ['aws_vpc_endpoint'],
    { hipaa: HIPAA.transmission },
    (r) => (r.values.private_dns_enabled !== true ? 'private DNS is off' : undefined),
    (r) => r.values.vpc_endpoint_type === 'Interface',
  ),
  perResource(
    'UH-NET-011',
    'No public subnet unless it only holds the NAT gateway',
    ['aws_route'],
    { checkov: ['CKV2_AWS_44'], hipaa: HIPAA.access },
    (r, stack) => {
      const table = referenced(stack, r.values.route_table_id);
      return table && !/nat-public/.test(table.name) ? `${table.address} routes to an internet gateway` : undefined;
    },
    (r) => typeof r.values.gateway_id === 'string' && /aws_internet_gateway/.test(r.values.gateway_id),
  ),
  perResource(
    'UH-NET-012',
    'SSH (22) is admitted only from an EC2 Instance Connect Endpoint’s security group',
    ['aws_vpc_security_group_ingress_rule', 'aws_security_group_rule', 'aws_ec2_instance_connect_endpoint'],
    // The endpoint's group is the source the EC2 User Guide gives for the instances' rule; who may open a tunnel is
    // IAM's (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/eice-security-groups.html).
    { checkov: ['CKV_AWS_24'], cdkNag: 'HIPAA.Security-EC2RestrictedSSH', hipaa: HIPAA.access },
    (r, stack) => {
      const source = r.values.referenced_security_group_id ?? r.values.source_security_group_id;
      const endpointGroups = of(stack, 'aws_ec2_instance_connect_endpoint').flatMap((e) => e.values.security_group_ids ?? []);
      return typeof source === 'string' && endpointGroups.includes(source)
        ? undefined
        : 'port 22 admitted from something other than an EC2 Instance Connect Endpoint’s security group';
    },
    (r) => {
      // The endpoints are read for their groups only.
      if (r.type === 'aws_ec2_instance_connect_endpoint') return false;
      if (r.type === 'aws_security_group_rule' && r.values.type !== 'ingress') return false;
      const protocol = String(r.values.ip_protocol ?? r.values.protocol);
      if (protocol === '-1' || protocol === 'all') return true;
      return (protocol === 'tcp' || protocol === '6') && r.values.from_port <= 22 && r.values.to_port >= 22;
    },
  ),

  // RDS
  perResource(
    'UH-RDS-001',
    'RDS storage is encrypted with a customer-managed key',
    ['aws_db_instance'],
    {
      checkov: ['CKV_AWS_16', 'CKV_AWS_157'],
      trivy: ['AVD-AWS-0080'],
      cdkNag: 'HIPAA.Security-RDSStorageEncrypted',
      hipaa: HIPAA.encryptRest,
    },
    (r) =>
      r.values.storage_encrypted !== true
        ? 'storage_encrypted is not true'
        : !r.values.kms_key_id
          ? 'no customer-managed kms_key_id'
          : undefined,
  ),
  perResource(
    'UH-RDS-002',
    'RDS is explicitly not publicly accessible',
    ['aws_db_instance'],
    { checkov: ['CKV_AWS_17'], trivy: ['AVD-AWS-0180'], cdkNag: 'HIPAA.Security-RDSInstancePublicAccess', hipaa: HIPAA.access },
    (r) => (r.values.publicly_accessible !== false ? 'publicly_accessible is not false' : undefined),
  ),
  perResource(
    'UH-RDS-003',
    'RDS keeps automated backups at least 7 days',
    ['aws_db_instance'],
    { checkov: ['CKV_AWS_133'], trivy: ['AVD-AWS-0077'], cdkNag: 'HIPAA.Security-RDSInstanceBackupEnabled', hipaa: HIPAA.backup },
    (r) => ((r.values.backup_retention_period ?? 0) < 7 ? `backup_retention_period ${r.values.backup_retention_period ?? 0}` : undefined),
  ),
  perResource(
    'UH-RDS-004',
    'Production RDS has deletion protection',
    ['aws_db_instance'],
    {
      checkov: ['CKV_AWS_293'],
      trivy: ['AVD-AWS-0177'],
      cdkNag: 'HIPAA.Security-RDSInstanceDeletionProtectionEnabled',
      hipaa: HIPAA.integrity,
    },
    (r, stack) => (stack.production && r.values.deletion_protection !== true ? 'deletion_protection is off in production' : undefined),
  ),
  perResource(
    'UH-RDS-005',
    'Production RDS is Multi-AZ',
    ['aws_db_instance'],
    { checkov: ['CKV_AWS_157'], cdkNag: 'HIPAA.Security-RDSMultiAZSupport', hipaa: HIPAA.backup },
    (r, stack) => (stack.production && r.values.multi_az !== true ? 'multi_az is off in production' : undefined),
  ),
  perResource(
    'UH-RDS-006',
    'The RDS master password is managed by RDS in Secrets Manager',
    ['aws_db_instance'],
    { hipaa: HIPAA.auth },
    (r) =>
      r.values.password !== undefined
        ? 'a password is set in the configuration'
        : r.values.manage_master_user_password !== true
          ? 'manage_master_user_password is not true'
          : undefined,
  ),
  perResource(
    'UH-RDS-007',
    'The RDS parameter group requires TLS',
    ['aws_db_parameter_group'],
    { checkov: ['CKV2_AWS_69'], hipaa: HIPAA.transmission },
    (r) => (parameterValue(r, 'require_secure_transport') !== '1' ? 'require_secure_transport is not 1' : undefined),
    (r) => /^mysql/.test(r.values.family ?? ''),
  ),
  perResource(
    'UH-RDS-008',
    'The binary log is what DMS needs (ROW, FULL images, no checksum)',
    ['aws_db_parameter_group'],
    { hipaa: HIPAA.integrity },
    (r) => {
      const wrong = Object.entries({ binlog_format: 'ROW', binlog_row_image: 'FULL', binlog_checksum: 'NONE' }).filter(
        ([k, v]) => parameterValue(r, k) !== v,
      );
      return wrong.length ? `${wrong.map(([k, v]) => `${k} should be ${v}`).join(', ')}` : undefined;
    },
    (r) => /^mysql/.test(r.values.family ?? ''),
  ),
  perResource(
    'UH-RDS-009',
    'RDS IAM database authentication is on',
    ['aws_db_instance'],
    { checkov: ['CKV_AWS_161'], trivy: ['AVD-AWS-0176'], hipaa: HIPAA.auth },
    (r) => (r.values.iam_database_authentication_enabled !== true ? 'IAM authentication is off' : undefined),
  ),
  perResource(
    'UH-RDS-010',
    'RDS exports error, slow-query and audit logs',
    ['aws_db_instance'],
    { checkov: ['CKV_AWS_129'], trivy: ['AVD-AWS-0133'], cdkNag: 'HIPAA.Security-RDSLoggingEnabled', hipaa: HIPAA.audit },
    (r) => {
      const missing = ['error', 'slowquery', 'audit'].filter((l) => !(r.values.enabled_cloudwatch_logs_exports ?? []).includes(l));
      return missing.length ? `not exported: ${missing.join(', ')}` : undefined;
    },
  ),
  perResource(
    'UH-RDS-011',
    'RDS lives in a DB subnet group',
    ['aws_db_instance'],
    { cdkNag: 'HIPAA.Security-RDSInstancePublicAccess', hipaa: HIPAA.access },
    (r) => (!r.values.db_subnet_group_name ? 'no db_subnet_group_name' : undefined),
  ),
  perResource(
    'UH-RDS-012',
    'RDS takes minor version upgrades',
    ['aws_db_instance'],
    { checkov: ['CKV_AWS_226'], hipaa: HIPAA.integrity },
    (r) => (r.values.auto_minor_version_upgrade === false ? 'auto_minor_version_upgrade is off' : undefined),
  ),
  perResource('UH-RDS-013', 'RDS copies tags to snapshots', ['aws_db_instance'], { checkov: ['CKV2_AWS_60'] }, (r) =>
    r.values.copy_tags_to_snapshot !== true ? 'copy_tags_to_snapshot is off' : undefined,
  ),
  perResource(
    'UH-RDS-014',
    'Performance Insights, where on, is encrypted with a customer-managed key',
    ['aws_db_instance'],
    { checkov: ['CKV_AWS_354'], hipaa: HIPAA.encryptRest },
    (r) =>
      r.values.performance_insights_enabled === true && !r.values.performance_insights_kms_key_id
        ? 'no performance_insights_kms_key_id'
        : undefined,
  ),

  // DMS
  perResource(
    'UH-DMS-001',
    'DMS replication instances are private',
    ['aws_dms_replication_instance'],
    { checkov: ['CKV_AWS_89'], trivy: ['AVD-AWS-0208'], cdkNag: 'HIPAA.Security-DMSReplicationNotPublic', hipaa: HIPAA.access },
    (r) => (r.values.publicly_accessible !== false ? 'publicly_accessible is not false' : undefined),
  ),
  perResource(
    'UH-DMS-002',
    'DMS replication instances and serverless replications use a customer-managed key',
    ['aws_dms_replication_instance', 'aws_dms_replication_config'],
    { checkov: ['CKV_AWS_212'], hipaa: HIPAA.encryptRest },
    (r) =>
      r.type === 'aws_dms_replication_config'
        ? !first(r.values.compute_config)?.kms_key_id
          ? 'no compute_config kms_key_id'
          : undefined
        : !r.values.kms_key_arn
          ? 'no kms_key_arn'
          : undefined,
  ),
  perResource(
    'UH-DMS-003',
    'DMS source endpoints use TLS that verifies the server (verify-ca or verify-full)',
    ['aws_dms_endpoint'],
    { hipaa: HIPAA.transmission },
    // `require` encrypts but trusts any certificate, so a host that answers for the database name reads PHI in
    // flight; which modes an engine supports is UH-AWS-DMS-001's.
    (r) =>
      !['verify-ca', 'verify-full'].includes(r.values.ssl_mode)
        ? `ssl_mode ${r.values.ssl_mode ?? 'none'} does not verify the server`
        : undefined,
    (r) => r.values.endpoint_type === 'source',
  ),
  perResource(
    'UH-DMS-004',
    'DMS source credentials come from Secrets Manager',
    ['aws_dms_endpoint'],
    { hipaa: HIPAA.auth },
    (r) =>
      r.values.password !== undefined
        ? 'a password is in the configuration'
        : !r.values.secrets_manager_arn
          ? 'no secrets_manager_arn'
          : undefined,
    (r) => r.values.endpoint_type === 'source',
  ),
  perResource(
    'UH-DMS-005',
    'DMS S3 targets encrypt with SSE-KMS',
    ['aws_dms_s3_endpoint'],
    { checkov: ['CKV_AWS_298'], hipaa: HIPAA.encryptRest },
    (r) => (r.values.encryption_mode !== 'SSE_KMS' || !r.values.server_side_encryption_kms_key_id ? 'not SSE-KMS with a key' : undefined),
  ),
  perResource('UH-DMS-006', 'DMS S3 targets write Parquet', ['aws_dms_s3_endpoint'], {}, (r) =>
    r.values.data_format !== 'parquet' ? `data_format ${r.values.data_format ?? 'csv'}` : undefined,
  ),
  perResource('UH-DMS-007', 'No DMS endpoint uses the deprecated s3_settings', ['aws_dms_endpoint'], {}, (r) =>
    r.values.s3_settings !== undefined && (first(r.values.s3_settings) ?? null) !== null
      ? 's3_settings is deprecated: use aws_dms_s3_endpoint'
      : undefined,
  ),
  perResource(
    'UH-DMS-008',
    'DMS tasks and serverless replications check what they copy: row validation where DMS can validate the target; into S3, table errors stop the table and the task instead of skipping rows',
    ['aws_dms_replication_task', 'aws_dms_replication_config', 'aws_dms_s3_endpoint'],
    { hipaa: HIPAA.integrity },
    (r, stack) => {
      let settings: any;
      try {
        settings = JSON.parse(dmsSettingsOf(r) ?? '{}');
      } catch {
        return 'task settings are not JSON';
      }
      // DMS validation of an S3 target needs Athena and fails under Lake Formation (UH-AWS-DMS-003): such a task is
      // checked by the release's reconciliation of every table, which only sees what a failing table did not skip.
      if (referenced(stack, r.values.target_endpoint_arn)?.type === 'aws_dms_s3_endpoint') {
        const errors = settings.ErrorBehavior ?? {};
        const skipped = ['DataErrorPolicy', 'DataTruncationErrorPolicy'].filter((key) => errors[key] === 'IGNORE_RECORD');
        if (skipped.length) return `${skipped.join(', ')} IGNORE_RECORD drops rows silently`;
        if (!['SUSPEND_TABLE', 'STOP_TASK'].includes(errors.TableErrorPolicy))
          return 'TableErrorPolicy neither suspends the table nor stops the task';
        return errors.FailOnNoTablesCaptured === true ? undefined : 'FailOnNoTablesCaptured is not true';
      }
      return settings.ValidationSettings?.EnableValidation === true ? undefined : 'validation is off';
    },
    (r) => DMS_REPLICATIONS.includes(r.type),
  ),
  perResource(
    'UH-DMS-009',
    'DMS replication instances take minor version upgrades',
    ['aws_dms_replication_instance'],
    { checkov: ['CKV_AWS_222'], hipaa: HIPAA.integrity },
    (r) => (r.values.auto_minor_version_upgrade !== true ? 'auto_minor_version_upgrade is not true' : undefined),
  ),

  // S3
  perResource(
    'UH-S3-001',
    'Buckets block all public access (all four settings)',
    ['aws_s3_bucket', 'aws_s3_bucket_public_access_block'],
    {
      checkov: ['CKV_AWS_53', 'CKV_AWS_54', 'CKV_AWS_55', 'CKV_AWS_56'],
      trivy: ['AVD-AWS-0086', 'AVD-AWS-0087', 'AVD-AWS-0091', 'AVD-AWS-0093'],
      cdkNag: 'HIPAA.Security-S3BucketLevelPublicAccessProhibited',
      hipaa: HIPAA.access,
    },
    (r, stack) => {
      const block = settingsFor(stack, r, 'aws_s3_bucket_public_access_block')[0];
      const flags = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
      const off = block ? flags.filter((f) => block.values[f] !== true) : flags;
      return off.length ? `not set: ${off.join(', ')}` : undefined;
    },
    isBucket,
  ),
  perResource(
    'UH-S3-002',
    'Buckets encrypt by default with SSE-KMS',
    ['aws_s3_bucket', 'aws_s3_bucket_server_side_encryption_configuration'],
    { checkov: ['CKV_AWS_145'], trivy: ['AVD-AWS-0132'], cdkNag: 'HIPAA.Security-S3DefaultEncryptionKMS', hipaa: HIPAA.encryptRest },
    (r, stack) => {
      const rule = first(settingsFor(stack, r, 'aws_s3_bucket_server_side_encryption_configuration')[0]?.values.rule);
      const byDefault = first(rule?.apply_server_side_encryption_by_default);
      return byDefault?.sse_algorithm !== 'aws:kms' || !byDefault?.kms_master_key_id
        ? `default encryption is ${byDefault?.sse_algorithm ?? 'not configured'}`
        : undefined;
    },
    isBucket,
  ),
  perResource(
    'UH-S3-003',
    'Buckets are versioned',
    ['aws_s3_bucket', 'aws_s3_bucket_versioning'],
    { checkov: ['CKV_AWS_21'], trivy: ['AVD-AWS-0090'], cdkNag: 'HIPAA.Security-S3BucketVersioningEnabled', hipaa: HIPAA.integrity },
    (r, stack) =>
      first(settingsFor(stack, r, 'aws_s3_bucket_versioning')[0]?.values.versioning_configuration)?.status !== 'Enabled'
        ? 'versioning is not enabled'
        : undefined,
    isBucket,
  ),
  perResource(
    'UH-S3-004',
    'Bucket policies refuse requests without TLS',
    ['aws_s3_bucket', 'aws_s3_bucket_policy'],
    { trivy: ['AVD-AWS-0094'], cdkNag: 'HIPAA.Security-S3BucketSSLRequestsOnly', hipaa: HIPAA.transmission },
    (r, stack) => {
      const statements = settingsFor(stack, r, 'aws_s3_bucket_policy').flatMap((p) => statementsOf(stack, p.values.policy) ?? []);
      return statements.some(
        (s) => s.effect === 'Deny' && s.conditions.some((c) => c.variable === 'aws:SecureTransport' && c.values.includes('false')),
      )
        ? undefined
        : 'no deny of aws:SecureTransport false';
    },
    isBucket,
  ),
  perResource(
    'UH-S3-005',
    'Buckets log server access',
    ['aws_s3_bucket', 'aws_s3_bucket_logging'],
    { checkov: ['CKV_AWS_18'], trivy: ['AVD-AWS-0089'], cdkNag: 'HIPAA.Security-S3BucketLoggingEnabled', hipaa: HIPAA.audit },
    (r, stack) => (settingsFor(stack, r, 'aws_s3_bucket_logging').length === 0 ? 'no server access logging' : undefined),
    isBucket,
  ),
  perResource(
    'UH-S3-006',
    'Buckets enforce bucket-owner ownership (no ACLs)',
    ['aws_s3_bucket', 'aws_s3_bucket_ownership_controls'],
    { checkov: ['CKV2_AWS_65'], hipaa: HIPAA.access },
    (r, stack) =>
      first(settingsFor(stack, r, 'aws_s3_bucket_ownership_controls')[0]?.values.rule)?.object_ownership !== 'BucketOwnerEnforced'
        ? 'ownership is not BucketOwnerEnforced'
        : undefined,
    isBucket,
  ),
  perResource(
    'UH-S3-007',
    'Buckets have lifecycle rules that abort incomplete uploads',
    ['aws_s3_bucket', 'aws_s3_bucket_lifecycle_configuration'],
    { checkov: ['CKV2_AWS_61', 'CKV_AWS_300'] },
    (r, stack) => {
      const rules = settingsFor(stack, r, 'aws_s3_bucket_lifecycle_configuration').flatMap((l) => l.values.rule ?? []);
      return rules.some((x: any) => first(x.abort_incomplete_multipart_upload)?.days_after_initiation)
        ? undefined
        : 'no abort of incomplete multipart uploads';
    },
    isBucket,
  ),
  perResource('UH-S3-008', 'Production buckets cannot be force-destroyed', ['aws_s3_bucket'], { hipaa: HIPAA.integrity }, (r, stack) =>
    stack.production && r.values.force_destroy === true ? 'force_destroy is true in production' : undefined,
  ),
  perResource(
    'UH-S3-009',
    'SSE-KMS buckets use bucket keys',
    ['aws_s3_bucket_server_side_encryption_configuration'],
    {},
    (r) => (first(r.values.rule)?.bucket_key_enabled !== true ? 'bucket_key_enabled is not true' : undefined),
    (r) => first(first(r.values.rule)?.apply_server_side_encryption_by_default)?.sse_algorithm === 'aws:kms',
  ),

  // KMS
  perResource(
    'UH-KMS-001',
    'KMS keys rotate',
    ['aws_kms_key'],
    { checkov: ['CKV_AWS_7'], trivy: ['AVD-AWS-0065'], cdkNag: 'HIPAA.Security-KMSBackingKeyRotationEnabled', hipaa: HIPAA.encryptRest },
    (r) => (r.values.enable_key_rotation !== true ? 'rotation is off' : undefined),
  ),
  perResource(
    'UH-KMS-002',
    'KMS keys have an explicit key policy',
    ['aws_kms_key'],
    { checkov: ['CKV2_AWS_64'], hipaa: HIPAA.access },
    (r) => (!r.values.policy ? 'no key policy (the default grants the whole account)' : undefined),
  ),
  perResource(
    'UH-KMS-003',
    'No key policy allows "*" without a condition',
    ['aws_kms_key'],
    { checkov: ['CKV_AWS_33'], trivy: ['AVD-AWS-0057'], hipaa: HIPAA.access },
    (r, stack) =>
      (statementsOf(stack, r.values.policy) ?? []).some(unconditionedStar) ? 'a statement allows "*" unconditionally' : undefined,
  ),

  // Glue
  perResource(
    'UH-GLUE-001',
    'Crawlers run with a security configuration',
    ['aws_glue_crawler'],
    { checkov: ['CKV_AWS_195'], hipaa: HIPAA.encryptRest },
    (r) => (!r.values.security_configuration ? 'no security_configuration' : undefined),
  ),
  perResource(
    'UH-GLUE-002',
    'The Data Catalog is encrypted and returns connection passwords encrypted',
    ['aws_glue_data_catalog_encryption_settings'],
    { checkov: ['CKV_AWS_94'], trivy: ['AVD-AWS-0108'], hipaa: HIPAA.encryptRest },
    (r) => {
      const settings = first(r.values.data_catalog_encryption_settings);
      if (first(settings?.encryption_at_rest)?.catalog_encryption_mode !== 'SSE-KMS') return 'catalog is not SSE-KMS';
      return first(settings?.connection_password_encryption)?.return_connection_password_encrypted !== true
        ? 'connection passwords are returned in clear'
        : undefined;
    },
  ),
  perResource('UH-GLUE-003', 'Crawlers read through Lake Formation credentials', ['aws_glue_crawler'], { hipaa: HIPAA.access }, (r) =>
    first(r.values.lake_formation_configuration)?.use_lake_formation_credentials !== true
      ? 'use_lake_formation_credentials is not true'
      : undefined,
  ),
  perResource(
    'UH-GLUE-004',
    'Glue security configurations encrypt logs, bookmarks and output',
    ['aws_glue_security_configuration'],
    { checkov: ['CKV_AWS_99'], hipaa: HIPAA.encryptRest },
    (r) => {
      const e = first(r.values.encryption_configuration);
      const off = [
        first(e?.cloudwatch_encryption)?.cloudwatch_encryption_mode !== 'SSE-KMS' && 'CloudWatch',
        first(e?.job_bookmarks_encryption)?.job_bookmarks_encryption_mode !== 'CSE-KMS' && 'bookmarks',
        first(e?.s3_encryption)?.s3_encryption_mode !== 'SSE-KMS' && 'S3',
      ].filter(Boolean);
      return off.length ? `not encrypted: ${off.join(', ')}` : undefined;
    },
  ),

  // Athena
  perResource(
    'UH-ATH-001',
    'Athena workgroups enforce their configuration',
    ['aws_athena_workgroup'],
    { checkov: ['CKV_AWS_82'], trivy: ['AVD-AWS-0007'], hipaa: HIPAA.access },
    (r) => (first(r.values.configuration)?.enforce_workgroup_configuration !== true ? 'configuration is not enforced' : undefined),
  ),
  perResource(
    'UH-ATH-002',
    'Athena results are encrypted with KMS',
    ['aws_athena_workgroup'],
    { checkov: ['CKV_AWS_159'], trivy: ['AVD-AWS-0006'], hipaa: HIPAA.encryptRest },
    (r) =>
      first(first(first(r.values.configuration)?.result_configuration)?.encryption_configuration)?.encryption_option !== 'SSE_KMS'
        ? 'results are not SSE_KMS'
        : undefined,
  ),
  perResource('UH-ATH-003', 'Athena workgroups cap the bytes a query scans', ['aws_athena_workgroup'], {}, (r) =>
    !first(r.values.configuration)?.bytes_scanned_cutoff_per_query ? 'no bytes_scanned_cutoff_per_query' : undefined,
  ),

  // Lake Formation
  perResource(
    'UH-LF-001',
    'Lake Formation admins are IAM roles or users, never groups',
    ['aws_lakeformation_data_lake_settings'],
    { hipaa: HIPAA.access },
    (r) => {
      const bad = (r.values.admins ?? []).filter((a: string) => !/(:role\/|:user\/|aws_iam_role\.|aws_iam_user\.)/.test(a));
      return bad.length ? `not a role or user: ${bad.join(', ')}` : undefined;
    },
  ),
  perResource(
    'UH-LF-002',
    'No IAMAllowedPrincipals default permissions (Lake Formation mode)',
    ['aws_lakeformation_data_lake_settings'],
    { hipaa: HIPAA.access },
    (r) => {
      const defaults = [...(r.values.create_database_default_permissions ?? []), ...(r.values.create_table_default_permissions ?? [])];
      return defaults.some((d: any) => d.principal === 'IAM_ALLOWED_PRINCIPALS') ? 'IAMAllowedPrincipals keeps IAM-only access' : undefined;
    },
  ),
  perResource('UH-LF-003', 'No grant to IAMAllowedPrincipals', ['aws_lakeformation_permissions'], { hipaa: HIPAA.access }, (r) =>
    r.values.principal === 'IAM_ALLOWED_PRINCIPALS' ? 'grant to IAMAllowedPrincipals' : undefined,
  ),
  perResource(
    'UH-LF-004',
    'Registered locations are not in hybrid access mode',
    ['aws_lakeformation_resource'],
    { hipaa: HIPAA.access },
    (r) => (r.values.hybrid_access_enabled === true ? 'hybrid access is on' : undefined),
  ),
  perResource(
    'UH-LF-005',
    'Locations are registered with a dedicated role',
    ['aws_lakeformation_resource'],
    { hipaa: HIPAA.access },
    (r) => (r.values.use_service_linked_role !== false || !r.values.role_arn ? 'uses the service-linked role' : undefined),
  ),
  perResource(
    'UH-LF-006',
    'Readers never get a contract direct-identifier column (only the crawler and the release smoke runner read them all)',
    ['aws_lakeformation_permissions'],
    { hipaa: HIPAA.minimum },
    (r, stack) => {
      const permissions: string[] = r.values.permissions ?? [];
      if (!permissions.some((p) => ['SELECT', 'ALL'].includes(p))) return undefined;
      const onTable = first(r.values.table);
      const onColumns = first(r.values.table_with_columns);
      const name = tableNameOf(stack, onColumns?.name ?? onTable?.name);
      const identifiers = name ? (DIRECT_IDENTIFIERS.get(name) ?? []) : [];
      if (onTable?.wildcard === true) return 'SELECT on every table of a database';
      if (identifiers.length === 0) return undefined;
      if (onTable) return `SELECT on all columns of ${name}`;
      const granted: string[] = onColumns.column_names ?? [];
      const excluded: string[] = onColumns.excluded_column_names ?? [];
      const leaked = onColumns.wildcard ? identifiers.filter((c) => !excluded.includes(c)) : identifiers.filter((c) => granted.includes(c));
      return leaked.length ? `grants ${leaked.join(', ')}` : undefined;
    },
    (r, stack) =>
      !PHI_READER_ROLE.test(String(referenced(stack, r.values.principal)?.values.name ?? r.values.principal)) &&
      !isLakeAdmin(stack, r.values.principal),
  ),
  stackRule(
    'UH-LF-007',
    'The account baseline holds the Lake Formation settings, once, giving no principal default permissions',
    ['aws_lakeformation_data_lake_settings'],
    {
      hipaa: HIPAA.access,
      aws: [
        'https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_PutDataLakeSettings.html',
        'https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html',
      ],
    },
    (stack) => {
      const settings = of(stack, 'aws_lakeformation_data_lake_settings');
      if (settings.length !== 1) return `${settings.length} Lake Formation settings: the account baseline holds exactly one`;
      // IAMAllowedPrincipals defaults are UH-LF-002's; any other principal would get ALL on every new table, past the column grants.
      const granted = [
        ...(settings[0].values.create_database_default_permissions ?? []),
        ...(settings[0].values.create_table_default_permissions ?? []),
      ].filter((d: any) => d.principal !== 'IAM_ALLOWED_PRINCIPALS');
      return granted.length
        ? `default permissions give every new database or table to ${granted.map((d: any) => d.principal).join(', ')}`
        : undefined;
    },
    scoped('account'),
  ),

  perResource(
    'UH-LF-008',
    'The change log (every row ever, deleted ones included) is granted only to the merge, the crawler and the lake admins',
    ['aws_lakeformation_permissions'],
    { hipaa: HIPAA.minimum },
    (r, stack) => {
      const role = principalRoleName(stack, r.values.principal);
      return CHANGE_LOG_READER_ROLE.test(role)
        ? undefined
        : `grants ${role} the change log (${grantDatabaseOf(stack, r)}): readers get the current state`;
    },
    (r, stack) => isChangeLogDatabase(grantDatabaseOf(stack, r)),
  ),

  // Glue: what readers query
  perResource(
    'UH-GLUE-005',
    'Tables outside the change-log database are Apache Iceberg current-state tables, so readers see every update and delete',
    ['aws_glue_catalog_table'],
    { hipaa: HIPAA.integrity },
    (r) =>
      first(first(r.values.open_table_format_input)?.iceberg_input) === undefined
        ? 'not an Iceberg table: an append-only table shows an updated row twice and a deleted row still'
        : undefined,
    (r, stack) => !isChangeLogDatabase(databaseNameOf(stack, r.values.database_name)),
  ),

  // Step Functions
  perResource(
    'UH-SFN-001',
    'State machines log every execution, never its data (state inputs and outputs can hold rows), to a KMS-encrypted log group',
    ['aws_sfn_state_machine', 'aws_cloudwatch_log_group'],
    { checkov: ['CKV_AWS_285'], hipaa: HIPAA.audit },
    (r, stack) => {
      const logging = first(r.values.logging_configuration);
      if (!['ALL', 'ERROR'].includes(logging?.level)) return `logging level ${logging?.level ?? 'OFF'} does not record failed executions`;
      if (logging.include_execution_data !== false) return 'include_execution_data is not false: state inputs and outputs reach the logs';
      const group = /^\$\{(aws_cloudwatch_log_group\.[^.}]+)\.arn\}(:\*)?$/.exec(String(logging.log_destination ?? ''));
      const logGroup = group ? indexOf(stack).at(group[1]) : undefined;
      if (!logGroup) return 'the log destination is not a log group of this stack';
      return logGroup.values.kms_key_id ? undefined : `${logGroup.address} is not encrypted with a KMS key`;
    },
    (r) => r.type === 'aws_sfn_state_machine',
  ),

  // Redshift Serverless
  perResource(
    'UH-RS-001',
    'Redshift namespaces are encrypted with a customer-managed key',
    ['aws_redshiftserverless_namespace'],
    { checkov: ['CKV_AWS_282'], hipaa: HIPAA.encryptRest },
    (r) => (!r.values.kms_key_id ? 'no kms_key_id' : undefined),
  ),
  perResource(
    'UH-RS-002',
    'The Redshift admin password is managed by AWS',
    ['aws_redshiftserverless_namespace'],
    { hipaa: HIPAA.auth },
    (r) =>
      r.values.admin_user_password !== undefined
        ? 'admin_user_password is in the configuration'
        : r.values.manage_admin_password !== true
          ? 'manage_admin_password is not true'
          : undefined,
  ),
  perResource(
    'UH-RS-003',
    'Redshift workgroups are not publicly accessible',
    ['aws_redshiftserverless_workgroup'],
    { checkov: ['CKV_AWS_87'], cdkNag: 'HIPAA.Security-RedshiftClusterPublicAccess', hipaa: HIPAA.access },
    (r) => (r.values.publicly_accessible !== false ? 'publicly_accessible is not false' : undefined),
  ),
  perResource(
    'UH-RS-004',
    'Redshift workgroups use enhanced VPC routing',
    ['aws_redshiftserverless_workgroup'],
    { checkov: ['CKV_AWS_321'], cdkNag: 'HIPAA.Security-RedshiftEnhancedVPCRoutingEnabled', hipaa: HIPAA.transmission },
    (r) => (r.values.enhanced_vpc_routing !== true ? 'enhanced_vpc_routing is not true' : undefined),
  ),
  perResource(
    'UH-RS-005',
    'Redshift workgroups require TLS',
    ['aws_redshiftserverless_workgroup'],
    { cdkNag: 'HIPAA.Security-RedshiftRequireTlsSSL', hipaa: HIPAA.transmission },
    (r) =>
      (r.values.config_parameter ?? []).some((p: any) => p.parameter_key === 'require_ssl' && String(p.parameter_value) === 'true')
        ? undefined
        : 'require_ssl is not true',
  ),
  stackRule(
    'UH-RS-006',
    'Every Redshift workgroup has a usage limit',
    ['aws_redshiftserverless_workgroup', 'aws_redshiftserverless_usage_limit'],
    {},
    (stack) => {
      const limited = new Set(
        of(stack, 'aws_redshiftserverless_usage_limit').map((u) => referenced(stack, u.values.resource_arn)?.address),
      );
      const bare = of(stack, 'aws_redshiftserverless_workgroup').filter((w) => !limited.has(w.address));
      return bare.length ? `no usage limit: ${bare.map((w) => w.address).join(', ')}` : undefined;
    },
  ),

  // Account baseline
  stackRule(
    'UH-ACC-001',
    'Environment stacks hold no account-wide singleton: it belongs to the account baseline',
    [...ACCOUNT_SINGLETON_TYPES, 'aws_iam_role', 'aws_iam_group', 'aws_iam_group_policy', 'aws_iam_group_membership'],
    {
      hipaa: HIPAA.integrity,
      aws: [
        'https://docs.aws.amazon.com/dms/latest/userguide/security-iam.html#CHAP_Security.APIRole',
        'https://docs.aws.amazon.com/glue/latest/dg/encrypt-glue-data-catalog.html',
        'https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_PutDataLakeSettings.html',
      ],
    },
    (stack) => {
      const groupOf = (r: Resource): unknown => referenced(stack, r.values.group)?.values.name ?? r.values.group;
      const singletons = stack.resources.filter(
        (r) =>
          ACCOUNT_SINGLETON_TYPES.includes(r.type) ||
          (r.type === 'aws_iam_role' && ACCOUNT_FIXED_ROLE_NAMES.includes(r.values.name)) ||
          (r.type === 'aws_iam_group' && ACCOUNT_GROUP_NAMES.includes(r.values.name)) ||
          (['aws_iam_group_policy', 'aws_iam_group_membership'].includes(r.type) && ACCOUNT_GROUP_NAMES.includes(groupOf(r) as string)),
      );
      return singletons.length
        ? `account-wide, owned by the account baseline: ${singletons.map((r) => `${r.address}${r.values.name ? ` (${r.values.name})` : ''}`).join(', ')}`
        : undefined;
    },
    scoped('environment'),
  ),

  // IAM
  {
    id: 'UH-IAM-001',
    title: 'No IAM policy allows the "*" action',
    resourceTypes: ['aws_iam_role_policy', 'aws_iam_group_policy', 'aws_iam_user_policy', 'aws_iam_policy'],
    sources: {
      checkov: ['CKV_AWS_62', 'CKV_AWS_63', 'CKV_AWS_286'],
      trivy: ['AVD-AWS-0057'],
      cdkNag: 'HIPAA.Security-IAMNoInlinePolicy',
      hipaa: HIPAA.access,
    },
    evaluate: (stack) =>
      allPolicies(stack)
        .filter((p) => p.attribute === 'policy' && p.resource.type.startsWith('aws_iam_'))
        .map(({ resource, statements }) => {
          const star = statements.some((s) => allows(s) && s.actions.some((a) => a === '*' || a === '*:*'));
          return { rule: 'UH-IAM-001', resource: resource.address, pass: !star, reason: star ? 'allows "*"' : 'ok' };
        }),
  },
  perResource(
    'UH-IAM-002',
    'No AdministratorAccess or IAMFullAccess',
    ['aws_iam_role_policy_attachment', 'aws_iam_group_policy_attachment', 'aws_iam_user_policy_attachment', 'aws_iam_policy_attachment'],
    { checkov: ['CKV_AWS_274'], cdkNag: 'HIPAA.Security-IAMNoInlinePolicy', hipaa: HIPAA.access },
    (r) => (/policy\/(AdministratorAccess|IAMFullAccess)$/.test(r.values.policy_arn ?? '') ? `attaches ${r.values.policy_arn}` : undefined),
  ),
  stackRule('UH-IAM-003', 'No IAM access keys', ['aws_iam_access_key'], { trivy: ['AVD-AWS-0144'], hipaa: HIPAA.auth }, (stack) =>
    of(stack, 'aws_iam_access_key').length ? 'access keys are created' : undefined,
  ),
  stackRule(
    'UH-IAM-004',
    'No policies attached to users',
    ['aws_iam_user_policy', 'aws_iam_user_policy_attachment'],
    { checkov: ['CKV_AWS_40'], trivy: ['AVD-AWS-0143'], cdkNag: 'HIPAA.Security-IAMUserNoPolicies', hipaa: HIPAA.access },
    (stack) => (of(stack, 'aws_iam_user_policy', 'aws_iam_user_policy_attachment').length ? 'policies are attached to users' : undefined),
  ),
  perResource(
    'UH-IAM-005',
    'LakeAdministrators reach the lake-admin role only with MFA',
    ['aws_iam_group_policy'],
    { cdkNag: 'HIPAA.Security-IAMUserGroupMembership', hipaa: HIPAA.auth },
    (r, stack) => {
      const assumes = (statementsOf(stack, r.values.policy) ?? []).filter((s) => allows(s) && s.actions.includes('sts:AssumeRole'));
      return assumes.every((s) => s.conditions.some((c) => c.variable === 'aws:MultiFactorAuthPresent' && c.values.includes('true')))
        ? undefined
        : 'sts:AssumeRole without MFA';
    },
    (r, stack) => referenced(stack, r.values.group)?.values.name === 'LakeAdministrators' || r.values.group === 'LakeAdministrators',
  ),

  perResource(
    'UH-IAM-006',
    'Schedules only start state machines: each targets one, through a role allowed nothing but states:StartExecution on scheduled state machines',
    ['aws_scheduler_schedule', 'aws_iam_role_policy', 'aws_iam_role_policy_attachment'],
    {
      hipaa: HIPAA.access,
      aws: [
        'https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html',
        'https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role',
      ],
    },
    (r, stack) => {
      const target = first(r.values.target);
      if (referenced(stack, target?.arn)?.type !== 'aws_sfn_state_machine') return 'the target is not a state machine of this stack';
      const role = referenced(stack, target?.role_arn);
      if (role?.type !== 'aws_iam_role') return 'the role is not a role of this stack, so its permissions cannot be checked';
      const ofRole = (type: string): Resource[] => referringOrNaming(stack, type, 'role', role, role.values.name);
      if (ofRole('aws_iam_role_policy_attachment').length > 0) return `${role.address} has managed policies attached`;
      const scheduled = indexOf(stack).derive(
        'UH-IAM-006 scheduled state machines',
        () =>
          new Set(of(stack, 'aws_scheduler_schedule').map((schedule) => referenced(stack, first(schedule.values.target)?.arn)?.address)),
      );
      const statements = ofRole('aws_iam_role_policy')
        .flatMap((p) => statementsOf(stack, p.values.policy) ?? [])
        .filter(allows);
      const wider = statements.filter(
        (st) =>
          st.actions.some((a) => a !== 'states:StartExecution') ||
          st.resources.some((resource) => {
            const machine = referenced(stack, resource);
            return machine?.type !== 'aws_sfn_state_machine' || !scheduled.has(machine.address);
          }),
      );
      return wider.length
        ? `${role.address} may do more than start scheduled state machines (${wider.map((st) => st.sid ?? st.actions.join(',')).join(', ')})`
        : undefined;
    },
    (r) => r.type === 'aws_scheduler_schedule',
  ),

  // Secrets, logs, provider, alerts
  perResource(
    'UH-SEC-001',
    'Secrets are encrypted with a customer-managed key',
    ['aws_secretsmanager_secret'],
    { checkov: ['CKV_AWS_149'], trivy: ['AVD-AWS-0098'], hipaa: HIPAA.encryptRest },
    (r) => (!r.values.kms_key_id ? 'uses the AWS-managed key' : undefined),
  ),
  perResource(
    'UH-LOG-001',
    'Log groups are encrypted with KMS',
    ['aws_cloudwatch_log_group'],
    { checkov: ['CKV_AWS_158'], trivy: ['AVD-AWS-0017'], cdkNag: 'HIPAA.Security-CloudWatchLogGroupEncrypted', hipaa: HIPAA.encryptRest },
    (r) => (!r.values.kms_key_id ? 'no kms_key_id' : undefined),
  ),
  perResource(
    'UH-LOG-002',
    'Log groups keep at least a year',
    ['aws_cloudwatch_log_group'],
    { checkov: ['CKV_AWS_338'], cdkNag: 'HIPAA.Security-CloudWatchLogGroupRetentionPeriod', hipaa: HIPAA.audit },
    (r) => ((r.values.retention_in_days ?? 0) < 365 ? `retention ${r.values.retention_in_days ?? 'unset'}` : undefined),
  ),
  stackRule(
    'UH-PRV-001',
    'The provider holds no static credentials',
    ['provider.aws'],
    { checkov: ['CKV_AWS_41'], hipaa: HIPAA.auth },
    (stack) => (stack.provider.access_key || stack.provider.secret_key ? 'static credentials in the provider block' : undefined),
  ),
  stackRule('UH-PRV-002', 'The provider sets default tags', ['provider.aws'], {}, (stack) =>
    Object.keys(first(stack.provider.default_tags)?.tags ?? {}).length === 0 ? 'no default_tags' : undefined,
  ),
  stackRule(
    'UH-MON-001',
    'A cost budget with alerts exists',
    ['aws_budgets_budget'],
    { hipaa: HIPAA.review },
    (stack) =>
      of(stack, 'aws_budgets_budget').some((b) => (b.values.notification ?? []).length > 0) ? undefined : 'no budget with notifications',
    // The budgets are the environments'; an account baseline runs nothing billed by use.
    (stack) => stack.scope !== 'account',
  ),
  stackRule(
    'UH-MON-002',
    'Pipeline failures alert someone (DMS events, and a failure of every crawler, to a topic)',
    ['aws_dms_event_subscription', 'aws_cloudwatch_event_rule', 'aws_dms_replication_config', 'aws_glue_crawler'],
    { hipaa: HIPAA.review },
    (stack) => {
      if (of(stack, 'aws_dms_replication_task').length && !of(stack, 'aws_dms_event_subscription').length)
        return 'no DMS event subscription';
      const eventPatterns = of(stack, 'aws_cloudwatch_event_rule').map((rule) => String(rule.values.event_pattern ?? ''));
      // A serverless replication is no event-subscription source: its state changes reach EventBridge, named by ARN.
      // Every mention is read out of the patterns once (`${address.arn}`, `"arn"`), then looked up for each one.
      const replications = of(stack, 'aws_dms_replication_config');
      const replicationPatterns = eventPatterns.filter((pattern) => pattern.includes('DMS Replication State Change'));
      const arnOf = (config: Resource): string => `${config.values.arn}`;
      const replicationReferences = heldIn(
        replicationPatterns,
        '${',
        '.arn}',
        replications.map((c) => c.address),
      );
      const replicationArns = heldIn(replicationPatterns, '"', '"', replications.map(arnOf));
      const unwatchedReplications = replications.filter(
        (config) => !replicationReferences.has(config.address) && (config.values.arn === undefined || !replicationArns.has(arnOf(config))),
      );
      if (unwatchedReplications.length)
        return `no DMS replication state-change rule for ${unwatchedReplications.map((c) => c.address).join(', ')}`;
      const patterns = eventPatterns.filter((pattern) => pattern.includes('Glue Crawler State Change'));
      // A pattern names a crawler by a reference in a synthesized stack (`${address.name}`), by its name in a plan
      // (`"name"`): every such mention is read out of the patterns once, then looked up for each crawler.
      const crawlers = of(stack, 'aws_glue_crawler');
      const nameOf = (crawler: Resource): string => `${crawler.values.name}`;
      const byReference = heldIn(
        patterns,
        '${',
        '.name}',
        crawlers.map((c) => c.address),
      );
      const byName = heldIn(patterns, '"', '"', crawlers.map(nameOf));
      const unwatched = crawlers.filter((crawler) => !byReference.has(crawler.address) && !byName.has(nameOf(crawler)));
      return unwatched.length ? `no crawler failure rule for ${unwatched.map((c) => c.address).join(', ')}` : undefined;
    },
  ),
  stackRule(
    'UH-MON-004',
    'Every state machine alarms on a failed execution, and one started by a rate schedule also when no execution succeeds for a while',
    ['aws_sfn_state_machine', 'aws_cloudwatch_metric_alarm', 'aws_scheduler_schedule'],
    {
      hipaa: HIPAA.review,
      aws: [
        'https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html',
        'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data',
      ],
    },
    (stack) => {
      const stateMachines = of(stack, 'aws_sfn_state_machine');
      const alarms = mentioning(of(stack, 'aws_cloudwatch_metric_alarm'), (a) => a.values.dimensions, stateMachines);
      const rateSchedules = mentioning(
        of(stack, 'aws_scheduler_schedule').filter((schedule) => /^rate\(/.test(schedule.values.schedule_expression ?? '')),
        (schedule) => first(schedule.values.target)?.arn,
        stateMachines,
      );
      const alarmsOn = (stateMachine: Resource, metric: string): Resource[] =>
        (alarms.get(stateMachine.address) ?? []).filter(
          (a) => a.values.namespace === 'AWS/States' && a.values.metric_name === metric && (a.values.alarm_actions ?? []).length > 0,
        );
      const problems: string[] = [];
      for (const stateMachine of stateMachines) {
        const failed = alarmsOn(stateMachine, 'ExecutionsFailed').filter(
          (a) => a.values.comparison_operator === 'GreaterThanThreshold' && Number(a.values.threshold) === 0,
        );
        if (failed.length === 0) problems.push(`${stateMachine.address} has no alarm on ExecutionsFailed > 0`);
        const byRate = rateSchedules.has(stateMachine.address);
        const stale = alarmsOn(stateMachine, 'ExecutionsSucceeded').filter(
          (a) => a.values.comparison_operator === 'LessThanThreshold' && a.values.treat_missing_data === 'breaching',
        );
        if (byRate && stale.length === 0) {
          problems.push(`${stateMachine.address} runs on a rate but nothing alarms when no execution succeeds (missing data breaching)`);
        }
      }
      return problems.length ? problems.join('; ') : undefined;
    },
    (stack) => of(stack, 'aws_sfn_state_machine').length > 0,
  ),
  perResource(
    'UH-MON-003',
    'SNS topics are encrypted with KMS',
    ['aws_sns_topic'],
    { checkov: ['CKV_AWS_26'], trivy: ['AVD-AWS-0095'], cdkNag: 'HIPAA.Security-SNSEncryptedKMS', hipaa: HIPAA.encryptRest },
    (r) => (!r.values.kms_master_key_id ? 'no kms_master_key_id' : undefined),
  ),
];

/** Every rule: the HIPAA-minded ones, then the AWS service constraints the platform depends on. */
export const RULES: readonly Rule[] = [...HIPAA_RULES, ...AWS_SERVICE_RULES];
