import { rateMinutes } from './validate';
import {
  ATHENA_MINIMUM_BYTES,
  DAYS_PER_MONTH,
  FREE_PER_MONTH,
  GLUE_CRAWL_MINIMUM_MINUTES,
  HOURS_PER_MONTH,
  INSTANCE_HOURLY,
  PRICES,
  Price,
  RDS_VCPUS,
} from './prices';
import { EnvironmentConfig } from './types';

/*
 * The monthly cost of an environment, computed from its synthesized Terraform (what the stacks actually create) and
 * the dated prices of `config/prices.ts`. Pure functions of JSON: `npm run cost` reads `cdk.tf.json`, and the platform
 * stack estimates itself at synth to set its budget alerts (`PlatformStack`).
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
/** Synthesized Terraform JSON (`cdk.tf.json`), whose shape is the provider's. */
export type TerraformJson = any;

/**
 * What a release and the resources' own activity are assumed to take, where the stack cannot say. Each is a line's
 * `assumption` in the report.
 */
export const ASSUMPTIONS = {
  /** A full load of the clinic's few thousand rows. */
  dmsFullLoadHours: 0.25,
  /**
   * A stopped DMS Serverless replication keeps its capacity, billed, until DMS deprovisions it 48 hours later
   * (StopReplication "doesn't deprovision"; https://docs.aws.amazon.com/dms/latest/APIReference/API_StopReplication.html,
   * measured in https://dev.classmethod.jp/en/articles/aws-dms-serverless-stop-billing-48hours).
   */
  dmsServerlessRetainedHours: 48,
  /** DPUs a crawl of one small table uses (Glue's pricing example). */
  crawlerDpus: 2,
  /** Minutes the smoke checks keep the Redshift workgroup busy, at its base capacity. */
  warehouseSmokeMinutes: 10,
  /** S3 requests an Athena query on an Iceberg table makes: metadata, manifests, data files, results. */
  s3PutsPerQuery: 5,
  s3GetsPerQuery: 20,
} as const;

export type CostKind = 'at-rest' | 'activity';

export interface CostLine {
  /** What is billed, for a person. */
  readonly item: string;
  /** The Terraform address it comes from, or `usage` for the configured activity. */
  readonly resource: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitUsd: number;
  readonly monthlyUsd: number;
  /** The price's page, and whether the page was read when the price was checked. */
  readonly source: string;
  readonly confirmed: boolean;
  readonly assumption?: string;
}

export interface CostSection {
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
}

export interface EnvironmentEstimate {
  readonly environment: string;
  readonly stack: string;
  /** Nothing running but what must: every resource that bills by the hour or month, and the schedules. */
  readonly atRest: CostSection;
  /** A month of the configured usage: releases, and people's queries. */
  readonly activity: CostSection & { readonly perReleaseUsd: number; readonly releasesPerMonth: number };
  /** At rest plus activity: what the budget's forecast alert watches for. */
  readonly expectedUsd: number;
  /** Resource types of the stacks no rule prices (a test keeps this empty for the real stacks). */
  readonly unpriced: readonly string[];
}

const round = (usd: number): number => Math.round(usd * 100) / 100;

/** A line of `quantity` × a price. */
function line(item: string, resource: string, quantity: number, unit: string, priced: Price, assumption?: string, perUnit = 1): CostLine {
  // Unrounded until the estimate is assembled, so that a release's lines times the releases add up exactly.
  return {
    item,
    resource,
    quantity,
    unit,
    unitUsd: priced.usd / perUnit,
    monthlyUsd: (quantity * priced.usd) / perUnit,
    source: priced.source,
    confirmed: priced.confirmed,
    ...(assumption ? { assumption } : {}),
  };
}

/** The price of a class, or a clear error naming what to add to `config/prices.ts`. */
function hourly(service: 'rds' | 'dms' | 'ec2', instanceClass: string): Price {
  const found = INSTANCE_HOURLY[service][instanceClass];
  if (!found) throw new Error(`no ${service} price for ${instanceClass}: add it to INSTANCE_HOURLY in config/prices.ts`);
  return found;
}

