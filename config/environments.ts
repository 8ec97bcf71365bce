import { EnvironmentConfig } from './types';

/**
 * The environments this repository deploys. Account ids are placeholders of the documentation range: set your
 * own before the first `cdktf deploy` (the provider's `allowed_account_ids` refuses any other account).
 */
const project = 'unicornhealth';

const commonTags = {
  Project: 'UnicornHealth',
  DataClassification: 'PHI',
  ManagedBy: 'cdktf',
};

export const dev: EnvironmentConfig = {
  name: 'dev',
  project,
  region: 'us-east-1',
  accountId: '111111111111',
  network: {
    vpcCidr: '10.20.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    internetEgress: 'vpc-endpoints-only',
    accessHost: {
      enabled: false,
      instanceType: 't4g.nano',
      amiSsmParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
    },
  },
  database: {
    engineVersion: '8.0',
    instanceClass: 'db.t4g.micro',
    allocatedStorageGiB: 20,
    maxAllocatedStorageGiB: 50,
    backupRetentionDays: 7,
    multiAz: false,
    deletionProtection: false,
    keepFinalSnapshot: false,
    auditLog: true,
  },
  storage: {
    athenaResultsExpirationDays: 7,
    noncurrentVersionExpirationDays: 30,
    accessLogRetentionDays: 365,
    forceDestroyBuckets: true,
  },
  migration: {
    replicationInstanceClass: 'dms.t3.micro',
    allocatedStorageGiB: 20,
    multiAz: false,
    mode: 'full-load',
    createServiceRoles: true,
    cdcLatencyAlarmSeconds: 600,
  },
  analytics: { bytesScannedCutoffPerQuery: 1_000_000_000, athenaEngineVersion: 'Athena engine version 3' },
  governance: {
    deployRoleArn: 'arn:aws:iam::111111111111:role/unicornhealth-deploy',
    lakeAdministratorUsers: ['lake-admin'],
    analystTrustedPrincipalArns: ['arn:aws:iam::111111111111:root'],
  },
  warehouse: { baseRpu: 8, maxRpu: 16, monthlyRpuHoursLimit: 100 },
  logRetentionDays: 365,
  monthlyBudgetUsd: 400,
  alertEmails: ['platform-alerts@example.com'],
  stateBackend: {
    bucket: 'unicornhealth-tfstate-111111111111',
    region: 'us-east-1',
  },
  tags: { ...commonTags, Environment: 'dev' },
};

export const prod: EnvironmentConfig = {
  name: 'prod',
  project,
  region: 'us-east-1',
  accountId: '222222222222',
  network: {
    vpcCidr: '10.30.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    internetEgress: 'vpc-endpoints-only',
    accessHost: {
      enabled: true,
      instanceType: 't4g.nano',
      amiSsmParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
    },
  },
  database: {
    engineVersion: '8.0',
    instanceClass: 'db.m7g.large',
    allocatedStorageGiB: 50,
    maxAllocatedStorageGiB: 200,
    backupRetentionDays: 35,
    multiAz: true,
    deletionProtection: true,
    keepFinalSnapshot: true,
    auditLog: true,
  },
  storage: {
    athenaResultsExpirationDays: 30,
    noncurrentVersionExpirationDays: 90,
    accessLogRetentionDays: 2192,
    forceDestroyBuckets: false,
  },
  migration: {
    replicationInstanceClass: 'dms.t3.medium',
    allocatedStorageGiB: 50,
    multiAz: true,
    mode: 'full-load-and-cdc',
    createServiceRoles: true,
    cdcLatencyAlarmSeconds: 300,
  },
  analytics: { bytesScannedCutoffPerQuery: 10_000_000_000, athenaEngineVersion: 'Athena engine version 3' },
  governance: {
    deployRoleArn: 'arn:aws:iam::222222222222:role/unicornhealth-deploy',
    lakeAdministratorUsers: ['lake-admin'],
    analystTrustedPrincipalArns: ['arn:aws:iam::222222222222:root'],
  },
  warehouse: { baseRpu: 8, maxRpu: 32, monthlyRpuHoursLimit: 400 },
  logRetentionDays: 2192,
  monthlyBudgetUsd: 1200,
  alertEmails: ['platform-alerts@example.com'],
  stateBackend: {
    bucket: 'unicornhealth-tfstate-222222222222',
    region: 'us-east-1',
  },
  tags: { ...commonTags, Environment: 'prod' },
};

export const environments: readonly EnvironmentConfig[] = [dev, prod];
