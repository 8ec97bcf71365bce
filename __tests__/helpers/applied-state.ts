import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { AWS_PROVIDER, StackPlanResult, planOffline } from '../../scripts/terraform/offline-plan';
import { AWS_RETURNS, AwsEnv, AwsReturnsEntry, ReturnsContext } from './aws-returns';

/*
 * The state AWS leaves after a successful apply, crafted offline: what `terraform plan` says it will create, every
 * "known after apply" filled with a plausible value of the right shape, then rewritten by the "what AWS returns"
 * table (aws-returns.ts). Planning the stack again against that state must show no change; a change is a perpetual
 * diff waiting for the first real apply.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------------------------
// The parts of `terraform show -json` and `terraform providers schema -json` this reads.

interface ResourceChangeJson {
  readonly address: string;
  readonly mode: string;
  readonly type: string;
  readonly name: string;
  readonly index?: number | string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before: Json;
    readonly after: Json;
    readonly after_unknown: Json;
    readonly after_sensitive?: Json;
    readonly replace_paths?: Json;
  };
}

interface ConfigResourceJson {
  readonly address: string;
  readonly mode: string;
  readonly provider_config_key?: string;
  readonly expressions?: Record<string, Json>;
}

export interface PlanJson {
  readonly terraform_version?: string;
  readonly resource_changes?: readonly ResourceChangeJson[];
  readonly configuration?: { readonly root_module?: { readonly resources?: readonly ConfigResourceJson[] } };
}

type CtyType = string | [string, Json];

interface SchemaAttribute {
  readonly type?: CtyType;
  readonly nested_type?: { readonly attributes: Record<string, SchemaAttribute>; readonly nesting_mode: string };
}

interface SchemaBlock {
  readonly attributes?: Record<string, SchemaAttribute>;
  readonly block_types?: Record<string, { readonly nesting_mode: string; readonly block: SchemaBlock }>;
}

export interface ResourceSchema {
  readonly version: number;
  readonly block: SchemaBlock;
}

export type ResourceSchemas = Readonly<Record<string, ResourceSchema>>;

/**
 * Resource schemas of the AWS provider, from `terraform providers schema -json` run in a working folder that
 * `planOffline` initialized (and kept): the provider comes from the mirror, nothing from the network.
 */
export async function providerSchemas(workDir: string): Promise<ResourceSchemas> {
  const env = {
    ...process.env,
    TF_CLI_CONFIG_FILE: join(dirname(workDir), 'terraform.rc'),
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
  };
  const { stdout } = await run('terraform', ['providers', 'schema', '-json'], { cwd: workDir, env, maxBuffer: 512 * 1024 * 1024 });
  const schemas = JSON.parse(stdout).provider_schemas?.[AWS_PROVIDER.source]?.resource_schemas;
  if (!schemas) throw new Error(`terraform providers schema -json in ${workDir} has no ${AWS_PROVIDER.source} resources`);
  return schemas as ResourceSchemas;
}

// ---------------------------------------------------------------------------------------------------------------
// Shapes: what a value of an attribute looks like, from the schema.

type Shape =
  | { readonly kind: 'string' | 'number' | 'bool' | 'dynamic' }
  | { readonly kind: 'list' | 'set' | 'map'; readonly element: Shape }
  | { readonly kind: 'object'; readonly attributes: Readonly<Record<string, Shape>> };

function shapeOfType(type: CtyType | undefined): Shape {
  if (type === 'string' || type === 'number' || type === 'bool') return { kind: type };
  if (!Array.isArray(type)) return { kind: 'dynamic' };
  const [kind, inner] = type;
  if (kind === 'list' || kind === 'set' || kind === 'map') return { kind, element: shapeOfType(inner) };
  if (kind === 'object') {
    return {
      kind: 'object',
      attributes: Object.fromEntries(Object.entries(inner as Record<string, CtyType>).map(([k, t]) => [k, shapeOfType(t)])),
    };
  }
  return { kind: 'dynamic' };
}

function nested(mode: string, object: Shape): Shape {
  if (mode === 'list' || mode === 'set' || mode === 'map') return { kind: mode, element: object };
  return object;
}

function shapeOfAttribute(attribute: SchemaAttribute): Shape {
  if (attribute.nested_type) {
    const object: Shape = {
      kind: 'object',
      attributes: Object.fromEntries(Object.entries(attribute.nested_type.attributes).map(([k, a]) => [k, shapeOfAttribute(a)])),
    };
    return nested(attribute.nested_type.nesting_mode, object);
  }
  return shapeOfType(attribute.type);
}

function shapeOfBlock(block: SchemaBlock): Shape {
  const attributes: Record<string, Shape> = {};
  for (const [name, attribute] of Object.entries(block.attributes ?? {})) attributes[name] = shapeOfAttribute(attribute);
  for (const [name, child] of Object.entries(block.block_types ?? {}))
    attributes[name] = nested(child.nesting_mode, shapeOfBlock(child.block));
  return { kind: 'object', attributes };
}

// ---------------------------------------------------------------------------------------------------------------
// Plausible values for what the plan only knows after apply.