interface Resource {
  readonly type: string;
  readonly address: string;
  readonly values: TerraformJson;
}

function resourcesOf(json: unknown): Resource[] {
  return Object.entries((json as TerraformJson)?.resource ?? {}).flatMap(([type, byId]) =>
    Object.entries(byId as Record<string, TerraformJson>).map(([id, values]) => ({ type, address: `${type}.${id}`, values })),
  );
}

/** The resource a `${type.id.attribute}` reference names. */
function referenced(resources: readonly Resource[], reference: unknown): Resource | undefined {
  const match = typeof reference === 'string' ? /^\$\{([a-z0-9_]+)\.([^.}]+)\.[a-z0-9_.[\]]+\}$/.exec(reference) : null;
  return match ? resources.find((r) => r.address === `${match[1]}.${match[2]}`) : undefined;
}

const first = (block: unknown): TerraformJson => (Array.isArray(block) ? block[0] : block);

/** A name with its `${type.id.name}` references replaced by the names they stand for, for a person to read. */
function named(resources: readonly Resource[], text: string): string {
  return text.replace(/\$\{([a-z0-9_]+\.[^.}]+)\.name\}/g, (whole, address: string) => {
    const resource = resources.find((r) => r.address === address);
    return resource?.values.name !== undefined ? String(resource.values.name) : whole;
  });
}

/**
 * Runs a month of an EventBridge Scheduler expression: `rate(...)`, or a `cron(minutes hours day-of-month month
 * day-of-week year)` of numbers, lists, ranges, steps, `*` and `?`.
 */
export function runsPerMonth(expression: string): number {
  const minutes = rateMinutes(expression);
  if (minutes !== undefined) return (DAYS_PER_MONTH * 24 * 60) / minutes;
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+))?\)$/.exec(expression);
  if (!cron) throw new Error(`not a schedule expression: ${expression}`);
  const [, minute, hour, dayOfMonth, month, dayOfWeek] = cron;
  const NAMES = [
    'SUN',
    'MON',
    'TUE',
    'WED',
    'THU',
    'FRI',
    'SAT',
    'JAN',
    'FEB',
    'MAR',
    'APR',
    'MAY',
    'JUN',
    'JUL',
    'AUG',
    'SEP',
    'OCT',
    'NOV',
    'DEC',
  ];
  // Day and month names as numbers (SUN is 1 in EventBridge cron; only the span between two names matters here).
  const numbered = (field: string): string => field.replace(/[A-Z]{3}/g, (name) => String(NAMES.indexOf(name) % 7 || NAMES.indexOf(name)));
  const count = (raw: string, size: number): number =>
    numbered(raw.toUpperCase())
      .split(',')
      .reduce((sum, part) => {
        const [range, step] = part.split('/');
        const span =
          range === '*' || range === '?' ? size : range.includes('-') ? Number(range.split('-')[1]) - Number(range.split('-')[0]) + 1 : 1;
        return sum + Math.ceil(span / (step ? Number(step) : 1));
      }, 0);
  const any = (field: string): boolean => field === '*' || field === '?';
  const days = !any(dayOfMonth) ? count(dayOfMonth, 31) : !any(dayOfWeek) ? (count(dayOfWeek, 7) * DAYS_PER_MONTH) / 7 : DAYS_PER_MONTH;
  return count(minute, 60) * count(hour, 24) * days * (any(month) ? 1 : count(month, 12) / 12);
}

/** What one execution of a state machine does on its happy path (no failure, no problem rows). */
export interface ExecutionPath {
  readonly transitions: number;
  readonly athenaQueries: number;
}

/**
 * Walks a state machine definition from `StartAt` with an execution input: Choice rules read the input where it has
 * the variable, and take the happy path where the variable is a result not known before the run (no problems found,
 * nothing unmerged). Parallel branches are walked each; every state entered is one transition.
 */
