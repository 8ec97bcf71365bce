import * as ipaddr from 'ipaddr.js';
import { baselineStateKey, environmentStateKey, stateBucketName } from './accounts';
import { AccountConfig, DEFAULT_FRESHNESS_TARGET_MINUTES, EnvironmentConfig, StateBackendConfig } from './types';

/** Raised at synth time when settings cannot produce a safe, valid deployment; it lists every problem at once. */
export class ConfigError extends Error {
  /**
   * @param subject what is invalid: `environment "dev"`, or `the platform` (accounts and environments together)
   */
  constructor(
    readonly subject: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration for ${subject}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Retention values CloudWatch Logs accepts. */
export const CLOUDWATCH_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const MIN_LOG_RETENTION_DAYS = 365;
export const MIN_BACKUP_RETENTION_DAYS = 7;
/** Six years in days, the HIPAA retention of required documentation (45 CFR 164.316(b)(2)(i)), as CloudWatch counts it. */
export const SIX_YEARS_DAYS = 2192;
/** Athena's smallest bytes-scanned cutoff per query. */
const MIN_BYTES_SCANNED_CUTOFF = 10_000_000;
/**
 * The longest schedule whose staleness (three periods without a successful merge, `STALE_AFTER_MERGE_PERIODS`) one
 * CloudWatch alarm can watch: an alarm evaluates at most seven days (period x evaluation periods), one day when its
 * period is under an hour, which three periods of a schedule under 20 minutes always are
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html, Period).
 */
const MAX_MERGE_INTERVAL_MINUTES = (7 * 24 * 60) / 3;
/**
 * DMS's change batch in minutes: how long a committed change may wait before DMS writes it to S3
 * (`CDC_MAX_BATCH_INTERVAL_SECONDS` of the migration, which a test keeps equal).
 */
export const DMS_CHANGE_BATCH_MINUTES = 1;
/** The fewest days before S3 moves an object to Standard-IA, and the least it keeps an object there before Glacier. */
const MIN_INFREQUENT_ACCESS_DAYS = 30;

const RDS_CLASS = /^db\.[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|xlarge|[0-9]+xlarge|metal)$/;
const EC2_TYPE = /^[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|xlarge|[0-9]+xlarge|metal)$/;
const ACCOUNT_ID = /^[0-9]{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$/;
const NAME = /^[a-z][a-z0-9]{1,11}$/;
const PROJECT = /^[a-z][a-z0-9]{1,15}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** IAM user and role names: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names */
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;

/** Bits added to the VPC prefix for each subnet: up to 16 subnets of equal size. */
export const SUBNET_NEWBITS = 4;
const MAX_VPC_PREFIX = 20;

/** Checks a VPC CIDR: a valid IPv4 network address in a private (RFC 1918) range, prefix /16 to /20. */
export function vpcCidrProblem(cidr: string): string | undefined {
  if (!ipaddr.IPv4.isValidCIDR(cidr)) {
    return `network.vpcCidr "${cidr}" is not an IPv4 CIDR such as 10.20.0.0/16`;
  }
  const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  if (prefix < 16 || prefix > MAX_VPC_PREFIX) {
    return `network.vpcCidr "${cidr}" must have a prefix from /16 to /${MAX_VPC_PREFIX}: each AZ gets a /${prefix + SUBNET_NEWBITS} subnet, which must hold the endpoints, RDS, DMS and Redshift`;
  }
  const network = ipaddr.IPv4.networkAddressFromCIDR(cidr);
  if (network.toString() !== address.toString()) {
    return `network.vpcCidr "${cidr}" has host bits set; the network address is ${network.toString()}/${prefix}`;
  }
  if (address.range() !== 'private') {
    return `network.vpcCidr "${cidr}" is not in a private range (10/8, 172.16/12, 192.168/16)`;
  }
  return undefined;
}

/**
 * The interval of an EventBridge Scheduler rate expression in minutes (`rate(10 minutes)` is 10, `rate(1 hour)` 60);
 * undefined for anything else, a cron expression included
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#rate-based).
 */
export function rateMinutes(expression: string): number | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) return undefined;
  const value = Number(match[1]);
  const singular = value === 1;
  if (singular !== !match[2].endsWith('s')) return undefined;
  return value * ({ minute: 1, hour: 60, day: 1440 } as Record<string, number>)[match[2].replace(/s$/, '')];
}

/** Problems with the change log's lifecycle and the merge's schedules. */
function lakeProblems(config: EnvironmentConfig): string[] {
  const problems: string[] = [];
  const add = (condition: boolean, message: string): void => {
    if (condition) problems.push(message);
  };
  const { changeLog, merge } = config.lake;
  const wholeDays = (days: number | undefined): boolean => days === undefined || (Number.isInteger(days) && days >= 1);
  for (const key of ['infrequentAccessAfterDays', 'glacierAfterDays', 'expireAfterDays'] as const) {
    add(!wholeDays(changeLog[key]), `lake.changeLog.${key} must be a whole number of days >= 1`);
  }
  add(
    changeLog.infrequentAccessAfterDays < MIN_INFREQUENT_ACCESS_DAYS,
    `lake.changeLog.infrequentAccessAfterDays ${changeLog.infrequentAccessAfterDays} is below the ${MIN_INFREQUENT_ACCESS_DAYS} days S3 requires before Standard-IA`,
  );
  add(
    changeLog.glacierAfterDays !== undefined &&
      changeLog.glacierAfterDays < changeLog.infrequentAccessAfterDays + MIN_INFREQUENT_ACCESS_DAYS,
    `lake.changeLog.glacierAfterDays ${changeLog.glacierAfterDays} must be at least ${MIN_INFREQUENT_ACCESS_DAYS} days after infrequentAccessAfterDays (${changeLog.infrequentAccessAfterDays}): Standard-IA bills ${MIN_INFREQUENT_ACCESS_DAYS} days at least`,
  );
  const lastTransition = changeLog.glacierAfterDays ?? changeLog.infrequentAccessAfterDays;
  add(
    changeLog.expireAfterDays !== undefined && changeLog.expireAfterDays <= lastTransition,
    `lake.changeLog.expireAfterDays ${changeLog.expireAfterDays} must come after the last storage-class transition (day ${lastTransition})`,
  );
  add(
    config.database.deletionProtection &&
      changeLog.expireAfterDays !== undefined &&
      changeLog.expireAfterDays < SIX_YEARS_DAYS &&
      changeLog.expiryBeforeSixYearsAccepted !== true,
    `lake.changeLog.expireAfterDays ${changeLog.expireAfterDays} deletes the change log, the audit trail of the clinic's data, before six years (${SIX_YEARS_DAYS} days) in an environment that keeps its data; set expiryBeforeSixYearsAccepted: true if that is meant`,
  );
  const interval = rateMinutes(merge.schedule);
  add(
    interval === undefined,
    `lake.merge.schedule "${merge.schedule}" must be a rate expression such as rate(10 minutes): the staleness alarm watches for three periods without a successful merge`,
  );
  add(
    interval !== undefined && interval > MAX_MERGE_INTERVAL_MINUTES,
    `lake.merge.schedule "${merge.schedule}" is longer than ${MAX_MERGE_INTERVAL_MINUTES} minutes: three periods exceed the seven days a CloudWatch alarm can evaluate`,
  );
  // Only change capture brings changes between releases; with full loads the release's smoke run starts the merge
  // right after the load, so the schedule does not bound how soon a change is queryable.
  const capturesChanges = config.migration.mode === 'full-load-and-cdc';
  const target = merge.freshnessTargetMinutes ?? DEFAULT_FRESHNESS_TARGET_MINUTES;
  add(!Number.isInteger(target) || target < 1, `lake.merge.freshnessTargetMinutes ${target} must be a whole number of minutes >= 1`);
  add(
    capturesChanges && interval !== undefined && interval + DMS_CHANGE_BATCH_MINUTES >= target,
    `lake.merge.schedule "${merge.schedule}" cannot meet lake.merge.freshnessTargetMinutes ${target}: a change can wait ${DMS_CHANGE_BATCH_MINUTES} minute for DMS's change batch and ${interval} minutes for the next merge, before the merge itself runs`,
  );
  add(
    !/^(cron|rate)\(.+\)$/.test(merge.maintenanceSchedule),
    `lake.merge.maintenanceSchedule "${merge.maintenanceSchedule}" is not an EventBridge Scheduler cron(...) or rate(...) expression`,
  );
  add(
    merge.bytesScannedCutoffPerQuery < MIN_BYTES_SCANNED_CUTOFF,
    `lake.merge.bytesScannedCutoffPerQuery ${merge.bytesScannedCutoffPerQuery} is below Athena's 10 MB minimum`,
  );
  return problems;
}

/**
 * All problems with one environment's settings, empty when it is valid. Kept separate from `assertValid` so a
 * test or a tool can list every problem at once.
 */
export function configProblems(config: EnvironmentConfig): string[] {
  const problems: string[] = [];
  const add = (condition: boolean, message: string): void => {
    if (condition) problems.push(message);
  };

  add(!NAME.test(config.name), `name "${config.name}" must be 2-12 lower-case letters or digits, starting with a letter`);
  add(!PROJECT.test(config.project), `project "${config.project}" must be 2-16 lower-case letters or digits, starting with a letter`);
  add(!REGION.test(config.region), `region "${config.region}" is not an AWS region name such as us-east-1`);
  add(!ACCOUNT_ID.test(config.accountId), `accountId "${config.accountId}" must be 12 digits`);

  const { network, database, storage } = config;
  const cidrProblem = vpcCidrProblem(network.vpcCidr);
  if (cidrProblem) problems.push(cidrProblem);
  add(
    network.availabilityZones.length < 2,
    `network.availabilityZones lists ${network.availabilityZones.length} AZ(s); at least 2 are needed for the RDS subnet group and Multi-AZ`,
  );
  add(new Set(network.availabilityZones).size !== network.availabilityZones.length, 'network.availabilityZones has duplicates');
  for (const az of network.availabilityZones) {
    add(
      !(az.startsWith(config.region) && /^[a-z]$/.test(az.slice(config.region.length))),
      `network.availabilityZones: "${az}" is not an AZ of ${config.region}`,
    );
  }
  add(
    !Number.isInteger(network.interfaceEndpointAzCount) ||
      network.interfaceEndpointAzCount < 1 ||
      network.interfaceEndpointAzCount > network.availabilityZones.length,
    `network.interfaceEndpointAzCount ${network.interfaceEndpointAzCount} must be a whole number from 1 to the ${network.availabilityZones.length} availability zones`,
  );
  add(
    network.accessHost.enabled && !EC2_TYPE.test(network.accessHost.instanceType),
    `network.accessHost.instanceType "${network.accessHost.instanceType}" is not an EC2 instance type such as t4g.nano`,
  );
  add(
    network.accessHost.enabled && !network.accessHost.amiSsmParameter.startsWith('/'),
    `network.accessHost.amiSsmParameter "${network.accessHost.amiSsmParameter}" must be an SSM parameter path`,
  );

  add(
    !RDS_CLASS.test(database.instanceClass),
    `database.instanceClass "${database.instanceClass}" is not an RDS instance class such as db.t4g.micro`,
  );
  add(database.allocatedStorageGiB < 20, `database.allocatedStorageGiB ${database.allocatedStorageGiB} is below the gp3 minimum of 20`);
  add(
    database.maxAllocatedStorageGiB <= database.allocatedStorageGiB,
    `database.maxAllocatedStorageGiB (${database.maxAllocatedStorageGiB}) must exceed allocatedStorageGiB (${database.allocatedStorageGiB}) for storage autoscaling`,
  );
  add(
    database.backupRetentionDays < MIN_BACKUP_RETENTION_DAYS || database.backupRetentionDays > 35,
    `database.backupRetentionDays ${database.backupRetentionDays} must be from ${MIN_BACKUP_RETENTION_DAYS} to 35 (binary logs for DMS need backups)`,
  );

  add(
    !(CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(config.logRetentionDays),
    `logRetentionDays ${config.logRetentionDays} is not a CloudWatch Logs retention value (${CLOUDWATCH_RETENTION_DAYS.join(', ')})`,
  );
  add(
    config.logRetentionDays < MIN_LOG_RETENTION_DAYS,
    `logRetentionDays ${config.logRetentionDays} is below the ${MIN_LOG_RETENTION_DAYS} days audit logs must be kept`,
  );
  for (const key of ['athenaResultsExpirationDays', 'noncurrentVersionExpirationDays', 'accessLogRetentionDays'] as const) {
    add(!Number.isInteger(storage[key]) || storage[key] < 1, `storage.${key} must be a whole number of days >= 1`);
  }
  add(
    storage.forceDestroyBuckets && database.deletionProtection,
    'storage.forceDestroyBuckets cannot be true in an environment whose database has deletion protection: it would let a destroy delete the lake',
  );
  add(!(config.monthlyBudgetUsd > 0), `monthlyBudgetUsd ${config.monthlyBudgetUsd} must be positive`);
  problems.push(...migrationCapacityProblems(config));
  add(
    !/^[^\s]+\.pem$/.test(config.migration.sourceCaBundleFile),
    `migration.sourceCaBundleFile "${config.migration.sourceCaBundleFile}" must be the path of a PEM file (*.pem): the CA bundle DMS verifies the source with`,
  );
  add(
    config.migration.mode === 'full-load-and-cdc' && database.backupRetentionDays < 1,
    'migration.mode full-load-and-cdc needs automated backups (binary logs)',
  );
  add(
    config.analytics.bytesScannedCutoffPerQuery < MIN_BYTES_SCANNED_CUTOFF,
    `analytics.bytesScannedCutoffPerQuery ${config.analytics.bytesScannedCutoffPerQuery} is below Athena's 10 MB minimum`,
  );
  const arnRole = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]+$/;
  add(
    !arnRole.test(config.governance.deployRoleArn),
    `governance.deployRoleArn "${config.governance.deployRoleArn}" must be an IAM role ARN (Lake Formation admins are users or roles, never groups)`,
  );
  for (const principal of config.governance.analystTrustedPrincipalArns) {
    add(
      !/^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role\/[\w+=,.@/-]+)$/.test(principal),
      `governance.analystTrustedPrincipalArns: "${principal}" is not an account root or role ARN`,
    );
  }
  const { baseRpu, maxRpu, monthlyRpuHoursLimit } = config.warehouse;
  add(baseRpu < 8 || baseRpu > 512 || baseRpu % 8 !== 0, `warehouse.baseRpu ${baseRpu} must be 8 to 512 in steps of 8`);
  add(maxRpu < baseRpu || maxRpu % 8 !== 0, `warehouse.maxRpu ${maxRpu} must be a multiple of 8 no lower than baseRpu`);
  add(!(monthlyRpuHoursLimit > 0), `warehouse.monthlyRpuHoursLimit ${monthlyRpuHoursLimit} must be positive`);
  add(config.alertEmails.length === 0, 'alertEmails must name at least one address for budget and failure alerts');
  for (const [key, value] of Object.entries(config.usage)) {
    add(!(Number.isFinite(value) && value >= 0), `usage.${key} ${value} must be a number >= 0`);
  }
  problems.push(...lakeProblems(config));
  problems.push(...stateBackendProblems(config.stateBackend));
  return problems;
}