/** Where a value sits: the resource, its planned values, and the path to the attribute. */
interface Site {
  readonly type: string;
  readonly address: string;
  readonly values: Json;
  readonly env: AwsEnv;
  readonly identity: Readonly<Record<string, unknown>>;
  readonly path: readonly (string | number)[];
}

const hashOf = (...parts: unknown[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex');
const hex = (seed: string, length: number): string => hashOf(seed).slice(0, length);
const upper = (seed: string, length: number): string =>
  [...hashOf(seed)]
    .slice(0, length)
    .map((c) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[parseInt(c, 16) * 2])
    .join('');
const uuid = (seed: string): string => {
  const h = hashOf(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const SERVICE_OF: Readonly<Record<string, string>> = {
  db: 'rds',
  cloudwatch: 'logs',
  redshiftserverless: 'redshift-serverless',
  vpc: 'ec2',
  subnet: 'ec2',
  route: 'ec2',
  security: 'ec2',
  default: 'ec2',
  flow: 'ec2',
  instance: 'ec2',
  launch: 'ec2',
  lakeformation: 'lakeformation',
};

function serviceOf(type: string): string {
  const first = type.replace(/^aws_/, '').split('_')[0];
  return SERVICE_OF[first] ?? first;
}

interface ArnMaker {
  (service: string, resource: string, options?: { global?: boolean; noAccount?: boolean }): string;
}

function arnMaker(env: AwsEnv): ArnMaker {
  return (service, resource, options = {}) =>
    `arn:${env.partition}:${service}:${options.global ? '' : env.region}:${options.noAccount ? '' : env.accountId}:${resource}`;
}

/** Identifiers AWS gives each type of resource, in the format AWS documents, built from its planned values. */
type IdentityOf = (v: Json, seed: string, arn: ArnMaker, env: AwsEnv) => Record<string, unknown>;

const ec2 = (
  prefix: string,
  kind: string,
  extra: (id: string, v: Json, seed: string, env: AwsEnv) => Record<string, unknown> = () => ({}),
): IdentityOf => {
  return (v, seed, arn, env) => {
    const id = `${prefix}-${hex(seed, 17)}`;
    return { id, arn: arn('ec2', `${kind}/${id}`), owner_id: env.accountId, ...extra(id, v, seed, env) };
  };
};

const byName =
  (service: string, kind: (v: Json) => string, idOf: (v: Json) => unknown = (v) => v.name): IdentityOf =>
  (v, _seed, arn) => ({ id: idOf(v), arn: arn(service, kind(v)) });

const IDENTITIES: Readonly<Record<string, IdentityOf>> = {
  aws_vpc: ec2('vpc', 'vpc', (_id, _v, seed) => ({
    default_network_acl_id: `acl-${hex(`${seed}acl`, 17)}`,
    default_route_table_id: `rtb-${hex(`${seed}rtb`, 17)}`,
    main_route_table_id: `rtb-${hex(`${seed}rtb`, 17)}`,
    default_security_group_id: `sg-${hex(`${seed}sg`, 17)}`,
    dhcp_options_id: `dopt-${hex(`${seed}dopt`, 17)}`,
  })),
  aws_subnet: ec2('subnet', 'subnet'),
  aws_route_table: ec2('rtb', 'route-table'),
  aws_route_table_association: (_v, seed) => ({ id: `rtbassoc-${hex(seed, 17)}` }),
  aws_security_group: ec2('sg', 'security-group'),
  aws_default_security_group: ec2('sg', 'security-group', () => ({ name: 'default' })),
  aws_vpc_security_group_egress_rule: ec2('sgr', 'security-group-rule', (id) => ({ security_group_rule_id: id })),
  aws_vpc_security_group_ingress_rule: ec2('sgr', 'security-group-rule', (id) => ({ security_group_rule_id: id })),
  aws_vpc_endpoint: ec2('vpce', 'vpc-endpoint', (_id, v, _seed, env) => ({
    state: 'available',
    requester_managed: false,
    ip_address_type: 'ipv4',
    prefix_list_id: v.vpc_endpoint_type === 'Gateway' ? 'pl-63a5400a' : null,
    service_region: env.region,
  })),
  aws_flow_log: ec2('fl', 'vpc-flow-log'),
  aws_instance: ec2('i', 'instance', (_id, _v, seed) => ({
    primary_network_interface_id: `eni-${hex(`${seed}eni`, 17)}`,
    instance_state: 'running',
    // The version the instance was launched from (the template's first), read back from its launch template tags.
    'launch_template.version': '1',
  })),
  aws_launch_template: ec2('lt', 'launch-template', () => ({ latest_version: 1, default_version: 1 })),
  aws_kms_key: (_v, seed, arn) => {
    const keyId = uuid(seed);
    return { id: keyId, key_id: keyId, arn: arn('kms', `key/${keyId}`) };
  },
  aws_kms_alias: (v, _seed, arn) => ({ id: v.name, arn: arn('kms', v.name) }),
  aws_s3_bucket: (v, _seed, arn, env) => ({
    id: v.bucket,
    arn: arn('s3', v.bucket, { global: true, noAccount: true }),
    bucket_domain_name: `${v.bucket}.s3.amazonaws.com`,
    bucket_regional_domain_name: `${v.bucket}.s3.${env.region}.amazonaws.com`,
    hosted_zone_id: 'Z3AQBSTGFYJSTF',
    region: env.region,
  }),
  aws_iam_role: (v, seed, arn) => ({
    id: v.name,
    arn: arn('iam', `role${v.path ?? '/'}${v.name}`, { global: true }),
    unique_id: `AROA${upper(seed, 17)}`,
    create_date: '2025-01-01T00:00:00Z',
  }),
  aws_iam_role_policy: (v) => ({ id: `${v.role}:${v.name}` }),
  aws_iam_role_policy_attachment: (v, seed) => ({ id: `${v.role}-${hex(seed, 26)}` }),
  aws_iam_group_policy: (v) => ({ id: `${v.group}:${v.name}` }),
  aws_iam_group: (v, seed, arn) => ({
    id: v.name,
    arn: arn('iam', `group${v.path ?? '/'}${v.name}`, { global: true }),
    unique_id: `AGPA${upper(seed, 17)}`,
  }),
  aws_iam_instance_profile: (v, seed, arn) => ({
    id: v.name,
    arn: arn('iam', `instance-profile${v.path ?? '/'}${v.name}`, { global: true }),
    unique_id: `AIPA${upper(seed, 17)}`,
  }),
  aws_cloudwatch_log_group: byName('logs', (v) => `log-group:${v.name}`),
  aws_cloudwatch_event_rule: byName('events', (v) => `rule/${v.name}`),
  aws_cloudwatch_event_target: (v, seed) => {
    const targetId = v.target_id ?? `terraform-${hex(seed, 26)}`;
    return { id: `${v.rule}-${targetId}`, target_id: targetId };
  },
  aws_cloudwatch_metric_alarm: byName(
    'cloudwatch',
    (v) => `alarm:${v.alarm_name}`,
    (v) => v.alarm_name,
  ),
  aws_db_instance: (v, seed, arn, env) => {
    const resourceId = `db-${upper(seed, 26)}`;
    const address = `${v.identifier}.${hex(seed, 12)}.${env.region}.rds.amazonaws.com`;
    return {
      id: resourceId,
      resource_id: resourceId,
      arn: arn('rds', `db:${v.identifier}`),
      address,
      endpoint: `${address}:${v.port ?? 3306}`,
      hosted_zone_id: 'Z2R2ITUGPM61AM',
      availability_zone: `${env.region}a`,
      status: 'available',
    };
  },
  aws_db_parameter_group: byName('rds', (v) => `pg:${v.name}`),
  aws_db_option_group: byName('rds', (v) => `og:${v.name}`),
  aws_db_subnet_group: byName('rds', (v) => `subgrp:${v.name}`),
  aws_dms_replication_subnet_group: (v, _seed, arn) => ({
    id: v.replication_subnet_group_id,
    replication_subnet_group_arn: arn('dms', `subgrp:${v.replication_subnet_group_id}`),
  }),
  aws_dms_replication_instance: (v, seed, arn) => ({
    id: v.replication_instance_id,
    replication_instance_arn: arn('dms', `rep:${upper(seed, 26)}`),
  }),
  aws_dms_endpoint: (v, seed, arn) => ({ id: v.endpoint_id, endpoint_arn: arn('dms', `endpoint:${upper(seed, 26)}`) }),
  aws_dms_s3_endpoint: (v, seed, arn) => ({ id: v.endpoint_id, endpoint_arn: arn('dms', `endpoint:${upper(seed, 26)}`), status: 'active' }),
  aws_dms_replication_task: (v, seed, arn) => ({
    id: v.replication_task_id,
    replication_task_arn: arn('dms', `task:${upper(seed, 26)}`),
    status: 'ready',
  }),
  aws_dms_event_subscription: byName('dms', (v) => `es:${v.name}`),
  aws_secretsmanager_secret: (v, seed, arn) => {
    const secretArn = arn('secretsmanager', `secret:${v.name ?? hex(seed, 8)}-${upper(`${seed}suffix`, 6)}`);
    return { id: secretArn, arn: secretArn };
  },
  aws_glue_catalog_database: (v, _seed, arn, env) => ({
    id: `${env.accountId}:${v.name}`,
    arn: arn('glue', `database/${v.name}`),
    catalog_id: env.accountId,
  }),
  aws_glue_catalog_table: (v, _seed, arn, env) => ({
    id: `${env.accountId}:${v.database_name}:${v.name}`,
    arn: arn('glue', `table/${v.database_name}/${v.name}`),
    catalog_id: env.accountId,
  }),
  aws_glue_crawler: byName('glue', (v) => `crawler/${v.name}`),
  aws_glue_security_configuration: (v) => ({ id: v.name }),
  aws_glue_data_catalog_encryption_settings: (_v, _seed, _arn, env) => ({ id: env.accountId, catalog_id: env.accountId }),
  aws_athena_workgroup: byName('athena', (v) => `workgroup/${v.name}`),
  aws_lakeformation_resource: (v) => ({ id: v.arn, last_modified: '2025-01-01T00:00:00Z' }),
  aws_redshiftserverless_namespace: (v, seed, arn) => {
    const id = uuid(seed);
    return { id: v.namespace_name, namespace_id: id, arn: arn('redshift-serverless', `namespace/${id}`) };
  },
  aws_redshiftserverless_workgroup: (v, seed, arn) => {
    const id = uuid(seed);
    return { id: v.workgroup_name, workgroup_id: id, arn: arn('redshift-serverless', `workgroup/${id}`) };
  },
  aws_redshiftserverless_usage_limit: (_v, seed, arn) => {
    const id = uuid(seed);
    return { id, arn: arn('redshift-serverless', `usagelimit/${id}`) };
  },
  aws_sns_topic: (v, _seed, arn, env) => {
    const topicArn = arn('sns', v.name);
    return { id: topicArn, arn: topicArn, owner: env.accountId };
  },
  aws_sns_topic_policy: (v, _seed, _arn, env) => ({ id: v.arn, owner: env.accountId }),
  aws_sns_topic_subscription: (v, seed) => {
    const subscriptionArn = `${v.topic_arn}:${uuid(seed)}`;
    return { id: subscriptionArn, arn: subscriptionArn };
  },
  aws_sfn_state_machine: (v, _seed, arn) => {
    const stateMachineArn = arn('states', `stateMachine:${v.name}`);
    return { id: stateMachineArn, arn: stateMachineArn, status: 'ACTIVE', revision_id: '', creation_date: '2025-01-01T00:00:00Z' };
  },
  aws_scheduler_schedule: (v, _seed, arn) => {
    const group = v.group_name ?? 'default';
    return { id: `${group}/${v.name}`, arn: arn('scheduler', `schedule/${group}/${v.name}`), group_name: group };
  },
  aws_budgets_budget: (v, _seed, arn, env) => ({
    id: `${env.accountId}:${v.name}`,
    arn: arn('budgets', `budget/${v.name}`, { global: true }),
    account_id: env.accountId,
  }),
};

function identityOf(type: string, address: string, values: Json, env: AwsEnv): Record<string, unknown> {
  const arn = arnMaker(env);
  const name = values?.name ?? values?.bucket ?? hex(address, 8);
  const generic = { id: String(name), arn: arn(serviceOf(type), `${type.replace(/^aws_/, '').replace(/_/g, '-')}/${name}`) };
  return { ...generic, ...(IDENTITIES[type]?.(values, address, arn, env) ?? {}) };
}

const DATE = '2025-01-01T00:00:00Z';

function plausibleString(site: Site): string | null {
  const names = site.path.filter((p): p is string => typeof p === 'string');
  const name = names[names.length - 1] ?? '';
  const dotted = names.join('.');
  const seed = `${site.address}/${site.path.join('/')}`;
  if (dotted in site.identity) {
    const known = site.identity[dotted];
    return typeof known === 'string' || typeof known === 'number' || typeof known === 'boolean' ? String(known) : null;
  }
  const arn = arnMaker(site.env);
  if (['owner_id', 'account_id', 'owner', 'catalog_id'].includes(name)) return site.env.accountId;
  if (name === 'region' || name === 'service_region') return site.env.region;
  if (name === 'availability_zone') return `${site.env.region}a`;
  if (name.endsWith('kms_key_id') || name === 'kms_key_arn') return arn('kms', `key/${uuid(seed)}`);
  if (name.endsWith('_arn') || name === 'arn')
    return arn(serviceOf(site.type), `${name.replace(/_?arn$/, '') || 'resource'}/${hex(seed, 12)}`);
  if (/(^|_)(date|time|timestamp|modified)$/.test(name) || name === 'time_period_start') return DATE;
  if (name.endsWith('_id') || name === 'id') return `${name.replace(/_?id$/, '').replace(/_/g, '-') || 'id'}-${hex(seed, 17)}`;
  if (name === 'status' || name === 'state') return 'available';
  // Anything else AWS computes is, for these resources, a setting that does not apply (a FIFO scope on a standard
  // topic, an IPv6 block of an IPv4 VPC): AWS returns it empty.
  return '';
}

function plausibleNumber(site: Site): number {
  const names = site.path.filter((p): p is string => typeof p === 'string');
  const dotted = names.join('.');
  const known = site.identity[dotted];
  if (typeof known === 'number') return known;
  const name = names[names.length - 1] ?? '';
  if (name === 'port') return 443;
  if (name.endsWith('version')) return 1;
  return 0;
}

function plausible(shape: Shape, site: Site): Json {
  switch (shape.kind) {
    case 'string':
      return plausibleString(site);
    case 'number':
      return plausibleNumber(site);
    case 'bool':
      return site.path.length === 1 && typeof site.identity[String(site.path[0])] === 'boolean'
        ? site.identity[String(site.path[0])]
        : false;
    case 'list':
    case 'set':
      return [];
    case 'map':
      return {};
    case 'object':
      return Object.fromEntries(Object.entries(shape.attributes).map(([k, s]) => [k, plausible(s, { ...site, path: [...site.path, k] })]));
    default:
      return null;
  }
}

const containsUnknown = (unknown: Json): boolean =>
  unknown === true || (typeof unknown === 'object' && unknown !== null && Object.values(unknown).some(containsUnknown));

/** `value` with every place `unknown` marks filled with a plausible value of the schema's shape. */
function fill(value: Json, unknown: Json, shape: Shape, site: Site): Json {
  if (unknown === true) return plausible(shape, site);
  if (!containsUnknown(unknown)) return value;
  const at = (key: string | number): Site => ({ ...site, path: [...site.path, key] });
  if (shape.kind === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(shape.attributes).map(([k, s]) => [k, fill(value[k] ?? null, unknown[k], s, at(k))]));
  }
  if ((shape.kind === 'list' || shape.kind === 'set') && Array.isArray(value)) {
    const element = shape.element;
    return value.map((v, i) => fill(v, unknown[i], element, at(i)));
  }
  if (shape.kind === 'map' && value && typeof value === 'object') {
    const element = shape.element;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, unknown[k], element, at(k))]));
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// The crafted resources and the state file.

/** One managed resource instance of the crafted state, with every attribute known. */
export interface CraftedResource {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly index?: number | string;
  readonly providerKey: string;
  readonly env: AwsEnv;
  /** Attributes Terraform would store from the configuration alone (unknowns filled); the table is applied on top. */
  values: Json;
  /** Top-level attributes the configuration sets. */
  readonly configured: ReadonlySet<string>;
  /** Where the first plan marked values sensitive (`after_sensitive`): the state records those paths. */
  readonly sensitive: Json;
}

const partitionOf = (region: string): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : region.startsWith('us-iso') ? 'aws-iso' : 'aws';

/** Account and region of each AWS provider configuration of a synthesized stack (`aws` and `aws.<alias>`). */
export function stackEnvironments(stackDir: string): Record<string, AwsEnv> {
  const json: Json = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8'));
  const providers = ([] as Json[]).concat(json.provider?.aws ?? []);
  const envs: Record<string, AwsEnv> = {};
  for (const provider of providers) {
    const region = String(provider.region ?? 'us-east-1');
    const accountId = String(provider.allowed_account_ids?.[0] ?? '123456789012');
    envs[provider.alias ? `aws.${provider.alias}` : 'aws'] = { accountId, region, partition: partitionOf(region) };
  }
  envs.aws ??= Object.values(envs)[0] ?? { accountId: '123456789012', region: 'us-east-1', partition: 'aws' };
  return envs;
}

const PURE_REFERENCE = /^\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/;

/** A reference to another resource's attribute inside a template string. */
const EMBEDDED_REFERENCE = /\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}/g;