export function executionPath(definition: TerraformJson, input: TerraformJson): ExecutionPath {
  const valueAt = (path: string): unknown =>
    path
      .replace(/^\$\.?/, '')
      .split('.')
      .filter(Boolean)
      .reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), input);
  const holds = (rule: TerraformJson): boolean => {
    if (rule.And) return rule.And.every(holds);
    if (rule.Or) return rule.Or.some(holds);
    if (rule.Not) return !holds(rule.Not);
    const value = valueAt(rule.Variable);
    if ('IsPresent' in rule) return (value !== undefined) === rule.IsPresent;
    if ('BooleanEquals' in rule) return value === rule.BooleanEquals;
    if ('StringEquals' in rule) return value === rule.StringEquals;
    if ('NumericGreaterThan' in rule) return typeof value === 'number' && value > rule.NumericGreaterThan;
    if ('NumericEquals' in rule) return value === rule.NumericEquals;
    return false;
  };
  const walk = (machine: TerraformJson): ExecutionPath => {
    let transitions = 0;
    let athenaQueries = 0;
    let name: string | undefined = machine.StartAt;
    const seen = new Set<string>();
    while (name !== undefined && !seen.has(name)) {
      seen.add(name);
      const state = machine.States[name];
      transitions += 1;
      if (state.Type === 'Task' && String(state.Resource).includes('athena:startQueryExecution')) athenaQueries += 1;
      if (state.Type === 'Parallel') {
        for (const branch of state.Branches) {
          const inner = walk(branch);
          transitions += inner.transitions;
          athenaQueries += inner.athenaQueries;
        }
      }
      if (state.Type === 'Choice') name = (state.Choices.find(holds) ?? { Next: state.Default }).Next;
      else name = state.End || state.Type === 'Succeed' || state.Type === 'Fail' ? undefined : state.Next;
    }
    return { transitions, athenaQueries };
  };
  return walk(definition);
}

interface Context {
  readonly config: EnvironmentConfig;
  readonly resources: readonly Resource[];
}

/** The schedules' state-machine executions: Step Functions transitions, Athena queries and their S3 requests. */
function scheduledWorkflows({ resources }: Context): CostLine[] {
  let transitions = 0;
  const lines: CostLine[] = [];
  for (const schedule of resources.filter((r) => r.type === 'aws_scheduler_schedule')) {
    const target = first(schedule.values.target);
    const machine = referenced(resources, target?.arn);
    if (machine?.type !== 'aws_sfn_state_machine') continue;
    const runs = runsPerMonth(schedule.values.schedule_expression);
    const path = executionPath(JSON.parse(machine.values.definition), JSON.parse(target.input ?? '{}'));
    transitions += runs * path.transitions;
    const queries = runs * path.athenaQueries;
    const schedule_ = `${schedule.values.schedule_expression}: ${Math.round(runs)} runs of ${path.athenaQueries} queries`;
    lines.push(
      line(
        `Athena, ${machine.values.name}`,
        schedule.address,
        (queries * ATHENA_MINIMUM_BYTES) / 1e12,
        'TB',
        PRICES.athenaScan,
        `${schedule_}, each at Athena's 10 MB minimum`,
      ),
      line(
        `S3 requests, ${machine.values.name}`,
        schedule.address,
        queries * ASSUMPTIONS.s3PutsPerQuery,
        'PUT requests',
        PRICES.s3Put,
        `${ASSUMPTIONS.s3PutsPerQuery} PUTs and ${ASSUMPTIONS.s3GetsPerQuery} GETs a query`,
        1000,
      ),
      line(
        `S3 requests, ${machine.values.name}`,
        schedule.address,
        queries * ASSUMPTIONS.s3GetsPerQuery,
        'GET requests',
        PRICES.s3Get,
        undefined,
        1000,
      ),
    );
  }
  if (transitions > 0) {
    lines.push(
      line(
        'Step Functions state transitions of the schedules',
        'aws_sfn_state_machine',
        Math.max(0, transitions - FREE_PER_MONTH.stepFunctionsTransitions),
        'transitions',
        PRICES.stepFunctions,
        `${Math.round(transitions)} a month on the happy path, less the 4,000 free`,
        1000,
      ),
    );
  }
  return lines;
}

