/* eslint-disable @typescript-eslint/no-explicit-any */
import { AwsEnvironment, awsEnvironment } from '../../stacks/core/aws-environment';
import { documentedTrust } from '../../stacks/core/trusted-services';
import { PolicyStatement, Resource, StackModel, referenced, statementsOf } from './model';
import { Rule, first, list, of, perResource, referringOrNaming, settingsFor, stackRule } from './rule-kit';
import { groupBy, indexOf } from './stack-index';

/*
 * AWS service constraints: what AWS (or the Terraform provider) requires of a configuration that is otherwise valid,
 * where breaking it fails an apply, a run, or quietly loses a safeguard. Each rule cites the page or issue that
 * states the constraint (`sources.aws`), and every rule reads a synthesized stack and a plan alike.
 */

const DMS_GUIDE = 'https://docs.aws.amazon.com/dms/latest/userguide';
const PROVIDER = 'https://github.com/hashicorp/terraform-provider-aws';

/** What runs a DMS replication: a task on a replication instance, or a DMS Serverless replication configuration. */
export const DMS_REPLICATIONS: readonly string[] = ['aws_dms_replication_task', 'aws_dms_replication_config'];

/** The task settings of either: `replication_task_settings` of a task, `replication_settings` of a serverless one. */
export function dmsSettingsOf(r: { readonly values: Record<string, any> }): string | undefined {
  return r.values.replication_task_settings ?? r.values.replication_settings;
}

const allows = (s: PolicyStatement): boolean => s.effect === 'Allow';
const denies = (s: PolicyStatement): boolean => s.effect === 'Deny';
const toEveryone = (s: PolicyStatement): boolean => s.principals.some((p) => p.identifiers.includes('*'));