/**
 * DMS Serverless capacity units a replication may be given
 * (https://docs.aws.amazon.com/dms/latest/APIReference/API_ComputeConfig.html, MaxCapacityUnits).
 */
export const DMS_CAPACITY_UNITS = [1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384] as const;

function migrationCapacityProblems(config: EnvironmentConfig): string[] {
  const { capacity, mode } = config.migration;
  if (capacity.kind === 'instance') {
    return /^dms\.[a-z][a-z0-9]*\.(micro|small|medium|large|xlarge|[0-9]+xlarge)$/.test(capacity.replicationInstanceClass)
      ? []
      : [
          `migration.capacity.replicationInstanceClass "${capacity.replicationInstanceClass}" is not a DMS instance class such as dms.t3.micro`,
        ];
  }
  const units = DMS_CAPACITY_UNITS as readonly number[];
  return [
    ...(['minCapacityUnits', 'maxCapacityUnits'] as const)
      .filter((key) => !units.includes(capacity[key]))
      .map((key) => `migration.capacity.${key} ${capacity[key]} is not a DMS capacity unit count (${units.join(', ')})`),
    ...(capacity.minCapacityUnits > capacity.maxCapacityUnits
      ? [`migration.capacity.minCapacityUnits ${capacity.minCapacityUnits} exceeds maxCapacityUnits ${capacity.maxCapacityUnits}`]
      : []),
    // Change capture keeps a serverless replication provisioned, and billed, all the time; the CDC-latency alarm
    // and the release's resume logic are a replication task's.
    ...(mode === 'full-load-and-cdc'
      ? ['migration.capacity serverless is for full loads only: change capture (full-load-and-cdc) runs on an instance']
      : []),
  ];
}