/** Types that bill nothing by themselves (IAM, networking glue, configuration), or whose use `usage` prices. */
const FREE_TYPES = new Set([
  'aws_athena_workgroup',
  'aws_budgets_budget',
  'aws_cloudwatch_event_rule',
  'aws_cloudwatch_event_target',
  'aws_db_option_group',
  'aws_db_parameter_group',
  'aws_db_subnet_group',
  'aws_default_security_group',
  'aws_dms_certificate',
  'aws_dms_endpoint',
  'aws_dms_event_subscription',
  'aws_dms_replication_subnet_group',
  'aws_dms_replication_task',
  'aws_dms_s3_endpoint',
  'aws_flow_log',
  'aws_glue_catalog_database',
  'aws_glue_catalog_table',
  'aws_glue_data_catalog_encryption_settings',
  'aws_glue_security_configuration',
  'aws_iam_group',
  'aws_iam_group_membership',
  'aws_iam_group_policy',
  'aws_iam_instance_profile',
  'aws_iam_role',
  'aws_iam_role_policy',
  'aws_iam_role_policy_attachment',
  'aws_internet_gateway',
  'aws_kms_alias',
  'aws_lakeformation_data_lake_settings',
  'aws_lakeformation_permissions',
  'aws_lakeformation_resource',
  'aws_launch_template',
  'aws_redshiftserverless_usage_limit',
  'aws_route',
  'aws_route_table',
  'aws_route_table_association',
  'aws_s3_bucket_lifecycle_configuration',
  'aws_s3_bucket_logging',
  'aws_s3_bucket_ownership_controls',
  'aws_s3_bucket_policy',
  'aws_s3_bucket_public_access_block',
  'aws_s3_bucket_server_side_encryption_configuration',
  'aws_s3_bucket_versioning',
  'aws_security_group',
  'aws_sns_topic',
  'aws_sns_topic_policy',
  'aws_sns_topic_subscription',
  'aws_subnet',
  'aws_vpc',
  'aws_vpc_security_group_egress_rule',
  'aws_vpc_security_group_ingress_rule',
]);

