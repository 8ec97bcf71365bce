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
  database: { engineVersion: '8.0', auditLog: true },
  migration: { sourceCaBundleFile: rdsCaBundleFile(region) },
  analytics: { athenaEngineVersion: 'Athena engine version 3' },
  warehouse: { baseRpu: 8 },
  // Every ten minutes: with DMS writing a change to S3 within a minute (CdcMaxBatchInterval 60 s) and a merge that
  // takes a few minutes, a committed change is queryable within 15 minutes (README, "Freshness").
  merge: { schedule: 'rate(10 minutes)', maintenanceSchedule: 'cron(30 4 * * ? *)' },
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
    accessHost: {
      ...everyEnvironment.accessHost,
      enabled: false,
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
    replicationInstanceClass: 'dms.t3.micro',
    allocatedStorageGiB: 20,
    multiAz: false,
    mode: 'full-load',
    cdcLatencyAlarmSeconds: 600,
  },
  analytics: {
    ...everyEnvironment.analytics,
    bytesScannedCutoffPerQuery: 1_000_000_000,
  },
  lake: {
    changeLog: { infrequentAccessAfterDays: 30, expireAfterDays: 365 },
    merge: { ...everyEnvironment.merge, bytesScannedCutoffPerQuery: 1_000_000_000 },
  },
  warehouse: {
    ...everyEnvironment.warehouse,
    maxRpu: 16,
    monthlyRpuHoursLimit: 100,
  },
  logRetentionDays: 365,
  monthlyBudgetUsd: 400,
});

export const prod = defineEnvironment('prod', prodAccount, {
  network: {
    ...everyEnvironment.network,
    vpcCidr: '10.30.0.0/16',
    accessHost: {
      ...everyEnvironment.accessHost,
      enabled: true,
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
    replicationInstanceClass: 'dms.t3.medium',
    allocatedStorageGiB: 50,
    multiAz: true,
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
  monthlyBudgetUsd: 1200,
});

/** The environments this repository deploys, each in one of the accounts of `config/accounts.ts`. */
export const environments: readonly EnvironmentConfig[] = [dev, prod];