/** A monthly estimate, as `npm run cost` computes it from the synthesized stacks. */
export interface MonthlyEstimate {
  /** What the environment costs with nothing running but what must. */
  readonly atRestUsd: number;
  /** The expected month: at rest plus `usage` (releases, queries). */
  readonly expectedUsd: number;
}

/**
 * Warnings, not errors: an estimate is a model, and an environment may be meant to cost more than its budget for a
 * while. Shown at synth (cdktf annotations) and by `npm run cost`.
 */
export function budgetWarnings(config: EnvironmentConfig, estimate: MonthlyEstimate): string[] {
  const usd = (value: number): string => `$${value.toFixed(2)}`;
  if (estimate.atRestUsd > config.monthlyBudgetUsd) {
    return [
      `environment "${config.name}": the at-rest estimate ${usd(estimate.atRestUsd)} a month exceeds monthlyBudgetUsd ${usd(config.monthlyBudgetUsd)} (npm run cost)`,
    ];
  }
  if (estimate.expectedUsd > config.monthlyBudgetUsd) {
    return [
      `environment "${config.name}": the expected month ${usd(estimate.expectedUsd)} (at rest plus usage) exceeds monthlyBudgetUsd ${usd(config.monthlyBudgetUsd)}; the budget alert will fire (npm run cost)`,
    ];
  }
  return [];
}