/** At-rest lines of one resource; undefined when no rule prices its type. */
function atRestOf(resource: Resource, context: Context): CostLine[] | undefined {
  const { values: v, address } = resource;
  const copies = (multiAz: unknown): number => (multiAz === true ? 2 : 1);
  switch (resource.type) {
    case 'aws_db_instance': {
      const n = copies(v.multi_az);
      const az = n === 2 ? 'Multi-AZ' : 'Single-AZ';
      const lines = [
        line(
          `RDS MySQL ${v.engine_version} ${v.instance_class}, ${az}`,
          address,
          HOURS_PER_MONTH * n,
          'instance-hours',
          hourly('rds', v.instance_class),
        ),
        line(
          `RDS gp3 storage, ${az}`,
          address,
          v.allocated_storage * n,
          'GB-months',
          PRICES.rdsGp3Storage,
          'backups within the free allowance (the size of the storage)',
        ),
      ];
      if (String(v.engine_version).startsWith('8.0') && v.engine_lifecycle_support === 'open-source-rds-extended-support') {
        const vcpus = RDS_VCPUS[v.instance_class];
        if (vcpus === undefined) throw new Error(`no vCPU count for ${v.instance_class}: add it to RDS_VCPUS in config/prices.ts`);
        lines.push(
          line(
            `RDS Extended Support, MySQL 8.0 (${vcpus} vCPUs)`,
            address,
            HOURS_PER_MONTH * vcpus * n,
            'vCPU-hours',
            PRICES.rdsExtendedSupport,
          ),
        );
      }
      if (v.manage_master_user_password === true)
        lines.push(line('Secrets Manager, RDS-managed master secret', address, 1, 'secret-months', PRICES.secret));
      return lines;
    }
    case 'aws_dms_replication_instance': {
      const n = copies(v.multi_az);
      return [
        line(
          `DMS ${v.replication_instance_class}${n === 2 ? ', Multi-AZ' : ''}`,
          address,
          HOURS_PER_MONTH * n,
          'instance-hours',
          hourly('dms', v.replication_instance_class),
        ),
        line('DMS replication instance storage', address, v.allocated_storage * n, 'GB-months', PRICES.dmsStorage),
      ];
    }
    case 'aws_dms_replication_config':
      return [];
    case 'aws_vpc_endpoint':
      return v.vpc_endpoint_type === 'Interface'
        ? [
            line(
              `Interface endpoint ${String(v.service_name).split('.').pop()} (${v.subnet_ids.length} AZ${v.subnet_ids.length === 1 ? '' : 's'})`,
              address,
              HOURS_PER_MONTH * v.subnet_ids.length,
              'endpoint-AZ-hours',
              PRICES.interfaceEndpoint,
            ),
          ]
        : [];
    case 'aws_ec2_instance_connect_endpoint':
      // "There is no additional cost for using EC2 Instance Connect Endpoints" (cross-AZ data transfer aside; the
      // endpoint shares the host's subnet): https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/connect-with-ec2-instance-connect-endpoint.html
      return [];
    case 'aws_nat_gateway':
      return [line('NAT gateway', address, HOURS_PER_MONTH, 'hours', PRICES.natGateway, 'data processed not priced')];
    case 'aws_eip':
      return [line('Public IPv4 address', address, HOURS_PER_MONTH, 'hours', PRICES.publicIpv4)];
    case 'aws_instance': {
      const template = referenced(context.resources, first(v.launch_template)?.id);
      const type = v.instance_type ?? template?.values.instance_type;
      const volume = first(first(template?.values.block_device_mappings)?.ebs);
      return [
        line(`EC2 ${type}`, address, HOURS_PER_MONTH, 'instance-hours', hourly('ec2', type)),
        line('EBS gp3 root volume', address, Number(volume?.volume_size ?? 8), 'GB-months', PRICES.ebsGp3),
        ...(v.monitoring === true ? [line('EC2 detailed monitoring', address, 1, 'instance-months', PRICES.ec2DetailedMonitoring)] : []),
      ];
    }
    case 'aws_kms_key':
      return [line(`KMS key ${v.description ? String(v.description).split(':')[0] : ''}`.trim(), address, 1, 'key-months', PRICES.kmsKey)];
    case 'aws_secretsmanager_secret':
      return [line(`Secrets Manager, ${v.name}`, address, 1, 'secret-months', PRICES.secret)];
    case 'aws_cloudwatch_metric_alarm':
      return [line(`CloudWatch alarm ${named(context.resources, v.alarm_name)}`, address, 1, 'alarm-months', PRICES.alarm)];
    case 'aws_redshiftserverless_namespace':
      return v.manage_admin_password === true
        ? [line('Secrets Manager, Redshift-managed admin secret', address, 1, 'secret-months', PRICES.secret)]
        : [];
    case 'aws_redshiftserverless_workgroup':
      // Redshift Serverless bills compute only while it runs queries (activity); the namespace keeps no data of its own.
      return [];
    case 'aws_cloudwatch_log_group':
    case 'aws_s3_bucket':
    case 'aws_glue_crawler':
    case 'aws_scheduler_schedule':
    case 'aws_sfn_state_machine':
      // Priced by volume below: logs and storage from `usage`, crawls per release, schedules by their executions.
      return [];
    default:
      return FREE_TYPES.has(resource.type) ? [] : undefined;
  }
}

