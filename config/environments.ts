import {
  AccessHostConfig,
  AnalyticsConfig,
  DatabaseConfig,
  EnvironmentConfig,
  MigrationConfig,
  NetworkConfig,
  WarehouseConfig,
} from './types';

/**
 * The environments this repository deploys. Account ids are placeholders of the documentation range: set your
 * own before the first `cdktf deploy` (the provider's `allowed_account_ids` refuses any other account).
 */
const project = 'unicornhealth';
const region = 'us-east-1';

const commonTags = {
  Project: 'UnicornHealth',
  DataClassification: 'PHI',
  ManagedBy: 'cdktf',
};

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
  migration: { createServiceRoles: true },
  analytics: { athenaEngineVersion: 'Athena engine version 3' },
  warehouse: { baseRpu: 8 },
} satisfies {
  readonly network: Partial<NetworkConfig>;
  readonly accessHost: Partial<AccessHostConfig>;
  readonly database: Partial<DatabaseConfig>;
  readonly migration: Partial<MigrationConfig>;
  readonly analytics: Partial<AnalyticsConfig>;
  readonly warehouse: Partial<WarehouseConfig>;
};

/** What `defineEnvironment` sets for every environment: shared, or derived from the environment's name and account. */
type CommonSettings = 'name' | 'project' | 'region' | 'accountId' | 'governance' | 'alertEmails' | 'stateBackend' | 'tags';

/**
 * An environment from its name, its account and its own settings. The deploying role, the analysts' principals and
 * the state bucket are derived from the account id, so that no setting can name another environment's account.
 */
function defineEnvironment(name: string, accountId: string, own: Omit<EnvironmentConfig, CommonSettings>): EnvironmentConfig {
  return {
    name,
    project,
    region,
    accountId,
    governance: {
      deployRoleArn: `arn:aws:iam::${accountId}:role/${project}-deploy`,
      lakeAdministratorUsers: ['lake-admin'],
      analystTrustedPrincipalArns: [`arn:aws:iam::${accountId}:root`],
    },
    alertEmails: ['platform-alerts@example.com'],
    stateBackend: { bucket: `${project}-tfstate-${accountId}`, region },
    tags: { ...commonTags, Environment: name },
    ...own,
  };
}

export const dev = defineEnvironment('dev', '111111111111', {
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
  warehouse: {
    ...everyEnvironment.warehouse,
    maxRpu: 16,
    monthlyRpuHoursLimit: 100,
  },
  logRetentionDays: 365,
  monthlyBudgetUsd: 400,
});

export const prod = defineEnvironment('prod', '222222222222', {
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
  warehouse: {
    ...everyEnvironment.warehouse,
    maxRpu: 32,
    monthlyRpuHoursLimit: 400,
  },
  logRetentionDays: 2192,
  monthlyBudgetUsd: 1200,
});

export const environments: readonly EnvironmentConfig[] = [dev, prod];