function stateBackendProblems(backend: StateBackendConfig | undefined): string[] {
  if (!backend) return [];
  return [
    ...(BUCKET.test(backend.bucket) ? [] : [`stateBackend.bucket "${backend.bucket}" is not a valid S3 bucket name`]),
    ...(REGION.test(backend.region) ? [] : [`stateBackend.region "${backend.region}" is not an AWS region name`]),
  ];
}

/** Throws a `ConfigError` listing every problem, so a bad environment fails the synth with a clear message. */
export function assertValidConfig(config: EnvironmentConfig): EnvironmentConfig {
  const problems = configProblems(config);
  if (problems.length > 0) throw new ConfigError(`environment "${config.name}"`, problems);
  return config;
}

/** All problems with one account's own settings, empty when it is valid. */
export function accountProblems(account: AccountConfig): string[] {
  const problems: string[] = [];
  const add = (condition: boolean, message: string): void => {
    if (condition) problems.push(message);
  };
  add(!NAME.test(account.name), `name "${account.name}" must be 2-12 lower-case letters or digits, starting with a letter`);
  add(!PROJECT.test(account.project), `project "${account.project}" must be 2-16 lower-case letters or digits, starting with a letter`);
  add(!ACCOUNT_ID.test(account.id), `id "${account.id}" must be 12 digits`);
  add(!REGION.test(account.region), `region "${account.region}" is not an AWS region name such as us-east-1`);
  add(!IAM_NAME.test(account.deployRoleName), `deployRoleName "${account.deployRoleName}" is not an IAM role name`);
  add(!IAM_NAME.test(account.planRoleName), `planRoleName "${account.planRoleName}" is not an IAM role name`);
  for (const user of account.lakeAdministratorUsers) {
    add(!IAM_NAME.test(user), `lakeAdministratorUsers: "${user}" is not an IAM user name`);
  }
  add(new Set(account.lakeAdministratorUsers).size !== account.lakeAdministratorUsers.length, 'lakeAdministratorUsers has duplicates');
  problems.push(...stateBackendProblems(account.stateBackend));
  const bucket = stateBucketName(account.project, account.id);
  add(
    account.stateBackend !== undefined && account.stateBackend.bucket !== bucket,
    `stateBackend.bucket "${account.stateBackend?.bucket}" does not derive from the account: its state bucket is "${bucket}"`,
  );
  return problems;
}