/**
 * A template string whose every interpolation is a plain reference (`"s3://${aws_s3_bucket.b.bucket}/raw"`, a state
 * machine definition naming a workgroup), with each reference replaced by the crafted value, as Terraform stores the
 * string after apply; undefined when any interpolation is more than a reference or points at nothing known yet.
 */
function interpolated(node: string, lookup: (type: string, name: string, attribute: string) => Json): string | undefined {
  const withoutReferences = node.replace(EMBEDDED_REFERENCE, '');
  if (withoutReferences.includes('${') || withoutReferences.includes('%{')) return undefined;
  let unresolved = false;
  const value = node.replace(EMBEDDED_REFERENCE, (_whole, type: string, name: string, attribute: string) => {
    const resolved = lookup(type, name, attribute);
    if (resolved === undefined || resolved === null || typeof resolved === 'object') unresolved = true;
    return String(resolved);
  });
  return unresolved ? undefined : value;
}

/**
 * The value a synthesized configuration node stands for when it is nothing but references to other resources'
 * attributes (`"${aws_kms_key.k.arn}"`, a list of such, or a string that interpolates only such references), looked up
 * in the crafted values; undefined otherwise.
 */
function fromConfig(node: Json, shape: Shape, lookup: (type: string, name: string, attribute: string) => Json): Json {
  if (typeof node === 'string') {
    const reference = PURE_REFERENCE.exec(node);
    if (!reference) return node.includes('${') ? interpolated(node, lookup) : node;
    const value = lookup(reference[1], reference[2], reference[3]);
    if (value === undefined || value === null) return undefined;
    return shape.kind === 'string' && typeof value !== 'string' ? String(value) : value;
  }
  if (Array.isArray(node) && (shape.kind === 'list' || shape.kind === 'set')) {
    const element = shape.element;
    const values = node.map((n) => fromConfig(n, element, lookup));
    return values.some((v) => v === undefined) ? undefined : values;
  }
  if (typeof node === 'number' || typeof node === 'boolean') return node;
  return undefined;
}

