import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** Account, region and partition a stack deploys to, as ARNs are built from them. */
export interface AwsEnv {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
}

/** What an entry may look at while it rewrites one resource's attributes into what AWS (and the provider) store. */
export interface ReturnsContext {
  readonly env: AwsEnv;
  readonly address: string;
  /** True when the configuration sets this top-level attribute (it has an expression in the plan's `configuration`). */
  configured(attribute: string): boolean;
  /** The crafted attributes of every resource of a type in the same state. */
  resourcesOf(type: string): readonly { readonly address: string; readonly values: Json }[];
}

/**
 * One "what AWS returns that the configuration does not say" fact: after a successful apply, the provider reads the
 * object back and stores what AWS returned, normalized the way the provider's Read normalizes it. `apply` rewrites
 * the attributes Terraform planned (with every unknown already filled) into that stored form.
 */
export interface AwsReturnsEntry {
  readonly type: string;
  readonly attributes: readonly string[];
  /** What AWS returns, and what the provider keeps of it, in one or two sentences. */
  readonly awsReturns: string;
  /** AWS API reference or documentation pages, terraform-provider-aws issues or code that say so. */
  readonly sources: readonly string[];
  readonly apply: (values: Json, context: ReturnsContext) => void;
}

const PROVIDER = 'https://github.com/hashicorp/terraform-provider-aws';
const PROVIDER_CODE = `${PROVIDER}/blob/v5.100.0/internal/service`;

// ---------------------------------------------------------------------------------------------------------------
// Policy documents: AWS stores the JSON in its own canonical form.

const STATEMENT_KEY_ORDER = ['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];

/** A one-element list as the single value, the way IAM, S3, SNS and KMS hand policies back. */
const collapse = (value: Json): Json => (Array.isArray(value) && value.length === 1 ? value[0] : value);

function canonicalPrincipal(principal: Json): Json {
  if (principal === '*' || typeof principal !== 'object' || principal === null) return principal;
  const keys = Object.keys(principal);
  if (keys.length === 1 && keys[0] === 'AWS' && collapse(principal.AWS) === '*') return '*';
  return Object.fromEntries(keys.sort().map((key) => [key, collapse(principal[key])]));
}

function canonicalStatement(statement: Json): Json {
  const out: Json = {};
  for (const key of [...STATEMENT_KEY_ORDER, ...Object.keys(statement).filter((k) => !STATEMENT_KEY_ORDER.includes(k))]) {
    if (!(key in statement)) continue;
    const value = statement[key];
    if (key === 'Principal' || key === 'NotPrincipal') out[key] = canonicalPrincipal(value);
    else if (key === 'Condition') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, Json>).map(([operator, pairs]) => [
          operator,
          Object.fromEntries(Object.entries(pairs as Record<string, Json>).map(([k, v]) => [k, collapse(v)])),
        ]),
      );
    } else if (['Action', 'NotAction', 'Resource', 'NotResource'].includes(key)) out[key] = collapse(value);
    else out[key] = value;
  }
  return out;
}

/**
 * The policy as AWS hands it back: compact, `Version` first, statement keys in AWS's order, one-element lists as
 * single values and `{"AWS": "*"}` as `"*"`. Anything that is not a JSON object is left as it is.
 */