/** Logs and storage, from `usage`: ingested every month, kept for their retention (a year at most counted). */
function volumeLines({ config, resources }: Context): CostLine[] {
  const logGroups = resources.filter((r) => r.type === 'aws_cloudwatch_log_group');
  const buckets = resources.filter((r) => r.type === 'aws_s3_bucket');
  const { logGbPerMonth, storedGb } = config.usage;
  const keptMonths = Math.min(12, config.logRetentionDays / DAYS_PER_MONTH);
  return [
    ...(logGroups.length
      ? [
          line(
            `CloudWatch Logs ingestion (${logGroups.length} log groups)`,
            'usage',
            logGbPerMonth,
            'GB',
            PRICES.logIngestion,
            'usage.logGbPerMonth: flow logs, RDS and service logs',
          ),
          line(
            'CloudWatch Logs storage',
            'usage',
            logGbPerMonth * keptMonths,
            'GB-months',
            PRICES.logStorage,
            `a year of ingestion kept (retention ${config.logRetentionDays} days)`,
          ),
        ]
      : []),
    ...(buckets.length
      ? [line(`S3 Standard storage (${buckets.length} buckets)`, 'usage', storedGb, 'GB-months', PRICES.s3Storage, 'usage.storedGb')]
      : []),
  ];
}

/** One release: the DMS full load, the crawls, the smoke checks' queries. */
function releaseLines({ resources }: Context): CostLine[] {
  const lines: CostLine[] = [];
  for (const replication of resources.filter((r) => r.type === 'aws_dms_replication_config')) {
    const compute = first(replication.values.compute_config);
    const units = Number(compute.max_capacity_units) * (compute.multi_az === true ? 2 : 1);
    const hours = ASSUMPTIONS.dmsFullLoadHours + ASSUMPTIONS.dmsServerlessRetainedHours;
    lines.push(
      line(
        `DMS Serverless full load (${units} DCU)`,
        replication.address,
        units * hours,
        'DCU-hours',
        PRICES.dmsServerless,
        `${ASSUMPTIONS.dmsFullLoadHours} h of load at the maximum capacity, then ${ASSUMPTIONS.dmsServerlessRetainedHours} h provisioned until DMS deprovisions it`,
      ),
    );
  }
  const crawlers = resources.filter((r) => r.type === 'aws_glue_crawler');
  if (crawlers.length) {
    lines.push(
      line(
        `Glue crawls (${crawlers.length} crawlers)`,
        'aws_glue_crawler',
        (crawlers.length * ASSUMPTIONS.crawlerDpus * GLUE_CRAWL_MINIMUM_MINUTES) / 60,
        'DPU-hours',
        PRICES.glueCrawler,
        `each crawl ${ASSUMPTIONS.crawlerDpus} DPUs for the 10-minute minimum`,
      ),
    );
  }
  for (const workgroup of resources.filter((r) => r.type === 'aws_redshiftserverless_workgroup')) {
    lines.push(
      line(
        'Redshift Serverless, smoke checks',
        workgroup.address,
        (Number(workgroup.values.base_capacity) * ASSUMPTIONS.warehouseSmokeMinutes) / 60,
        'RPU-hours',
        PRICES.redshiftRpu,
        `${ASSUMPTIONS.warehouseSmokeMinutes} minutes at the base ${workgroup.values.base_capacity} RPUs`,
      ),
    );
  }
  const readerWorkgroups = resources.filter((r) => r.type === 'aws_athena_workgroup');
  if (readerWorkgroups.length) {
    const tables = resources.filter((r) => r.type === 'aws_glue_catalog_table').length;
    lines.push(
      line(
        'Athena, smoke checks',
        'aws_athena_workgroup',
        (tables * 4 * ATHENA_MINIMUM_BYTES) / 1e12,
        'TB',
        PRICES.athenaScan,
        `four queries per catalog table (${tables}): reconciliation and governance as two personas, 10 MB each`,
      ),
    );
  }
  return lines;
}

