import * as ipaddr from 'ipaddr.js';
import { EnvironmentConfig } from './types';

/** Raised at synth time when an environment's settings cannot produce a safe, valid deployment. */
export class ConfigError extends Error {
  constructor(
    readonly environment: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration for environment "${environment}":\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Retention values CloudWatch Logs accepts. */
export const CLOUDWATCH_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const MIN_LOG_RETENTION_DAYS = 365;
export const MIN_BACKUP_RETENTION_DAYS = 7;

const RDS_CLASS = /^db\.[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|xlarge|[0-9]+xlarge|metal)$/;
const EC2_TYPE = /^[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|xlarge|[0-9]+xlarge|metal)$/;
const ACCOUNT_ID = /^[0-9]{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$/;
const NAME = /^[a-z][a-z0-9]{1,11}$/;
const PROJECT = /^[a-z][a-z0-9]{1,15}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

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
  add(
    !/^dms\.[a-z][a-z0-9]*\.(micro|small|medium|large|xlarge|[0-9]+xlarge)$/.test(config.migration.replicationInstanceClass),
    `migration.replicationInstanceClass "${config.migration.replicationInstanceClass}" is not a DMS instance class such as dms.t3.micro`,
  );
  add(
    config.migration.mode === 'full-load-and-cdc' && database.backupRetentionDays < 1,
    'migration.mode full-load-and-cdc needs automated backups (binary logs)',
  );
  add(
    config.analytics.bytesScannedCutoffPerQuery < 10_000_000,
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
  if (config.stateBackend) {
    add(!BUCKET.test(config.stateBackend.bucket), `stateBackend.bucket "${config.stateBackend.bucket}" is not a valid S3 bucket name`);
    add(!REGION.test(config.stateBackend.region), `stateBackend.region "${config.stateBackend.region}" is not an AWS region name`);
  }
  return problems;
}

/** Throws a `ConfigError` listing every problem, so a bad environment fails the synth with a clear message. */
export function assertValidConfig(config: EnvironmentConfig): EnvironmentConfig {
  const problems = configProblems(config);
  if (problems.length > 0) throw new ConfigError(config.name, problems);
  return config;
}