/** The accounts and environments the app synthesizes. */
export interface PlatformConfig {
  readonly accounts: readonly AccountConfig[];
  readonly environments: readonly EnvironmentConfig[];
}

/** Values that occur more than once. */
function duplicates(values: readonly string[]): string[] {
  return [...new Set(values.filter((value, index) => values.indexOf(value) !== index))];
}

/** `[a, b]` for every pair of two different items of a list. */
function pairs<T>(items: readonly T[]): [T, T][] {
  return items.flatMap((a, index) => items.slice(index + 1).map((b): [T, T] => [a, b]));
}

function cidrsOverlap(a: string, b: string): boolean {
  if (!ipaddr.IPv4.isValidCIDR(a) || !ipaddr.IPv4.isValidCIDR(b)) return false;
  const [addressA, prefixA] = ipaddr.IPv4.parseCIDR(a);
  const [addressB, prefixB] = ipaddr.IPv4.parseCIDR(b);
  return addressA.match(addressB, prefixB) || addressB.match(addressA, prefixA);
}

/** What an environment must take from its account rather than write out: id, region, project, deploy role, state bucket. */
function accountMismatches(environment: EnvironmentConfig, account: AccountConfig): string[] {
  const problems: string[] = [];
  const add = (condition: boolean, message: string): void => {
    if (condition) problems.push(message);
  };
  const of = `of account "${account.name}"`;
  add(environment.accountId !== account.id, `accountId "${environment.accountId}" is not the id ${of} (${account.id})`);
  add(environment.region !== account.region, `region "${environment.region}" is not the region ${of} (${account.region})`);
  add(environment.project !== account.project, `project "${environment.project}" is not the project ${of} (${account.project})`);
  const deployRoleAccount = /^arn:aws[a-z-]*:iam::([0-9]{12}):role\//.exec(environment.governance.deployRoleArn)?.[1];
  add(
    deployRoleAccount !== account.id,
    `governance.deployRoleArn "${environment.governance.deployRoleArn}" does not derive from account "${account.name}": it must be a role of ${account.id}`,
  );
  const bucket = stateBucketName(account.project, account.id);
  add(
    environment.stateBackend !== undefined && environment.stateBackend.bucket !== bucket,
    `stateBackend.bucket "${environment.stateBackend?.bucket}" does not derive from account "${account.name}": its state bucket is "${bucket}"`,
  );
  return problems;
}