/** People's queries a month, from `usage`. */
function monthlyUsageLines({ config, resources }: Context): CostLine[] {
  const { warehouseRpuHoursPerMonth, athenaBytesScannedPerMonth } = config.usage;
  return [
    ...(resources.some((r) => r.type === 'aws_redshiftserverless_workgroup') && warehouseRpuHoursPerMonth > 0
      ? [
          line(
            'Redshift Serverless, people’s queries',
            'usage',
            warehouseRpuHoursPerMonth,
            'RPU-hours',
            PRICES.redshiftRpu,
            'usage.warehouseRpuHoursPerMonth',
          ),
        ]
      : []),
    ...(athenaBytesScannedPerMonth > 0
      ? [
          line(
            'Athena, people’s queries',
            'usage',
            athenaBytesScannedPerMonth / 1e12,
            'TB',
            PRICES.athenaScan,
            'usage.athenaBytesScannedPerMonth',
          ),
        ]
      : []),
  ];
}

const total = (lines: readonly CostLine[]): number => round(lines.reduce((sum, l) => sum + l.monthlyUsd, 0));

export interface EstimateInput {
  readonly config: EnvironmentConfig;
  /** The environment's synthesized stack (`cdk.tf.json`, or `TerraformStack.toTerraform()`). */
  readonly stack: unknown;
  readonly stackName: string;
  /**
   * The account baseline's synthesized stack and this environment's share of it (1 / the account's environments):
   * an AWS Budgets cost budget sees the whole account.
   */
  readonly baseline?: { readonly stack: unknown; readonly share: number };
}

/** The estimate of one environment. */
export function estimateEnvironment(input: EstimateInput): EnvironmentEstimate {
  const { config } = input;
  const context: Context = { config, resources: resourcesOf(input.stack) };
  const unpriced = new Set<string>();
  const priceAll = (ctx: Context, share = 1): CostLine[] =>
    ctx.resources.flatMap((resource) => {
      const lines = atRestOf(resource, ctx);
      if (lines === undefined) unpriced.add(resource.type);
      return (lines ?? []).map((l) =>
        share === 1
          ? l
          : {
              ...l,
              item: `${l.item} (account baseline, ${Math.round(share * 100)}%)`,
              quantity: l.quantity * share,
              monthlyUsd: l.monthlyUsd * share,
            },
      );
    });
  const baselineLines = input.baseline ? priceAll({ config, resources: resourcesOf(input.baseline.stack) }, input.baseline.share) : [];
  // The largest first, then by item and resource: the same order whichever way the stack was read.
  const finished = (lines: readonly CostLine[]): CostLine[] =>
    lines
      .filter((l) => l.quantity > 0)
      .map((l) => ({ ...l, quantity: Math.round(l.quantity * 1000) / 1000, monthlyUsd: round(l.monthlyUsd) }))
      .sort((a, b) => b.monthlyUsd - a.monthlyUsd || a.item.localeCompare(b.item) || a.resource.localeCompare(b.resource));
  const atRestLines = finished([...priceAll(context), ...baselineLines, ...scheduledWorkflows(context), ...volumeLines(context)]);
  const release = finished(releaseLines(context));
  const { releasesPerMonth } = config.usage;
  const activityLines = finished([
    ...releaseLines(context).map((l) => ({
      ...l,
      item: `${l.item}, ${releasesPerMonth} release${releasesPerMonth === 1 ? '' : 's'}`,
      quantity: l.quantity * releasesPerMonth,
      monthlyUsd: l.monthlyUsd * releasesPerMonth,
    })),
    ...monthlyUsageLines(context),
  ]);
  const atRest = { lines: atRestLines, totalUsd: total(atRestLines) };
  const activity = { lines: activityLines, totalUsd: total(activityLines), perReleaseUsd: total(release), releasesPerMonth };
  return {
    environment: config.name,
    stack: input.stackName,
    atRest,
    activity,
    expectedUsd: round(atRest.totalUsd + activity.totalUsd),
    unpriced: [...unpriced].sort(),
  };
}
