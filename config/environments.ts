import { accountRoleArn, commonTags, nonprodAccount, prodAccount, region } from './accounts';
import {
  AccessHostConfig,
  AccountConfig,
  AnalyticsConfig,
  DatabaseConfig,
  EnvironmentConfig,
  MergeConfig,
  MigrationConfig,
  NetworkConfig,
  WarehouseConfig,
} from './types';

/**
 * Where the deploy pipeline puts the region's RDS CA bundle before synth
 * (`curl -fsSL https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem -o certs/rds-<region>-bundle.pem`).
 */
export function rdsCaBundleFile(bundleRegion: string): string {
  return `certs/rds-${bundleRegion}-bundle.pem`;
}

/** Settings of the sections that every environment shares; each environment spreads them and adds its own. */
const everyEnvironment = {
  network: {
    availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    internetEgress: 'vpc-endpoints-only',
  },
  accessHost: {
    instanceType: 't4g.nano',
    amiSsmParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
  },
  // In RDS standard support (8.0 left it on 2026-07-31; its Extended Support bills per vCPU-hour), a DMS source
  // ("Sources for AWS DMS" lists MySQL 8.4), and the MariaDB Audit Plugin option is offered on every 8.4 version
  // (README, "Monthly cost estimate").
  database: { engineVersion: '8.4', auditLog: true },
  migration: { sourceCaBundleFile: rdsCaBundleFile(region) },
  analytics: { athenaEngineVersion: 'Athena engine version 3' },
  warehouse: { baseRpu: 8 },
  // Every ten minutes: with DMS writing a change to S3 within a minute (CdcMaxBatchInterval 60 s) and a merge that
  // takes a few minutes, a committed change is queryable within 15 minutes (README, "Raw change log and current state").
  merge: { schedule: 'rate(10 minutes)', maintenanceSchedule: 'cron(30 4 * * ? *)', freshnessTargetMinutes: 15 },
} satisfies {
  readonly network: Partial<NetworkConfig>;
  readonly accessHost: Partial<AccessHostConfig>;
  readonly database: Partial<DatabaseConfig>;
  readonly migration: Partial<MigrationConfig>;
  readonly analytics: Partial<AnalyticsConfig>;
  readonly warehouse: Partial<WarehouseConfig>;
  readonly merge: Partial<MergeConfig>;
};

/** What `defineEnvironment` sets for every environment: shared, or derived from the environment's name and account. */
type CommonSettings = 'name' | 'project' | 'account' | 'region' | 'accountId' | 'governance' | 'alertEmails' | 'stateBackend' | 'tags';

/**
 * An environment from its name, its account and its own settings. The account id, region, deploying role, analysts'
 * principals and state bucket are the account's, so that no setting can name another account.
 */
export function defineEnvironment(name: string, account: AccountConfig, own: Omit<EnvironmentConfig, CommonSettings>): EnvironmentConfig {
  return {
    name,
    project: account.project,
    account: account.name,
    region: account.region,
    accountId: account.id,
    governance: {
      deployRoleArn: accountRoleArn(account, account.deployRoleName),
      analystTrustedPrincipalArns: [`arn:aws:iam::${account.id}:root`],
    },
    alertEmails: ['platform-alerts@example.com'],
    stateBackend: account.stateBackend,
    tags: { ...commonTags, Environment: name },
    ...own,
  };
}