/**
 * Every problem of the platform at once: each account's and environment's own, and those between them. Two
 * declarations of one account would be two baselines owning the same account- and region-wide singletons (Lake
 * Formation settings, catalog encryption, DMS roles, LakeAdministrators), and whichever applied last would win.
 */
export function platformProblems({ accounts, environments }: PlatformConfig): string[] {
  const problems: string[] = [];
  for (const account of accounts) problems.push(...accountProblems(account).map((p) => `account "${account.name}": ${p}`));
  for (const environment of environments) {
    problems.push(...configProblems(environment).map((p) => `environment "${environment.name}": ${p}`));
  }

  for (const id of duplicates(accounts.map((a) => a.id))) {
    const owners = accounts.filter((a) => a.id === id).map((a) => `"${a.name}"`);
    problems.push(
      `accounts ${owners.join(' and ')} are both account ${id}: two baselines would own its Lake Formation settings, catalog encryption, DMS roles and LakeAdministrators group; declare each account once`,
    );
  }
  for (const name of duplicates(accounts.map((a) => a.name))) problems.push(`account name "${name}" is declared more than once`);
  for (const name of duplicates(environments.map((e) => e.name))) problems.push(`environment name "${name}" is declared more than once`);

  for (const environment of environments) {
    const account = accounts.find((a) => a.name === environment.account);
    if (!account) {
      problems.push(
        `environment "${environment.name}": account "${environment.account}" is not declared (accounts: ${accounts.map((a) => a.name).join(', ')})`,
      );
      continue;
    }
    problems.push(...accountMismatches(environment, account).map((p) => `environment "${environment.name}": ${p}`));
  }

  for (const [a, b] of pairs(environments)) {
    if (a.accountId === b.accountId && cidrsOverlap(a.network.vpcCidr, b.network.vpcCidr)) {
      problems.push(
        `environments "${a.name}" (${a.network.vpcCidr}) and "${b.name}" (${b.network.vpcCidr}) share account ${a.accountId} and their VPC CIDRs overlap`,
      );
    }
  }

  const stateLocations = [
    ...accounts.flatMap((a) =>
      a.stateBackend ? [{ owner: `account "${a.name}"`, key: `s3://${a.stateBackend.bucket}/${baselineStateKey(a)}` }] : [],
    ),
    ...environments.flatMap((e) =>
      e.stateBackend ? [{ owner: `environment "${e.name}"`, key: `s3://${e.stateBackend.bucket}/${environmentStateKey(e)}` }] : [],
    ),
  ];
  for (const key of duplicates(stateLocations.map((s) => s.key))) {
    const owners = stateLocations.filter((s) => s.key === key).map((s) => s.owner);
    problems.push(`${owners.join(' and ')} would share the state ${key}`);
  }
  return problems;
}