export function awsPolicyForm(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  let policy: Json;
  try {
    policy = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return text;
  const out: Json = {};
  for (const key of ['Version', 'Id', 'Statement', ...Object.keys(policy).filter((k) => !['Version', 'Id', 'Statement'].includes(k))]) {
    if (!(key in policy)) continue;
    out[key] = key === 'Statement' ? [policy.Statement].flat().map(canonicalStatement) : policy[key];
  }
  return JSON.stringify(out);
}

const POLICY_SOURCES = [
  // The tracking issue of spurious policy diffs: AWS reorders and reshapes policy JSON, the provider compares policies
  // for equivalence (verify.SuppressEquivalentPolicyDiffs) and keeps the configured text when they are equivalent.
  `${PROVIDER}/issues/21968`,
  // One-element lists come back as single values.
  'https://github.com/hashicorp/terraform/issues/7495',
  'https://github.com/aws/aws-cli/issues/6584',
  'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html',
];

function policyEntry(type: string, attribute: string): AwsReturnsEntry {
  return {
    type,
    attributes: [attribute],
    awsReturns:
      'The policy JSON in AWS canonical form (compact, one-element lists as single values, {"AWS":"*"} as "*"), ' +
      'which the provider must find equivalent to the configured document.',
    sources: POLICY_SOURCES,
    apply: (values) => {
      values[attribute] = awsPolicyForm(values[attribute]);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Redshift Serverless

/**
 * Every configuration parameter GetWorkgroup returns for a new workgroup, with the value AWS gives it when the
 * request does not set it.
 */
export const REDSHIFT_WORKGROUP_DEFAULT_PARAMETERS: Readonly<Record<string, string>> = {
  auto_mv: 'true',
  datestyle: 'ISO, MDY',
  enable_case_sensitive_identifier: 'false',
  enable_user_activity_logging: 'true',
  max_query_execution_time: '14400',
  query_group: 'default',
  require_ssl: 'true',
  search_path: '$user, public',
  use_fips_ssl: 'false',
  // Returned since Redshift patch 205, "not set" by default; provider 5.100.0 rejects the key in configuration.
  enable_large_strings_opt_in: '',
};

/** The key ARN of a KMS key reference as Redshift Serverless stores it: an alias is resolved to its key. */
function keyArnOf(reference: unknown, context: ReturnsContext): unknown {
  if (typeof reference !== 'string' || !/:alias\/|^alias\//.test(reference)) return reference;
  const aliasName = reference.slice(reference.indexOf('alias/'));
  const alias = context.resourcesOf('aws_kms_alias').find((a) => a.values.name === aliasName);
  const key = context.resourcesOf('aws_kms_key').find((k) => k.values.key_id === alias?.values.target_key_id);
  return key?.values.arn ?? reference;
}

// ---------------------------------------------------------------------------------------------------------------
// DMS

const DMS_TASK_SETTINGS_DEFAULTS: Json = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'aws-returns', 'dms-task-settings-defaults.json'), 'utf8'),
);

/** `base` with `over` laid on it: objects merge, lists of log components merge by Id, anything else is replaced. */
function overlay(base: Json, over: Json): Json {
  if (over === undefined) return base;
  if (Array.isArray(base) && Array.isArray(over) && [...base, ...over].every((c) => typeof c === 'object' && c && 'Id' in c)) {
    const byId = new Map<string, Json>(base.map((c: Json) => [c.Id, c]));
    for (const c of over) byId.set(c.Id, { ...byId.get(c.Id), ...c });
    return [...byId.values()];
  }
  if (
    typeof base !== 'object' ||
    base === null ||
    Array.isArray(base) ||
    typeof over !== 'object' ||
    over === null ||
    Array.isArray(over)
  ) {
    return over;
  }
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = overlay(base[key], value);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * The table. Add an entry when AWS documents (or a provider issue shows) that it returns more than it was given, or
 * returns it in another form:
 * 1. `type` and the top-level `attributes` it rewrites (the suite checks both against the provider schema);
 * 2. `awsReturns`: what AWS returns and what the provider (v5.100.0) keeps of it after its Read;
 * 3. `sources`: the AWS API reference or documentation page and/or the terraform-provider-aws issue or code
 *    (https://docs.aws.amazon.com/... or https://github.com/...);
 * 4. `apply(values, context)`: rewrite the planned attributes in place into that stored form; `context.configured`
 *    says whether the configuration sets an attribute, `context.resourcesOf` gives the other crafted resources.
 * Then remove the type from CHECKED_WITHOUT_ENTRY if it was listed there. Long fixed data goes under
 * __tests__/fixtures/aws-returns/.
 */
export const AWS_RETURNS: readonly AwsReturnsEntry[] = [
  {
    type: 'aws_redshiftserverless_workgroup',
    attributes: ['config_parameter'],
    awsReturns:
      'GetWorkgroup returns every configuration parameter, not only the ones the request set: auto_mv, datestyle, ' +
      'enable_case_sensitive_identifier, enable_user_activity_logging, max_query_execution_time, query_group, ' +
      'require_ssl, search_path, use_fips_ssl (and, since Redshift patch 205, enable_large_strings_opt_in) with ' +
      'their defaults. Provider 5.100.0 stores the whole list (flattenConfigParameters), so any key the ' +
      'configuration leaves out is a perpetual diff, and the update it plans fails with "You didn\'t specify any ' +
      'changes to the configuration parameters".',
    sources: [
      'https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_CreateWorkgroup.html',
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-redshiftserverless-workgroup-configparameter.html',
      `${PROVIDER}/issues/33692`,
      `${PROVIDER}/pull/33916`,
      `${PROVIDER}/issues/49939`,
      `${PROVIDER}/pull/49941`,
      'https://docs.aws.amazon.com/redshift/latest/dg/r_enable_large_strings_opt_in.html',
      'https://docs.aws.amazon.com/redshift/latest/dg/use_fips_ssl.html',
      `${PROVIDER_CODE}/redshiftserverless/workgroup.go`,
      // The provider's acceptance test lists seven of the defaults; a 2026 capture of a new workgroup lists all nine.
      `${PROVIDER_CODE}/redshiftserverless/workgroup_test.go`,
      'https://github.com/go-to-k/cdk-real-drift/pull/1441',
    ],
    apply: (values) => {
      const declared = new Map<string, string>(
        ((values.config_parameter ?? []) as Json[]).map((p) => [p.parameter_key as string, p.parameter_value as string]),
      );
      const returned = { ...REDSHIFT_WORKGROUP_DEFAULT_PARAMETERS, ...Object.fromEntries(declared) };
      values.config_parameter = Object.entries(returned).map(([parameter_key, parameter_value]) => ({ parameter_key, parameter_value }));
    },
  },
  {
    type: 'aws_redshiftserverless_workgroup',
    attributes: ['port', 'track_name'],
    awsReturns: 'The default port 5439 and the "current" release track when the request sets neither.',
    sources: [
      'https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_CreateWorkgroup.html',
      'https://docs.aws.amazon.com/redshift/latest/mgmt/tracks.html',
    ],
    apply: (values, context) => {
      if (!context.configured('port')) values.port = 5439;
      if (!context.configured('track_name')) values.track_name = 'current';
    },
  },
  {
    type: 'aws_redshiftserverless_namespace',
    attributes: ['iam_roles'],
    awsReturns:
      'GetNamespace returns each role as the text "IamRole(applyStatus=in-sync, iamRoleArn=<arn>)" (either field ' +
      'first), not as the ARN: the cause of the perpetual iam_roles diff of provider 4.x. Provider 5.100.0 parses ' +
      'the ARN back out (flattenNamespaceIAMRoles), so the state holds plain role ARNs. The default role must also ' +
      'be in the list (ValidationException otherwise).',
    sources: [
      `${PROVIDER}/issues/26624`,
      `${PROVIDER}/issues/28980`,
      `${PROVIDER_CODE}/redshiftserverless/namespace.go`,
      'https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_Namespace.html',
    ],
    apply: (values) => {
      const returned = ((values.iam_roles ?? []) as string[]).map((arn) => `IamRole(applyStatus=in-sync, iamRoleArn=${arn})`);
      values.iam_roles = returned.map((text) => /iamRoleArn=([^,)\s]+)/.exec(text)?.[1] ?? text);
    },
  },
  {
    type: 'aws_redshiftserverless_namespace',
    attributes: ['kms_key_id', 'admin_password_secret_kms_key_id', 'db_name'],
    awsReturns:
      'The key ARN for kms_key_id and admin_password_secret_kms_key_id even when the request named an alias; db_name ' +
      '"dev" once a workgroup is associated when the request set none.',
    sources: [
      `${PROVIDER}/issues/45683`,
      `${PROVIDER}/issues/39273`,
      'https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_Namespace.html',
    ],
    apply: (values, context) => {
      values.kms_key_id = keyArnOf(values.kms_key_id, context);
      values.admin_password_secret_kms_key_id = keyArnOf(values.admin_password_secret_kms_key_id, context);
      if (!context.configured('db_name')) values.db_name = 'dev';
    },
  },
  policyEntry('aws_iam_role', 'assume_role_policy'),
  {
    type: 'aws_iam_role',
    attributes: ['inline_policy', 'managed_policy_arns'],
    awsReturns:
      'ListRolePolicies/GetRolePolicy and ListAttachedRolePolicies return the policies the separate ' +
      'aws_iam_role_policy and aws_iam_role_policy_attachment resources put on the role; the provider stores them in ' +
      'inline_policy and managed_policy_arns (Optional+Computed), which must not diff when the role leaves them unset.',
    sources: [
      'https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRolePolicies.html',
      'https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedRolePolicies.html',
      `${PROVIDER_CODE}/iam/role.go`,
    ],
    apply: (values, context) => {
      if (!context.configured('inline_policy')) {
        values.inline_policy = context
          .resourcesOf('aws_iam_role_policy')
          .filter((p) => p.values.role === values.name || p.values.role === values.id)
          .map((p) => ({ name: p.values.name, policy: awsPolicyForm(p.values.policy) }));
      }
      if (!context.configured('managed_policy_arns')) {
        values.managed_policy_arns = context
          .resourcesOf('aws_iam_role_policy_attachment')
          .filter((a) => a.values.role === values.name || a.values.role === values.id)
          .map((a) => a.values.policy_arn);
      }
    },
  },
  {
    type: 'aws_security_group',
    attributes: ['ingress', 'egress'],
    awsReturns:
      'DescribeSecurityGroups returns the rules the separate aws_vpc_security_group_*_rule resources created (and ' +
      'no default egress rule: the provider revokes it on create); the provider stores them in ingress/egress ' +
      '(Optional+Computed), which must not diff when the group leaves them unset.',
    sources: [
      'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroup.html',
      'https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html',
      `${PROVIDER_CODE}/ec2/vpc_security_group.go`,
    ],
    apply: (values, context) => {
      const rulesOf = (type: string): Json[] =>
        context
          .resourcesOf(type)
          .filter((r) => r.values.security_group_id === values.id)
          .map(({ values: rule }) => ({
            cidr_blocks: rule.cidr_ipv4 ? [rule.cidr_ipv4] : [],
            description: rule.description ?? '',
            from_port: rule.ip_protocol === '-1' ? 0 : (rule.from_port ?? 0),
            ipv6_cidr_blocks: rule.cidr_ipv6 ? [rule.cidr_ipv6] : [],
            prefix_list_ids: rule.prefix_list_id ? [rule.prefix_list_id] : [],
            protocol: rule.ip_protocol,
            security_groups: rule.referenced_security_group_id ? [rule.referenced_security_group_id] : [],
            self: false,
            to_port: rule.ip_protocol === '-1' ? 0 : (rule.to_port ?? 0),
          }));
      if (!context.configured('ingress')) values.ingress = rulesOf('aws_vpc_security_group_ingress_rule');
      if (!context.configured('egress')) values.egress = rulesOf('aws_vpc_security_group_egress_rule');
    },
  },
  policyEntry('aws_iam_role_policy', 'policy'),
  policyEntry('aws_iam_group_policy', 'policy'),
  policyEntry('aws_iam_policy', 'policy'),
  policyEntry('aws_kms_key', 'policy'),
  policyEntry('aws_s3_bucket_policy', 'policy'),
  policyEntry('aws_sns_topic_policy', 'policy'),
  policyEntry('aws_secretsmanager_secret_policy', 'policy'),
  {
    type: 'aws_vpc_endpoint',
    attributes: ['policy'],
    awsReturns:
      'An endpoint created without a policy gets the default full-access policy, which GetVpcEndpoints returns ' +
      '(the attribute is Optional+Computed, so it must not diff); a configured policy comes back in canonical form.',
    sources: ['https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html', ...POLICY_SOURCES],
    apply: (values, context) => {
      values.policy = context.configured('policy')
        ? awsPolicyForm(values.policy)
        : JSON.stringify({ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] });
    },
  },
  {
    type: 'aws_dms_replication_task',
    attributes: ['replication_task_settings'],
    awsReturns:
      'DescribeReplicationTasks returns the complete task settings: every documented setting with its default where ' +
      'the request gave none, all log components, and the read-only Logging.CloudWatchLogGroup/CloudWatchLogStream. ' +
      'The provider suppresses the difference when every configured value is in what AWS returned ' +
      '(suppressEquivalentTaskSettings).',
    sources: [
      'https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TaskSettings.html',
      `${PROVIDER}/issues/19883`,
      `${PROVIDER}/pull/36936`,
      `${PROVIDER_CODE}/dms/task_settings_json.go`,
    ],
    apply: (values, context) => {
      if (typeof values.replication_task_settings !== 'string') return;
      const given = JSON.parse(values.replication_task_settings);
      const settings = overlay(DMS_TASK_SETTINGS_DEFAULTS, given);
      if (settings.Logging?.EnableLogging) {
        const instance = context.resourcesOf('aws_dms_replication_instance')[0]?.values;
        settings.Logging.CloudWatchLogGroup = `dms-tasks-${instance?.replication_instance_id ?? 'replication-instance'}`;
        settings.Logging.CloudWatchLogStream = `dms-task-${String(values.replication_task_arn ?? '')
          .split(':')
          .pop()}`;
      }
      values.replication_task_settings = JSON.stringify(settings);
      // Table mappings come back as submitted, re-serialized compactly.
      if (typeof values.table_mappings === 'string') values.table_mappings = JSON.stringify(JSON.parse(values.table_mappings));
    },
  },
  {
    type: 'aws_dms_replication_config',
    attributes: ['replication_settings'],
    awsReturns:
      "DescribeReplicationConfigs returns the complete settings like a task's, defaults filled in, with the read-only " +
      'Logging.CloudWatchLogGroup named after the replication (dms-serverless-replication-<resource identifier>); the ' +
      'provider suppresses the difference when every configured value is in what AWS returned, as for tasks ' +
      '(suppressEquivalentTaskSettings). The compute config comes back with the maintenance window AWS chose.',
    sources: [
      'https://docs.aws.amazon.com/dms/latest/APIReference/API_DescribeReplicationConfigs.html',
      `${PROVIDER}/issues/45376`,
      `${PROVIDER}/pull/36936`,
      `${PROVIDER_CODE}/dms/replication_config.go`,
    ],
    apply: (values) => {
      if (typeof values.replication_settings !== 'string') return;
      const settings = overlay(DMS_TASK_SETTINGS_DEFAULTS, JSON.parse(values.replication_settings));
      if (settings.Logging?.EnableLogging)
        settings.Logging.CloudWatchLogGroup = `dms-serverless-replication-${String(values.resource_identifier)}`;
      values.replication_settings = JSON.stringify(settings);
      if (typeof values.table_mappings === 'string') values.table_mappings = JSON.stringify(JSON.parse(values.table_mappings));
      const compute = Array.isArray(values.compute_config) ? values.compute_config[0] : undefined;
      if (compute && !compute.preferred_maintenance_window) compute.preferred_maintenance_window = 'sun:05:00-sun:05:30';
    },
  },
  {
    type: 'aws_dms_s3_endpoint',
    attributes: ['endpoint_type', 'ssl_mode', 'kms_key_arn'],
    awsReturns:
      'The endpoint type in upper case (the provider lowers it), ssl_mode "none", the account\'s aws/dms key when ' +
      'the request names none; S3 settings come back as set, unset ones as zero values (acceptance test ' +
      'TestAccDMSS3Endpoint_simple), which the provider reads as absent.',
    sources: [
      'https://docs.aws.amazon.com/dms/latest/APIReference/API_S3Settings.html',
      `${PROVIDER_CODE}/dms/s3_endpoint.go`,
      `${PROVIDER_CODE}/dms/s3_endpoint_test.go`,
    ],
    apply: (values, context) => {
      const returnedType = String(values.endpoint_type).toUpperCase();
      values.endpoint_type = returnedType.toLowerCase();
      if (!context.configured('ssl_mode')) values.ssl_mode = 'none';
    },
  },
  {
    type: 'aws_db_instance',
    attributes: ['engine_version', 'engine_version_actual', 'iops', 'storage_throughput', 'ca_cert_identifier', 'master_user_secret'],
    awsReturns:
      'The full engine version (8.0 -> 8.0.x); the provider keeps the configured prefix in engine_version and the ' +
      'full version in engine_version_actual. gp3 volumes under 400 GiB report the 3000 IOPS / 125 MiB/s baseline. ' +
      'The CA is rds-ca-rsa2048-g1 unless set. With manage_master_user_password, the secret RDS created ' +
      '("rds!db-<id>", status active) in master_user_secret.',
    sources: [
      'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html',
      'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_MasterUserSecret.html',
      'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html#gp3-storage',
      `${PROVIDER_CODE}/rds/instance.go`,
    ],
    apply: (values, context) => {
      if (values.manage_master_user_password) {
        const resourceId = String(values.resource_id ?? 'db')
          .replace(/^db-/, '')
          .toLowerCase();
        const secretArn = `arn:${context.env.partition}:secretsmanager:${context.env.region}:${context.env.accountId}:secret:rds!db-${resourceId}-AbCdEf`;
        values.master_user_secret = [{ kms_key_id: values.master_user_secret_kms_key_id, secret_arn: secretArn, secret_status: 'active' }];
      }
      const version = String(values.engine_version ?? '');
      values.engine_version_actual = /^\d+\.\d+$/.test(version) ? `${version}.42` : version;
      if (values.storage_type === 'gp3' && !context.configured('iops')) values.iops = 3000;
      if (values.storage_type === 'gp3' && !context.configured('storage_throughput')) values.storage_throughput = 125;
      if (!context.configured('ca_cert_identifier')) values.ca_cert_identifier = 'rds-ca-rsa2048-g1';
    },
  },
  {
    type: 'aws_db_parameter_group',
    attributes: ['parameter'],
    awsReturns:
      'DescribeDBParameters returns every parameter of the family; the provider keeps the user-modified ones ' +
      '(Source=user), names lower-cased, with the apply method AWS reports.',
    sources: [
      'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBParameters.html',
      `${PROVIDER_CODE}/rds/parameter_group.go`,
    ],
    apply: (values) => {
      values.parameter = ((values.parameter ?? []) as Json[]).map((p) => ({ ...p, name: String(p.name).toLowerCase() }));
    },
  },
  {
    type: 'aws_db_option_group',
    attributes: ['option'],
    awsReturns:
      'DescribeOptionGroups returns every setting of every option, defaults included; the provider drops the ' +
      'unconfigured settings that still have their default value (flattenOptions). MARIADB_AUDIT_PLUGIN is not a ' +
      'versioned option (versions are for Oracle options such as APEX and OEM_AGENT), so no OptionVersion comes back.',
    sources: [
      'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.MySQL.Options.AuditPlugin.html',
      'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_Option.html',
      `${PROVIDER_CODE}/rds/option_group.go`,
      `${PROVIDER}/issues/3841`,
      'https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-rds/pull/6',
    ],
    apply: () => {
      // What the provider keeps equals the configured settings: nothing to rewrite (see awsReturns).
    },
  },
  {
    type: 'aws_budgets_budget',
    attributes: ['limit_amount'],
    awsReturns:
      'The limit amount as a decimal with one fractional digit ("1200.0" for "1200.00"); the provider compares amounts as decimals.',
    sources: [
      'https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Spend.html',
      `${PROVIDER_CODE}/budgets/budget.go`,
    ],
    apply: (values) => {
      if (typeof values.limit_amount === 'string' && values.limit_amount !== '') {
        const amount = Number(values.limit_amount);
        values.limit_amount = Number.isInteger(amount) ? amount.toFixed(1) : String(amount);
      }
    },
  },
  {
    type: 'aws_glue_catalog_database',
    attributes: ['create_table_default_permission'],
    awsReturns:
      'Without Lake Formation defaults changed, a new database carries the IAM_ALLOWED_PRINCIPALS ALL default table ' +
      'permission (Optional+Computed in the provider).',
    sources: [
      'https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html',
      'https://docs.aws.amazon.com/glue/latest/webapi/API_Database.html',
    ],
    apply: (values, context) => {
      if (!context.configured('create_table_default_permission')) {
        values.create_table_default_permission = [
          { permissions: ['ALL'], principal: [{ data_lake_principal_identifier: 'IAM_ALLOWED_PRINCIPALS' }] },
        ];
      }
    },
  },
  {
    type: 'aws_lakeformation_data_lake_settings',
    attributes: ['create_database_default_permissions', 'create_table_default_permissions', 'parameters'],
    awsReturns:
      'GetDataLakeSettings returns the IAM_ALLOWED_PRINCIPALS ALL default permissions unless the request replaced ' +
      'them, and the CROSS_ACCOUNT_VERSION parameter.',
    sources: [
      'https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_DataLakeSettings.html',
      'https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html',
    ],
    apply: (values, context) => {
      const allowAll = [{ permissions: ['ALL'], principal: 'IAM_ALLOWED_PRINCIPALS' }];
      if (!context.configured('create_database_default_permissions')) values.create_database_default_permissions = allowAll;
      if (!context.configured('create_table_default_permissions')) values.create_table_default_permissions = allowAll;
      if (!context.configured('parameters')) values.parameters = { CROSS_ACCOUNT_VERSION: '4' };
    },
  },
  {
    type: 'aws_kms_key',
    attributes: ['rotation_period_in_days'],
    awsReturns: 'A rotation period of 365 days when rotation is enabled without a period.',
    sources: ['https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html'],
    apply: (values, context) => {
      if (values.enable_key_rotation && !context.configured('rotation_period_in_days')) values.rotation_period_in_days = 365;
    },
  },
  {
    type: 'aws_athena_workgroup',
    attributes: ['configuration.engine_version.effective_engine_version'],
    awsReturns: 'The engine version the workgroup actually runs, equal to the selected one.',
    sources: ['https://docs.aws.amazon.com/athena/latest/APIReference/API_EngineVersion.html'],
    apply: (values) => {
      for (const configuration of (values.configuration ?? []) as Json[]) {
        for (const engine of (configuration.engine_version ?? []) as Json[])
          engine.effective_engine_version = engine.selected_engine_version;
      }
    },
  },
  {
    type: 'aws_sfn_state_machine',
    attributes: ['definition', 'encryption_configuration', 'tracing_configuration', 'logging_configuration', 'status'],
    awsReturns:
      'DescribeStateMachine returns the definition as it was submitted, status ACTIVE, the logging and tracing ' +
      'configuration as given, and an encryption configuration of AWS_OWNED_KEY when none was given; the provider ' +
      'stores them as returned, and encryption_configuration and tracing_configuration are Optional+Computed with a ' +
      'missing block suppressed (SuppressMissingOptionalConfigurationBlock).',
    sources: [
      'https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html',
      'https://docs.aws.amazon.com/step-functions/latest/apireference/API_EncryptionConfiguration.html',
      `${PROVIDER_CODE}/sfn/state_machine.go`,
    ],
    apply: (values, context) => {
      values.status = 'ACTIVE';
      if (!context.configured('encryption_configuration')) {
        values.encryption_configuration = [{ type: 'AWS_OWNED_KEY', kms_key_id: '', kms_data_key_reuse_period_seconds: 0 }];
      }
      if (!context.configured('tracing_configuration')) values.tracing_configuration = [{ enabled: false }];
    },
  },
  {
    type: 'aws_scheduler_schedule',
    attributes: ['group_name', 'schedule_expression_timezone', 'target'],
    awsReturns:
      'GetSchedule returns the schedule as given and the group it belongs to, "default" when the request named ' +
      'none (group_name is Optional+Computed); the time zone is UTC unless set (a provider default); a target ' +
      'retry policy left out comes back as the default (185 attempts, 86400 s), which the provider suppresses.',
    sources: [
      'https://docs.aws.amazon.com/scheduler/latest/APIReference/API_GetSchedule.html',
      'https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html',
      `${PROVIDER_CODE}/scheduler/schedule.go`,
    ],
    apply: (values, context) => {
      if (!context.configured('group_name')) values.group_name = 'default';
      for (const target of (values.target ?? []) as Json[]) {
        if ((target.retry_policy ?? []).length === 0)
          target.retry_policy = [{ maximum_event_age_in_seconds: 86400, maximum_retry_attempts: 185 }];
      }
    },
  },
  {
    type: 'aws_glue_catalog_table',
    attributes: ['parameters', 'storage_descriptor', 'open_table_format_input', 'table_type'],
    awsReturns:
      'A table is returned as given after apply. An Iceberg table (open_table_format_input) comes back with ' +
      'metadata_location and table_type=ICEBERG in Parameters, which the provider drops (flattenNonManagedParameters), ' +
      'and open_table_format_input is never read back; every Athena commit then adds previous_metadata_location and ' +
      'gives each column iceberg.field.id/optional/current parameters, which the next plan sees ten minutes after ' +
      'apply (the merge). A crawler run rewrites change-log tables too, which the stack ignores (parameters), not ' +
      'modeled here.',
    sources: [
      'https://docs.aws.amazon.com/glue/latest/webapi/API_IcebergInput.html',
      `${PROVIDER_CODE}/glue/catalog_table.go`,
      `${PROVIDER}/issues/33370`,
      'https://github.com/apache/iceberg/pull/3352',
    ],
    apply: (values) => {
      if ((values.open_table_format_input ?? []).length === 0) return;
      const location = String(values.storage_descriptor?.[0]?.location ?? 's3://lake/current/table/');
      values.parameters = { ...(values.parameters ?? {}), previous_metadata_location: `${location}metadata/00000-0d3a.metadata.json` };
      for (const descriptor of (values.storage_descriptor ?? []) as Json[]) {
        descriptor.columns = ((descriptor.columns ?? []) as Json[]).map((column, index) => ({
          ...column,
          parameters: { 'iceberg.field.current': 'true', 'iceberg.field.id': String(index + 1), 'iceberg.field.optional': 'true' },
        }));
      }
    },
  },
  {
    type: 'aws_cloudwatch_metric_alarm',
    attributes: ['actions_enabled', 'evaluate_low_sample_count_percentiles', 'treat_missing_data'],
    awsReturns:
      'DescribeAlarms returns the alarm as given: actions enabled unless disabled (a provider default of true), no ' +
      'low-sample-count setting for a statistic that is not a percentile (Optional+Computed, empty), and ' +
      'TreatMissingData "missing" when the request names none.',
    sources: [
      'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html',
      'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html',
      `${PROVIDER_CODE}/cloudwatch/metric_alarm.go`,
    ],
    apply: (values, context) => {
      if (!context.configured('actions_enabled')) values.actions_enabled = true;
      if (!context.configured('evaluate_low_sample_count_percentiles')) values.evaluate_low_sample_count_percentiles = '';
      if (!context.configured('treat_missing_data')) values.treat_missing_data = 'missing';
    },
  },
  {
    type: 'aws_s3_bucket_lifecycle_configuration',
    attributes: ['transition_default_minimum_object_size'],
    awsReturns:
      'all_storage_classes_128K when the request does not choose (default since September 2024); rules come back ' +
      'as given, a prefix-only filter as Filter {Prefix: ""} (the provider keeps the configured filter).',
    sources: ['https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html'],
    apply: (values, context) => {
      if (!context.configured('transition_default_minimum_object_size'))
        values.transition_default_minimum_object_size = 'all_storage_classes_128K';
    },
  },
];

/**
 * Every resource type of the stacks was checked against the AWS API reference and the provider's issues; the types
 * without an entry above, and why AWS returning more cannot make them diff. A type of a new stack must be added
 * here or to the table (the suite fails on an unchecked type).
 */
export const CHECKED_WITHOUT_ENTRY: Readonly<Record<string, string>> = {
  aws_vpc: 'Defaults (DNS support, tenancy, main route table, default ACL/SG) are Computed attributes.',
  aws_subnet: 'AZ id, ARN and owner are Computed.',
  aws_ec2_instance_connect_endpoint:
    'preserve_client_ip (provider default true) and security_group_ids are set explicitly and returned as given; DNS names, network interface ids, owner and VPC are Computed (https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/ec2_instance_connect_endpoint).',
  aws_route_table: 'Routes are Optional+Computed (attributes as blocks); no inline routes are configured.',
  aws_route_table_association: 'Only ids.',
  aws_default_security_group: 'The provider removes the default rules and reads back exactly the configured (empty) rules.',
  aws_vpc_security_group_egress_rule: 'AWS returns the rule as given; ip_protocol is normalized by the provider (e.g. "6" -> "tcp").',
  aws_vpc_security_group_ingress_rule: 'AWS returns the rule as given; ip_protocol is normalized by the provider.',
  aws_flow_log: 'log_format (AWS default format) and max_aggregation_interval (600) are Optional+Computed/defaulted.',
  aws_cloudwatch_log_group: 'log_group_class STANDARD is Optional+Computed; the KMS key ARN is returned as given.',
  aws_cloudwatch_event_rule: 'The event pattern comes back as submitted; the provider normalizes the JSON (StateFunc).',
  aws_cloudwatch_event_target: 'Target id is generated when unset (Computed).',
  aws_kms_alias: 'target_key_arn is Computed.',
  aws_s3_bucket:
    'The legacy inline blocks (versioning, logging, lifecycle_rule, server_side_encryption_configuration, policy, grant) are Optional+Computed and reflect the separate resources.',
  aws_s3_bucket_public_access_block: 'Returned as given.',
  aws_s3_bucket_ownership_controls: 'Returned as given.',
  aws_s3_bucket_versioning: 'mfa_delete "Disabled" is Optional+Computed.',
  aws_s3_bucket_logging: 'target_object_key_format is returned only when set.',
  aws_s3_bucket_server_side_encryption_configuration:
    'BucketKeyEnabled comes back false when unset; the attribute is a provider-side zero value, so no diff.',
  aws_db_subnet_group: 'supported_network_types and vpc_id are Computed.',
  aws_dms_replication_subnet_group: 'vpc_id is Computed.',
  aws_dms_replication_instance: 'engine_version, maintenance window, private IPs and the default KMS key are Optional+Computed/Computed.',
  aws_dms_endpoint:
    'MySQL source with Secrets Manager: extra_connection_attributes and kms_key_arn are Optional+Computed; port/server come from the secret.',
  aws_dms_event_subscription: 'Returned as given.',
  aws_dms_certificate:
    'DescribeCertificates returns the PEM as imported; the provider stores it only when non-empty (resourceCertificateSetState in dms/certificate.go), and certificate_arn is Computed.',
  aws_secretsmanager_secret: 'The KMS key id is returned as given; policy is Optional+Computed.',
  aws_glue_crawler:
    'configuration JSON comes back re-serialized (the provider compares JSON); lineage_configuration and recrawl_policy defaults are Optional+Computed.',
  aws_glue_security_configuration: 'Returned as given.',
  aws_glue_data_catalog_encryption_settings: 'Returned as given (key ARNs as given).',
  aws_lakeformation_resource: 'hybrid_access_enabled, last_modified and with_federation are Computed.',
  aws_lakeformation_permissions:
    'The provider reads back only the permissions matching the configured principal and resource; two resources granting the same principal on the same resource would each see the union (not the case in these stacks).',
  aws_iam_group: 'unique_id is Computed.',
  aws_iam_group_membership: 'Returned as given.',
  aws_iam_instance_profile: 'unique_id is Computed.',
  aws_iam_role_policy_attachment: 'Returned as given.',
  aws_instance: 'credit_specification (t4g: unlimited), metadata_options, root_block_device and network details are Optional+Computed.',
  aws_launch_template: 'latest_version/default_version are Computed.',
  aws_redshiftserverless_usage_limit: 'Returned as given.',
  aws_sns_topic: 'The topic policy is Optional+Computed (set by aws_sns_topic_policy); owner and signature version are Computed.',
  aws_sns_topic_subscription: 'Email subscriptions report pending_confirmation=true until confirmed (Computed).',
};