/** `value` with what the first plan did not know replaced by what pure references in the configuration point at. */
function resolveReferences(value: Json, unknown: Json, node: Json, shape: Shape, lookup: Parameters<typeof fromConfig>[2]): Json {
  if (unknown === true) {
    const resolved = node === undefined ? undefined : fromConfig(node, shape, lookup);
    return resolved === undefined ? value : resolved;
  }
  if (!containsUnknown(unknown) || node === undefined || node === null) return value;
  if (
    shape.kind === 'object' &&
    value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof node === 'object' &&
    !Array.isArray(node)
  ) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k in shape.attributes ? resolveReferences(v, unknown[k], node[k], shape.attributes[k], lookup) : v,
      ]),
    );
  }
  if ((shape.kind === 'list' || shape.kind === 'set') && Array.isArray(value)) {
    const element = shape.element;
    // A single nested block is an object in the synthesized JSON, a one-element list in the plan.
    const nodes = Array.isArray(node) ? node : [node];
    return value.map((v, i) => resolveReferences(v, unknown[i], nodes[i], element, lookup));
  }
  return value;
}

/** What the first plan of a stack (from an empty state) will create, with every unknown filled. */
export function craftResources(
  plan: PlanJson,
  schemas: ResourceSchemas,
  envs: Record<string, AwsEnv>,
  synthesized?: Json,
): CraftedResource[] {
  const config = new Map((plan.configuration?.root_module?.resources ?? []).map((r) => [r.address, r]));
  const changes = (plan.resource_changes ?? []).filter((rc) => rc.mode === 'managed' && rc.change.actions.includes('create'));
  const crafted = changes.map((rc) => {
    const schema = schemas[rc.type];
    if (!schema) throw new Error(`the provider has no schema for ${rc.type}`);
    const configAddress = rc.index === undefined ? rc.address : rc.address.replace(/\[[^\]]*\]$/, '');
    const configResource = config.get(configAddress);
    const providerKey = configResource?.provider_config_key?.replace(/^.*:/, '') ?? 'aws';
    const env = envs[providerKey] ?? envs.aws;
    const identity = identityOf(rc.type, rc.address, rc.change.after, env);
    const values = fill(rc.change.after, rc.change.after_unknown, shapeOfBlock(schema.block), {
      type: rc.type,
      address: rc.address,
      values: rc.change.after,
      env,
      identity,
      path: [],
    });
    return {
      address: rc.address,
      type: rc.type,
      name: rc.name,
      ...(rc.index === undefined ? {} : { index: rc.index }),
      providerKey,
      env,
      values,
      configured: new Set(Object.keys(configResource?.expressions ?? {})),
      sensitive: rc.change.after_sensitive ?? {},
    };
  });
  if (!synthesized) return crafted;
  // Values the configuration takes straight from another resource (an id, an ARN) are known once that resource is:
  // resolve them now, in as many passes as chains of references need; the plans resolve the rest.
  const byAddress = new Map(crafted.map((r) => [r.address, r]));
  const lookup = (type: string, name: string, attribute: string): Json => byAddress.get(`${type}.${name}`)?.values?.[attribute];
  for (let pass = 0; pass < 5; pass++) {
    let changed = false;
    for (const [i, rc] of changes.entries()) {
      const resource = crafted[i];
      const node = synthesized.resource?.[rc.type]?.[rc.name];
      if (rc.index !== undefined || !node) continue;
      const resolved = resolveReferences(resource.values, rc.change.after_unknown, node, shapeOfBlock(schemas[rc.type].block), lookup);
      if (!same(resolved, resource.values)) {
        resource.values = resolved;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return crafted;
}

/** The attributes AWS returns for each resource: the table's entries applied to a copy of the crafted values. */
export function awsReturned(resources: readonly CraftedResource[], entries: readonly AwsReturnsEntry[] = AWS_RETURNS): Map<string, Json> {
  const returned = new Map(resources.map((r) => [r.address, structuredClone(r.values)]));
  const byType = (type: string): { address: string; values: Json }[] =>
    resources.filter((r) => r.type === type).map((r) => ({ address: r.address, values: returned.get(r.address) }));
  for (const resource of resources) {
    // The provider derives some ids from configured values (a policy's id from its topic ARN, a registration's from
    // the bucket ARN): derive them again now that those values are known.
    const own = IDENTITIES[resource.type]?.(resource.values, resource.address, arnMaker(resource.env), resource.env);
    if (own?.id !== undefined && own.id !== null) returned.get(resource.address).id = own.id;
  }
  for (const resource of resources) {
    const context: ReturnsContext = {
      env: resource.env,
      address: resource.address,
      configured: (attribute) => resource.configured.has(attribute),
      resourcesOf: byType,
    };
    for (const entry of entries.filter((e) => e.type === resource.type)) entry.apply(returned.get(resource.address), context);
  }
  return returned;
}

type PathStep = { type: 'get_attr'; value: string } | { type: 'index'; value: { value: string | number; type: 'string' | 'number' } };

/**
 * `after_sensitive` as the state's `sensitive_attributes` paths. Terraform compares these marks too: a state without
 * them plans an "update" that changes nothing but sensitivity.
 */
function sensitivePaths(marks: Json, path: PathStep[] = []): PathStep[][] {
  if (marks === true) return [path];
  if (Array.isArray(marks)) {
    return marks.flatMap((m, i) => sensitivePaths(m, [...path, { type: 'index', value: { value: i, type: 'number' } }]));
  }
  if (marks && typeof marks === 'object') {
    return Object.entries(marks).flatMap(([k, m]) => sensitivePaths(m, [...path, { type: 'get_attr', value: k }]));
  }
  return [];
}

/** A Terraform state (format version 4) holding `attributes` for each crafted resource. */
export function stateFile(
  resources: readonly CraftedResource[],
  attributes: ReadonlyMap<string, Json>,
  schemas: ResourceSchemas,
  terraformVersion: string,
): object {
  const groups = new Map<string, Json>();
  for (const r of resources) {
    const key = `${r.type}.${r.name}`;
    const provider = `provider["${AWS_PROVIDER.source}"]${r.providerKey.includes('.') ? r.providerKey.slice(r.providerKey.indexOf('.')) : ''}`;
    const group = groups.get(key) ?? { mode: 'managed', type: r.type, name: r.name, provider, instances: [] };
    group.instances.push({
      ...(r.index === undefined ? {} : { index_key: r.index }),
      schema_version: schemas[r.type].version,
      attributes: attributes.get(r.address),
      sensitive_attributes: sensitivePaths(r.sensitive),
    });
    groups.set(key, group);
  }
  return {
    version: 4,
    terraform_version: terraformVersion,
    serial: 1,
    lineage: randomUUID(),
    outputs: {},
    resources: [...groups.values()],
    check_results: null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing plans.

const canonical = (value: Json): string =>
  JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
const same = (a: Json, b: Json): boolean => canonical(a ?? null) === canonical(b ?? null);

/** `after` where it is known, `base` where the plan does not know it yet. */
function knownPart(base: Json, after: Json, unknown: Json): Json {
  if (unknown === true) return base;
  if (!containsUnknown(unknown)) return after;
  if (Array.isArray(after) && Array.isArray(base) && after.length === base.length)
    return after.map((a, i) => knownPart(base[i], a, unknown[i]));
  if (after && typeof after === 'object' && !Array.isArray(after) && base && typeof base === 'object' && !Array.isArray(base)) {
    // `terraform show -json` leaves unknown attributes out of `after`: keep those from `base`.
    const keys = [...new Set([...Object.keys(base), ...Object.keys(after)])];
    return Object.fromEntries(keys.map((k) => [k, k in after ? knownPart(base[k], after[k], unknown[k]) : base[k]]));
  }
  return base;
}

/**
 * Values the configuration derives from other resources' computed attributes (a role's ARN in a policy, a key's ARN,
 * a subnet id) are unknown in the first plan; once the state holds those resources, the next plan knows them. After
 * a real apply the state holds them too (a provider must store what the plan said), so copy them into the crafted
 * values. Only attributes unknown in the first plan are copied: anything the first plan knew and that still differs
 * is a real diff. Returns the `address.attribute`s copied.
 */
export function takeConfigDerived(resources: readonly CraftedResource[], first: PlanJson, latest: PlanJson): string[] {
  const firstUnknown = new Map((first.resource_changes ?? []).map((rc) => [rc.address, rc.change.after_unknown]));
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  const taken: string[] = [];
  for (const rc of latest.resource_changes ?? []) {
    const resource = byAddress.get(rc.address);
    if (rc.mode !== 'managed' || !resource || !rc.change.after || isQuiet(rc.change.actions)) continue;
    const unknownFirst = firstUnknown.get(rc.address) ?? {};
    for (const [attribute, after] of Object.entries(rc.change.after as Record<string, Json>)) {
      if (!containsUnknown(unknownFirst[attribute])) continue;
      const value = knownPart(resource.values[attribute], after, rc.change.after_unknown?.[attribute]);
      if (!same(value, resource.values[attribute])) {
        resource.values[attribute] = value;
        taken.push(`${rc.address}.${attribute}`);
      }
    }
  }
  return taken;
}

const isQuiet = (actions: readonly string[]): boolean => actions.every((a) => a === 'no-op' || a === 'read');

/** One attribute a plan changes: its value in the state and what the plan would make it. */
export interface AttributeChange {
  readonly attribute: string;
  readonly before: Json;
  readonly after: Json;
}

/** A managed resource the plan creates, updates, deletes or replaces, with the attributes that differ. */
export interface PlannedChange {
  readonly address: string;
  readonly actions: readonly string[];
  readonly attributes: readonly AttributeChange[];
}

export const KNOWN_AFTER_APPLY = '(known after apply)';

/** Every managed resource the plan touches (anything but no-op and read), with before -> after of what differs. */
export function plannedChanges(plan: PlanJson): PlannedChange[] {
  return (plan.resource_changes ?? [])
    .filter((rc) => rc.mode === 'managed' && !isQuiet(rc.change.actions))
    .map((rc) => {
      const before = (rc.change.before ?? {}) as Record<string, Json>;
      const after = (rc.change.after ?? {}) as Record<string, Json>;
      const unknown = (rc.change.after_unknown ?? {}) as Record<string, Json>;
      const attributes = [...new Set([...Object.keys(before), ...Object.keys(after)])]
        .sort()
        .filter((k) => containsUnknown(unknown[k]) || !same(before[k], after[k]))
        .map((k) => ({ attribute: k, before: before[k] ?? null, after: unknown[k] === true ? KNOWN_AFTER_APPLY : (after[k] ?? null) }));
      return { address: rc.address, actions: rc.change.actions, attributes };
    });
}

const shown = (value: Json): string => (typeof value === 'string' ? JSON.stringify(value) : canonical(value));

/** The changes as a plan reviewer reads them: one block per resource, one line per differing attribute. */
export function formatChanges(changes: readonly PlannedChange[]): string {
  return changes
    .map((change) =>
      [
        `${change.address} (${change.actions.join(', ')})`,
        ...change.attributes.map((a) => `    ${a.attribute}: ${shown(a.before)}\n      -> ${shown(a.after)}`),
      ].join('\n'),
    )
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// The whole run.

export interface AppliedStateReplan {
  readonly stack: string;
  /** Plans it took until nothing config-derived was left to copy (the last one is the one asserted on). */
  readonly rounds: number;
  readonly resources: readonly CraftedResource[];
  /** The state file planned against in the last round. */
  readonly state: object;
  readonly planJson: PlanJson;
  readonly changes: readonly PlannedChange[];
}

export interface ReplanOptions {
  /** Folder of the synthesized stacks (`<outdir>/stacks`). */
  readonly stacksDir: string;
  /** @default 6 */
  readonly maxRounds?: number;
  readonly log?: (line: string) => void;
  /** Write each round's state and plan (`<stack>.round<N>.tfstate`, `.plan.json`) here, to debug a diff. */
  readonly debugDir?: string;
}

/**
 * Plans every synthesized stack offline from an empty state, crafts the state AWS would leave after applying that
 * plan, and plans again (`-refresh=false`) against it until the config-derived values settle. Returns, per stack,
 * what the last plan would still change.
 */
export async function replanAgainstAppliedState(
  options: ReplanOptions,
): Promise<{ results: AppliedStateReplan[]; schemas: ResourceSchemas }> {
  const log = options.log ?? ((): void => undefined);
  const stacks = readdirSync(options.stacksDir).filter((name) => existsSync(join(options.stacksDir, name, 'cdk.tf.json')));
  log(`plan from an empty state: ${stacks.join(', ')}`);
  const first = await planOffline({ stacksDir: options.stacksDir, stacks, keepWorkDirs: true });
  let schemas: ResourceSchemas;
  try {
    schemas = await providerSchemas(first[0].directory);
  } finally {
    rmSync(dirname(first[0].directory), { recursive: true, force: true });
  }
  const firstPlans = new Map(first.map((r) => [r.stack, r.planJson as PlanJson]));
  const terraformVersion = String(firstPlans.get(stacks[0])?.terraform_version ?? '1.11.0');
  const crafted = new Map(
    stacks.map((stack) => {
      const stackDir = join(options.stacksDir, stack);
      const synthesized: Json = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8'));
      return [stack, craftResources(firstPlans.get(stack)!, schemas, stackEnvironments(stackDir), synthesized)];
    }),
  );
  const stateOf = (stack: string): object => {
    const resources = crafted.get(stack)!;
    return stateFile(resources, awsReturned(resources), schemas, terraformVersion);
  };

  const maxRounds = options.maxRounds ?? 6;
  for (let round = 1; round <= maxRounds; round++) {
    const states = Object.fromEntries(stacks.map((stack) => [stack, stateOf(stack)]));
    if (options.debugDir) {
      for (const stack of stacks)
        writeFileSync(join(options.debugDir, `${stack}.round${round}.tfstate`), JSON.stringify(states[stack], null, 1));
    }
    const latest: StackPlanResult[] = await planOffline({ stacksDir: options.stacksDir, stacks, states });
    if (options.debugDir) {
      for (const r of latest)
        writeFileSync(join(options.debugDir, `${r.stack}.round${round}.plan.json`), JSON.stringify(r.planJson, null, 1));
    }
    const taken = latest.flatMap((r) => takeConfigDerived(crafted.get(r.stack)!, firstPlans.get(r.stack)!, r.planJson as PlanJson));
    log(
      `round ${round}: ${taken.length} config-derived value(s) taken from the plan${taken.length ? ` (${taken.slice(0, 5).join(', ')}${taken.length > 5 ? ', ...' : ''})` : ''}`,
    );
    if (taken.length === 0) {
      const results = latest.map((r) => ({
        stack: r.stack,
        rounds: round,
        resources: crafted.get(r.stack)!,
        state: states[r.stack],
        planJson: r.planJson as PlanJson,
        changes: plannedChanges(r.planJson as PlanJson),
      }));
      return { results, schemas };
    }
  }
  throw new Error(`config-derived values did not settle in ${maxRounds} plans`);
}

/**
 * A copy of a state with one resource's `tags_all` drifted (an extra tag AWS would report): a plan against it must
 * update that resource, which shows the comparison is not vacuous. Returns the copy and the drifted address.
 */
export function driftedState(state: object): { state: object; address: string } {
  const copy = structuredClone(state) as Json;
  for (const group of copy.resources) {
    const instance = group.instances.find((i: Json) => i.attributes?.tags_all && Object.keys(i.attributes.tags_all).length > 0);
    if (!instance) continue;
    instance.attributes.tags_all = { ...instance.attributes.tags_all, AddedOutsideTerraform: 'yes' };
    const index = instance.index_key === undefined ? '' : `[${JSON.stringify(instance.index_key)}]`;
    return { state: copy, address: `${group.type}.${group.name}${index}` };
  }
  throw new Error('no resource with tags_all in the state');
}