/**
 * Whether an account id is a documentation placeholder (one digit twelve times, as 111111111111, or 123456789012):
 * the ids this repository ships with, which must be replaced before the first deploy.
 */
export function isPlaceholderAccountId(id: string): boolean {
  return /^(\d)\1{11}$/.test(id) || id === '123456789012';
}

/**
 * What is valid but not deployable yet, as warnings the synth shows (cdktf annotations) without failing, so that
 * tests and offline plans keep working on the shipped placeholders: an account id that is a documentation
 * placeholder. `npm run preflight` fails on the same ids before a deploy.
 * @param subject whose id it is, for example `account "nonprod"`
 * @param where the file and setting to change
 */
export function accountIdWarnings(subject: string, id: string, where: string): string[] {
  if (!isPlaceholderAccountId(id)) return [];
  return [
    `${subject} uses the placeholder account id ${id}: set the real 12-digit id in ${where} before deploying (the provider's allowed_account_ids refuses every other account, and npm run preflight fails until it is set)`,
  ];
}

/** Throws a `ConfigError` listing every problem of the platform, so the synth stops before any stack is built. */
export function assertValidPlatform(platform: PlatformConfig): PlatformConfig {
  const problems = platformProblems(platform);
  if (problems.length > 0) throw new ConfigError('the platform', problems);
  return platform;
}