/** Whether a policy action (`s3:*`, `s3:Put*`, `s3:PutObject`) covers `action`; IAM compares actions without case. */
function coversAction(granted: string, action: string): boolean {
  const pattern = new RegExp(`^${granted.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return granted === '*' || pattern.test(action);
}
const grantsAction = (statements: readonly PolicyStatement[], action: string): boolean =>
  statements.some((s) => s.actions.some((a) => coversAction(a, action)));

/** Account, region and partition of a stack, from its provider; the account is undefined in an offline plan. */
function stackEnvironment(stack: StackModel): AwsEnvironment & { readonly accountKnown: boolean } {
  const account = list<string>(stack.provider.allowed_account_ids)[0];
  const env = awsEnvironment(account ?? '', String(stack.provider.region ?? 'us-east-1'));
  return { ...env, accountKnown: account !== undefined };
}

/** A value as an S3 ARN: `${aws_s3_bucket.x.arn}` and what follows it, resolved to `arn:<partition>:s3:::<bucket>...`. */
function s3Arn(stack: StackModel, value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\$\{(aws_s3_bucket\.[^.]+)\.arn\}(.*)$/.exec(value);
  if (!match) return value;
  const bucket = indexOf(stack).at(match[1]);
  return bucket ? `arn:${stackEnvironment(stack).partition}:s3:::${bucket.values.bucket}${match[2]}` : value;
}

/** The bucket an S3 ARN or location names. */
const bucketOfArn = (arn: string | undefined): string | undefined => /^arn:[^:]+:s3:::([^/]+)/.exec(arn ?? '')?.[1];

/** The name of the role a value names: a reference to a role of the stack, or a role ARN (its path left out). */
function roleNameOf(stack: StackModel, value: unknown): string | undefined {
  const role = referenced(stack, value);
  if (role?.type === 'aws_iam_role') return role.values.name;
  return typeof value === 'string' ? /:role\/(?:.*\/)?([^/]+)$/.exec(value)?.[1] : undefined;
}

/** The statements of a role's inline policies (aws_iam_role_policy), by reference or by role name. */
function rolePolicyStatements(stack: StackModel, role: Resource): PolicyStatement[] {
  return referringOrNaming(stack, 'aws_iam_role_policy', 'role', role, role.values.name).flatMap(
    (p) => statementsOf(stack, p.values.policy) ?? [],
  );
}

/** The roles a negated aws:PrincipalArn condition exempts from a Deny, by name; undefined when it has none. */
function exemptRoleNames(stack: StackModel, statement: PolicyStatement): string[] | undefined {
  const exemption = statement.conditions.find((c) => c.variable.toLowerCase() === 'aws:principalarn' && /^(ArnNot|StringNot)/.test(c.test));
  return exemption?.values.map((value) => roleNameOf(stack, value) ?? value);
}

interface RegisteredLocation {
  readonly arn: string;
  readonly roleName?: string;
}

/** The Lake Formation locations registered in a bucket, each with the name of the role it is registered with. */
function registeredLocations(stack: StackModel, bucketName: string): readonly RegisteredLocation[] {
  const byBucket = indexOf(stack).derive('registered locations by bucket', () =>
    groupBy(
      of(stack, 'aws_lakeformation_resource').map(
        (r): RegisteredLocation => ({ arn: s3Arn(stack, r.values.arn) ?? '', roleName: roleNameOf(stack, r.values.role_arn) }),
      ),
      (location) => bucketOfArn(location.arn),
    ),
  );
  return byBucket.get(bucketName) ?? [];
}

/** The bucket of the stack with a name. */
const bucketNamed = (stack: StackModel, bucketName: string | undefined): Resource | undefined =>
  indexOf(stack).withValue('aws_s3_bucket', 'bucket', bucketName)[0];

/** The exemptions of a Deny must be exactly among `allowed` and include every name of `required`. */
function exemptionProblem(
  exempt: readonly string[],
  allowed: readonly string[],
  required: readonly string[],
  what: string,
): string | undefined {
  const extra = exempt.filter((name) => !allowed.includes(name));
  if (extra.length) return `also lets ${extra.join(', ')} ${what} directly, past Lake Formation`;
  const missing = required.filter((name) => !exempt.includes(name));
  return missing.length
    ? `denies the registration role ${missing.join(', ')} too: Athena, Redshift Spectrum and the crawlers read as it`
    : undefined;
}

/**
 * SSL modes each DMS source engine supports, from the "SSL support for an AWS DMS endpoint" table: `require` is
 * "Not supported" for MySQL, MariaDB and Aurora MySQL, for example. Engines the table does not list are not judged.
 */
export const DMS_SSL_MODES: Readonly<Record<string, readonly string[]>> = {
  mysql: ['none', 'verify-ca', 'verify-full'],
  mariadb: ['none', 'verify-ca', 'verify-full'],
  aurora: ['none', 'verify-ca', 'verify-full'],
  sqlserver: ['none', 'require', 'verify-full'],
  postgres: ['none', 'require', 'verify-ca', 'verify-full'],
  'aurora-postgresql': ['none', 'require', 'verify-ca', 'verify-full'],
  redshift: ['none'],
  oracle: ['none', 'verify-ca'],
  sybase: ['none', 'verify-full'],
  mongodb: ['none', 'require', 'verify-full'],
  db2: ['none', 'verify-ca'],
};

/** What an S3 target's role must be allowed, by the DMS prerequisites. */
export const DMS_S3_TARGET_ACTIONS = ['s3:PutObject', 's3:DeleteObject', 's3:PutObjectTagging', 's3:ListBucket'];

/** Every parameter GetWorkgroup returns that provider 5.100.0 can declare (enable_large_strings_opt_in it cannot). */
export const REDSHIFT_WORKGROUP_PARAMETER_KEYS = [
  'auto_mv',
  'datestyle',
  'enable_case_sensitive_identifier',
  'enable_user_activity_logging',
  'max_query_execution_time',
  'query_group',
  'require_ssl',
  'search_path',
  'use_fips_ssl',
];

const LAKE_OBJECT_READS = ['s3:GetObject', 's3:GetObjectVersion'];

/** What Athena's commits to an Iceberg table rewrite in its catalog entry: the metadata pointers and the columns. */
const ICEBERG_CATALOG_ENTRIES = ['parameters', 'storage_descriptor'];

/** The header DMS offers as a change sequence: orders every change, two of one row in one transaction included. */
const CHANGE_SEQUENCE_HEADER = '$AR_H_CHANGE_SEQ';

/** The "AWS service constraints" family: `UH-AWS-<SERVICE>-NNN`. */
export const AWS_SERVICE_RULES: readonly Rule[] = [
  perResource(
    'UH-AWS-GLUE-001',
    'A crawler with Lake Formation credentials has one catalog target with one table',
    ['aws_glue_crawler'],
    {
      aws: [
        'https://docs.aws.amazon.com/glue/latest/dg/crawler-lf-integ.html',
        'https://docs.aws.amazon.com/glue/latest/webapi/API_LakeFormationConfiguration.html',
      ],
    },
    (r) => {
      const targets = list<any>(r.values.catalog_target);
      const tables = targets.flatMap((target) => list<string>(target.tables));
      if (targets.length === 0 || (targets.length === 1 && tables.length === 1)) return undefined;
      return `${targets.length} catalog target(s) with ${tables.length} table(s): with Lake Formation credentials Glue allows one target with one table`;
    },
    (r) => first(r.values.lake_formation_configuration)?.use_lake_formation_credentials === true,
  ),

  perResource(
    'UH-AWS-GLUE-002',
    'An Iceberg table is created as format version 2, the only one Athena writes, and leaves to Athena what its commits rewrite',
    ['aws_glue_catalog_table'],
    {
      aws: [
        'https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg.html',
        'https://docs.aws.amazon.com/glue/latest/webapi/API_IcebergInput.html',
        `${PROVIDER}/issues/33370`,
        `${PROVIDER}/issues/36641`,
        'https://github.com/apache/iceberg/pull/3352',
      ],
    },
    (r, stack) => {
      const iceberg = first(first(r.values.open_table_format_input)?.iceberg_input);
      if (iceberg.metadata_operation !== 'CREATE' || String(iceberg.version) !== '2') {
        return `metadata_operation ${iceberg.metadata_operation}, version ${iceberg.version ?? 'unset'}: Athena operates on Iceberg v2 tables only`;
      }
      // A plan does not carry lifecycle blocks; the synthesized stack is where this is checked.
      if (!stack.lifecycleKnown) return undefined;
      const ignored = list<string>(first(r.values.lifecycle)?.ignore_changes);
      const missing = ICEBERG_CATALOG_ENTRIES.filter((entry) => !ignored.includes(entry));
      return missing.length
        ? `lifecycle.ignore_changes lacks ${missing.join(', ')}: every Athena commit rewrites them, and an apply would overwrite what the last commit wrote`
        : undefined;
    },
    (r) => first(first(r.values.open_table_format_input)?.iceberg_input) !== undefined,
  ),

  perResource(
    'UH-AWS-DMS-001',
    'DMS endpoints use an SSL mode their engine supports, and a verifying mode names the CA certificate',
    ['aws_dms_endpoint'],
    {
      aws: [
        `${DMS_GUIDE}/CHAP_Security.SSL.html`,
        'https://github.com/awsdocs/aws-dms-user-guide/blob/master/doc_source/CHAP_Security.SSL.md',
        'https://docs.aws.amazon.com/dms/latest/APIReference/API_CreateEndpoint.html',
      ],
    },
    (r) => {
      const mode = r.values.ssl_mode ?? 'none';
      const supported = DMS_SSL_MODES[r.values.engine_name];
      if (supported && !supported.includes(mode)) {
        return `ssl_mode ${mode} is not supported for ${r.values.engine_name} (DMS supports ${supported.join(', ')})`;
      }
      return mode.startsWith('verify-') && !r.values.certificate_arn
        ? `ssl_mode ${mode} needs the CA certificate (certificate_arn)`
        : undefined;
    },
  ),

  perResource(
    'UH-AWS-DMS-002',
    "An S3 target's role trusts dms.amazonaws.com and may put, tag and delete objects and list the bucket",
    ['aws_dms_s3_endpoint', 'aws_iam_role_policy'],
    {
      aws: [
        `${DMS_GUIDE}/CHAP_Target.S3.html#CHAP_Target.S3.Prerequisites`,
        'https://github.com/terraform-aws-modules/terraform-aws-dms/blob/master/main.tf',
      ],
    },
    (r, stack) => {
      const role = referenced(stack, r.values.service_access_role_arn);
      if (role?.type !== 'aws_iam_role') return 'service_access_role_arn is not a role of this stack, so its permissions cannot be checked';
      const trust = statementsOf(stack, role.values.assume_role_policy) ?? [];
      const trustsDms = trust.some(
        (s) => allows(s) && s.actions.includes('sts:AssumeRole') && s.principals.some((p) => p.identifiers.includes('dms.amazonaws.com')),
      );
      if (!trustsDms) return `${role.address} does not trust dms.amazonaws.com`;
      const granted = rolePolicyStatements(stack, role).filter(allows);
      const missing = DMS_S3_TARGET_ACTIONS.filter((action) => !grantsAction(granted, action));
      return missing.length ? `${role.address} lacks ${missing.join(', ')}` : undefined;
    },
    (r) => r.type === 'aws_dms_s3_endpoint',
  ),

  perResource(
    'UH-AWS-DMS-003',
    'No DMS data validation on a task or serverless replication into S3 (it needs Athena and Glue, and fails on a Lake Formation location)',
    ['aws_dms_replication_task', 'aws_dms_replication_config', 'aws_dms_s3_endpoint'],
    {
      aws: [`${DMS_GUIDE}/CHAP_Validating_S3.html`, `${DMS_GUIDE}/CHAP_Validating.html`],
    },
    (r) => {
      try {
        return JSON.parse(dmsSettingsOf(r) ?? '{}').ValidationSettings?.EnableValidation === true
          ? 'EnableValidation is true on a replication whose target is S3'
          : undefined;
      } catch {
        return 'task settings are not JSON';
      }
    },
    (r, stack) => DMS_REPLICATIONS.includes(r.type) && referenced(stack, r.values.target_endpoint_arn)?.type === 'aws_dms_s3_endpoint',
  ),

  perResource(
    'UH-AWS-DMS-004',
    'A DMS event subscription is created after the topic policy that lets DMS publish',
    ['aws_dms_event_subscription', 'aws_sns_topic_policy'],
    {
      aws: [
        'https://docs.aws.amazon.com/dms/latest/APIReference/API_CreateEventSubscription.html',
        `${DMS_GUIDE}/CHAP_Events.html`,
        'https://github.com/ministryofjustice/modernisation-platform/pull/8412',
      ],
    },
    (r, stack) => {
      const topic = referenced(stack, r.values.sns_topic_arn);
      const policies = topic ? referringOrNaming(stack, 'aws_sns_topic_policy', 'arn', topic, r.values.sns_topic_arn) : [];
      if (policies.length === 0) return 'no topic policy in this stack lets DMS publish to the topic';
      const unordered = policies.filter((p) => !r.dependsOn.includes(p.address));
      return unordered.length
        ? `does not depend on ${unordered.map((p) => p.address).join(', ')} (SNSNoAuthorizationFault on create)`
        : undefined;
    },
    (r) => r.type === 'aws_dms_event_subscription',
  ),

  perResource(
    'UH-AWS-DMS-005',
    'DMS CDC-latency alarms do not treat missing data (a task not capturing) as breaching',
    ['aws_cloudwatch_metric_alarm'],
    {
      aws: [
        'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data',
        `${DMS_GUIDE}/CHAP_Monitoring.html#CHAP_Monitoring.Metrics.Task`,
      ],
    },
    (r) =>
      r.values.treat_missing_data === 'breaching'
        ? 'treat_missing_data breaching alarms whenever the task is not capturing changes (before its first start, while stopped)'
        : undefined,
    (r) => r.values.namespace === 'AWS/DMS' && /^CDCLatency/.test(r.values.metric_name ?? ''),
  ),

  perResource(
    'UH-AWS-DMS-006',
    'A DMS task or serverless replication into S3 writes a change log the merge can order: the operation of full-load rows, the commit time, and the change sequence of every table',
    ['aws_dms_replication_task', 'aws_dms_replication_config', 'aws_dms_s3_endpoint'],
    {
      aws: [
        `${DMS_GUIDE}/CHAP_Target.S3.html#CHAP_Target.S3.Configuring`,
        `${DMS_GUIDE}/CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Expressions.html`,
        'https://docs.aws.amazon.com/dms/latest/APIReference/API_S3Settings.html',
      ],
    },
    (r, stack) => {
      const target = referenced(stack, r.values.target_endpoint_arn);
      if (target?.values.include_op_for_full_load !== true) return `${target?.address} leaves the operation out of full-load rows`;
      if (!target.values.timestamp_column_name) return `${target.address} writes no commit-time column`;
      let rules: any[];
      try {
        rules = list<any>(JSON.parse(r.values.table_mappings ?? '{}').rules);
      } catch {
        return 'table mappings are not JSON';
      }
      const key = (rule: any): string => `${rule['object-locator']?.['schema-name']}.${rule['object-locator']?.['table-name']}`;
      const sequenced = new Set(
        rules
          .filter(
            (rule) =>
              rule['rule-type'] === 'transformation' && rule['rule-action'] === 'add-column' && rule.expression === CHANGE_SEQUENCE_HEADER,
          )
          .map(key),
      );
      const unsequenced = rules.filter(
        (rule) => rule['rule-type'] === 'selection' && rule['rule-action'] === 'include' && !sequenced.has(key(rule)),
      );
      return unsequenced.length
        ? `no ${CHANGE_SEQUENCE_HEADER} column for ${unsequenced.map(key).join(', ')}: the merge cannot order its changes`
        : undefined;
    },
    (r, stack) => DMS_REPLICATIONS.includes(r.type) && referenced(stack, r.values.target_endpoint_arn)?.type === 'aws_dms_s3_endpoint',
  ),

  perResource(
    'UH-AWS-IAM-001',
    'A service trust statement carries exactly the confused-deputy conditions that service documents',
    ['aws_iam_role'],
    {
      aws: [
        'https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html',
        'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount',
        `${DMS_GUIDE}/cross-service-confused-deputy-prevention.html`,
        'https://github.com/prowler-cloud/prowler/issues/2810',
      ],
    },
    (r, stack) => {
      const env = stackEnvironment(stack);
      // Without the account (an offline plan) the values that name it cannot be compared; tests and keys still are.
      const shape = (c: { test: string; variable: string; values?: readonly string[] }): string =>
        `${c.test} ${c.variable}${env.accountKnown ? ` ${[...(c.values ?? [])].sort().join(',')}` : ''}`;
      const same = (a: readonly string[], b: readonly string[]): boolean => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
      const problems: string[] = [];
      for (const statement of (statementsOf(stack, r.values.assume_role_policy) ?? []).filter(allows)) {
        const services = statement.principals.filter((p) => p.type === 'Service').flatMap((p) => p.identifiers);
        for (const service of services) {
          const documented = documentedTrust(env, service, r.values.name);
          if (!documented) {
            problems.push(`trusts ${service}, whose documented conditions the trusted-services table does not hold`);
            continue;
          }
          const expected = documented.conditions(env).map(shape);
          const actual = statement.conditions.map(shape);
          if (!same(expected, actual)) {
            problems.push(
              `${service} documents ${expected.length ? expected.join('; ') : 'no source conditions'}, the statement has ${actual.length ? actual.join('; ') : 'none'}`,
            );
          }
        }
      }
      return problems.length ? problems.join('; ') : undefined;
    },
    (r, stack) => (statementsOf(stack, r.values.assume_role_policy) ?? []).some((s) => s.principals.some((p) => p.type === 'Service')),
  ),

  perResource(
    'UH-AWS-RS-001',
    'A Redshift Serverless workgroup declares every config parameter AWS returns, and ignores changes to them',
    ['aws_redshiftserverless_workgroup'],
    {
      aws: [
        'https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_CreateWorkgroup.html',
        'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-redshiftserverless-workgroup-configparameter.html',
        `${PROVIDER}/issues/33692`,
        `${PROVIDER}/issues/49939`,
      ],
    },
    (r, stack) => {
      const declared = list<any>(r.values.config_parameter).map((p) => p.parameter_key);
      const missing = REDSHIFT_WORKGROUP_PARAMETER_KEYS.filter((key) => !declared.includes(key));
      if (missing.length) return `config_parameter leaves out ${missing.join(', ')}: AWS returns them, a perpetual diff`;
      // A plan does not carry lifecycle blocks; the synthesized stack is where this is checked.
      if (!stack.lifecycleKnown) return undefined;
      return list<string>(first(r.values.lifecycle)?.ignore_changes).includes('config_parameter')
        ? undefined
        : 'lifecycle.ignore_changes lacks config_parameter: AWS returns parameters provider 5.100.0 cannot declare';
    },
  ),

  perResource(
    'UH-AWS-LF-001',
    'Lake data is read only through Lake Formation: the bucket denies object reads to all but the registration role',
    ['aws_lakeformation_resource', 'aws_s3_bucket_policy', 'aws_dms_s3_endpoint'],
    {
      aws: [
        'https://docs.aws.amazon.com/lake-formation/latest/dg/register-location.html',
        'https://docs.aws.amazon.com/lake-formation/latest/dg/working-with-services.html',
        'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn',
      ],
    },
    (r, stack) => {
      const location = s3Arn(stack, r.values.arn);
      const bucketName = bucketOfArn(location);
      const bucket = bucketNamed(stack, bucketName);
      if (!bucket) return `the bucket of ${location} is not in this stack, so its policy cannot be checked`;
      const bucketArn = `arn:${stackEnvironment(stack).partition}:s3:::${bucketName}`;
      const statements = settingsFor(stack, bucket, 'aws_s3_bucket_policy').flatMap((p) => statementsOf(stack, p.values.policy) ?? []);
      const covers = (resource: string): boolean => {
        const arn = s3Arn(stack, resource) ?? '';
        return arn === `${bucketArn}/*` || arn === `${location}/*`;
      };
      const deny = statements.find(
        (s) =>
          denies(s) &&
          toEveryone(s) &&
          LAKE_OBJECT_READS.every((action) => grantsAction([s], action)) &&
          s.resources.some(covers) &&
          exemptRoleNames(stack, s) !== undefined,
      );
      if (!deny) return `${bucket.address} lets anyone with s3:GetObject and the key read ${location} past the column grants`;
      const registrationRoles = registeredLocations(stack, bucketName ?? '').flatMap((l) => (l.roleName ? [l.roleName] : []));
      return exemptionProblem(exemptRoleNames(stack, deny) ?? [], registrationRoles, registrationRoles, 'read lake objects');
    },
    (r) => r.type === 'aws_lakeformation_resource',
  ),

  perResource(
    'UH-AWS-LF-002',
    'Through S3, the lake key decrypts lake objects only for the registration role and the DMS writer',
    ['aws_lakeformation_resource', 'aws_s3_bucket_server_side_encryption_configuration', 'aws_kms_key', 'aws_dms_s3_endpoint'],
    {
      aws: [
        'https://docs.aws.amazon.com/lake-formation/latest/dg/register-location.html',
        'https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html',
        'https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions',
        'https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service',
      ],
    },
    (r, stack) => {
      const env = stackEnvironment(stack);
      const bucketName = bucketOfArn(s3Arn(stack, r.values.arn));
      const bucket = bucketNamed(stack, bucketName);
      if (!bucket) return 'the registered bucket is not in this stack, so its key cannot be checked';
      const encryption = first(
        first(settingsFor(stack, bucket, 'aws_s3_bucket_server_side_encryption_configuration')[0]?.values.rule)
          ?.apply_server_side_encryption_by_default,
      );
      const key = referenced(stack, encryption?.kms_master_key_id);
      if (key?.type !== 'aws_kms_key') return `${bucket.address} is not encrypted with a key of this stack`;
      const bucketArn = `arn:${env.partition}:s3:::${bucketName}`;
      const deny = (statementsOf(stack, key.values.policy) ?? []).find(
        (s) =>
          denies(s) &&
          toEveryone(s) &&
          grantsAction([s], 'kms:Decrypt') &&
          s.conditions.some((c) => c.variable === 'kms:ViaService' && c.values.includes(`s3.${env.region}.amazonaws.com`)) &&
          s.conditions.some((c) => c.variable === 'kms:EncryptionContext:aws:s3:arn' && c.values.includes(bucketArn)) &&
          exemptRoleNames(stack, s) !== undefined,
      );
      if (!deny) return `${key.address} lets any principal with IAM access decrypt ${bucketName} objects through S3`;
      const registrationRoles = registeredLocations(stack, bucketName ?? '').flatMap((l) => (l.roleName ? [l.roleName] : []));
      const writers = referringOrNaming(stack, 'aws_dms_s3_endpoint', 'bucket_name', bucket, bucketName).flatMap((e) =>
        list(roleNameOf(stack, e.values.service_access_role_arn)),
      );
      return exemptionProblem(
        exemptRoleNames(stack, deny) ?? [],
        [...registrationRoles, ...writers],
        registrationRoles,
        'decrypt lake objects',
      );
    },
    (r) => r.type === 'aws_lakeformation_resource',
  ),

  perResource(
    'UH-AWS-LF-003',
    'Lake Formation admins that the stack creates exist before the settings name them',
    ['aws_lakeformation_data_lake_settings', 'aws_iam_role'],
    {
      aws: [
        'https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_PutDataLakeSettings.html',
        `${PROVIDER}/blob/main/internal/service/lakeformation/data_lake_settings.go`,
      ],
    },
    (r, stack) => {
      const named = list<string>(r.values.admins).filter((admin) => referenced(stack, admin) === undefined);
      const early = named
        .map((admin): Resource | undefined => indexOf(stack).withValue('aws_iam_role', 'name', roleNameOf(stack, admin))[0])
        .filter((role): role is Resource => role !== undefined && !r.dependsOn.includes(role.address));
      return early.length
        ? `names ${early.map((role) => role.values.name).join(', ')} by ARN without waiting for it: Lake Formation refuses an admin that does not exist yet`
        : undefined;
    },
    (r) => r.type === 'aws_lakeformation_data_lake_settings',
  ),

  stackRule(
    'UH-AWS-LF-004',
    'Lake Formation grants are applied one at a time (concurrent grants fail with ConcurrentModificationException)',
    ['aws_lakeformation_permissions'],
    {
      aws: ['https://docs.aws.amazon.com/lake-formation/latest/dg/troubleshooting.html', 'https://github.com/aws/aws-cdk/issues/36215'],
    },
    (stack) => {
      const grants = of(stack, 'aws_lakeformation_permissions');
      const earlier = (grant: Resource): string[] => grant.dependsOn.filter((d) => d.startsWith('aws_lakeformation_permissions.'));
      const unordered = grants.filter((grant) => earlier(grant).length === 0);
      const followers = new Map<string, number>();
      for (const grant of grants) for (const d of earlier(grant)) followers.set(d, (followers.get(d) ?? 0) + 1);
      const forks = [...followers].filter(([, count]) => count > 1).map(([address]) => address);
      if (unordered.length > 1) return `${unordered.length} grants wait for no other grant: ${unordered.map((g) => g.address).join(', ')}`;
      return forks.length ? `more than one grant waits for ${forks.join(', ')}` : undefined;
    },
    (stack) => of(stack, 'aws_lakeformation_permissions').length > 0,
  ),
];