export const dev = defineEnvironment('dev', nonprodAccount, {
  network: {
    ...everyEnvironment.network,
    vpcCidr: '10.20.0.0/16',
    interfaceEndpointAzCount: 1,
    // The release workflow seeds and smoke-checks every environment's database through a port forward through this
    // host (.github/workflows/release-environment.yml). Dev reaches it over SSH through an EC2 Instance Connect
    // Endpoint, which bills nothing by the hour, instead of the ssm and ssmmessages endpoints (README, "Operator access
    // to the database").
    accessHost: {
      ...everyEnvironment.accessHost,
      enabled: true,
      connection: 'instance-connect-endpoint',
    },
  },
  database: {
    ...everyEnvironment.database,
    instanceClass: 'db.t4g.micro',
    allocatedStorageGiB: 20,
    maxAllocatedStorageGiB: 50,
    backupRetentionDays: 7,
    multiAz: false,
    deletionProtection: false,
    keepFinalSnapshot: false,
  },
  storage: {
    athenaResultsExpirationDays: 7,
    noncurrentVersionExpirationDays: 30,
    accessLogRetentionDays: 365,
    forceDestroyBuckets: true,
  },
  migration: {
    ...everyEnvironment.migration,
    // Full loads at releases only: capacity exists while a load runs (and until DMS deprovisions it), none between.
    capacity: { kind: 'serverless', minCapacityUnits: 1, maxCapacityUnits: 1, multiAz: false },
    mode: 'full-load',
    cdcLatencyAlarmSeconds: 600,
  },
  analytics: {
    ...everyEnvironment.analytics,
    bytesScannedCutoffPerQuery: 1_000_000_000,
  },
  lake: {
    changeLog: { infrequentAccessAfterDays: 30, expireAfterDays: 365 },
    // Full loads only: the data changes at releases, whose smoke run starts the merge itself after the load. A daily
    // merge keeps the staleness alarm watching (three days without a successful merge) for a fraction of the cost.
    merge: { ...everyEnvironment.merge, schedule: 'rate(1 day)', bytesScannedCutoffPerQuery: 1_000_000_000 },
  },
  warehouse: {
    ...everyEnvironment.warehouse,
    maxRpu: 16,
    monthlyRpuHoursLimit: 100,
  },
  logRetentionDays: 365,
  // npm run cost: about $48 at rest (a daily merge, and the access host reached through an EC2 Instance Connect
  // Endpoint rather than two interface endpoints) and $77 in a month of four releases.
  monthlyBudgetUsd: 120,
  // A release a week; nobody queries the warehouse but the smoke checks.
  usage: { releasesPerMonth: 4, warehouseRpuHoursPerMonth: 0, athenaBytesScannedPerMonth: 1e9, logGbPerMonth: 1, storedGb: 2 },
});

export const prod = defineEnvironment('prod', prodAccount, {
  network: {
    ...everyEnvironment.network,
    vpcCidr: '10.30.0.0/16',
    interfaceEndpointAzCount: 3,
    accessHost: {
      ...everyEnvironment.accessHost,
      enabled: true,
      connection: 'session-manager',
    },
  },
  database: {
    ...everyEnvironment.database,
    instanceClass: 'db.m7g.large',
    allocatedStorageGiB: 50,
    maxAllocatedStorageGiB: 200,
    backupRetentionDays: 35,
    multiAz: true,
    deletionProtection: true,
    keepFinalSnapshot: true,
  },
  storage: {
    athenaResultsExpirationDays: 30,
    noncurrentVersionExpirationDays: 90,
    accessLogRetentionDays: 2192,
    forceDestroyBuckets: false,
  },
  migration: {
    ...everyEnvironment.migration,
    // Change capture runs all the time: a provisioned instance, with a standby in a second AZ.
    capacity: { kind: 'instance', replicationInstanceClass: 'dms.t3.medium', allocatedStorageGiB: 50, multiAz: true },
    mode: 'full-load-and-cdc',
    cdcLatencyAlarmSeconds: 300,
  },
  analytics: {
    ...everyEnvironment.analytics,
    bytesScannedCutoffPerQuery: 10_000_000_000,
  },
  lake: {
    // The audit trail of the clinic's data: six years (HIPAA documentation retention), archived after 90 days.
    changeLog: { infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 2192 },
    merge: { ...everyEnvironment.merge, bytesScannedCutoffPerQuery: 10_000_000_000 },
  },
  warehouse: {
    ...everyEnvironment.warehouse,
    maxRpu: 32,
    monthlyRpuHoursLimit: 400,
  },
  logRetentionDays: 2192,
  // npm run cost: about $510 at rest and $525 in a month of two releases and the clinic's reports.
  monthlyBudgetUsd: 650,
  // Two releases a month; the clinic's reports: about 30 RPU-hours (some 200 one-minute queries at 8 RPUs) and 20 GB
  // of Athena scans a month.
  usage: { releasesPerMonth: 2, warehouseRpuHoursPerMonth: 30, athenaBytesScannedPerMonth: 20e9, logGbPerMonth: 3, storedGb: 10 },
});

/** The environments this repository deploys, each in one of the accounts of `config/accounts.ts`. */
export const environments: readonly EnvironmentConfig[] = [dev, prod];
