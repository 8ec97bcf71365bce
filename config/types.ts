/**
 * Typed settings of the AWS accounts and of the deployment environments in them. Everything that differs between
 * environments, and every identifier a construct would otherwise have to hard-code (account, region, CIDR, AZ names,
 * instance classes), lives here; `main.ts` reads it once and hands the pieces to the constructs.
 */

/** How the private subnets reach the internet. */
export type InternetEgress =
  /** No internet route at all; AWS APIs are reached through VPC endpoints. */
  | 'vpc-endpoints-only'
  /** A NAT gateway in one small public subnet. An explicit, weaker choice: traffic can leave the VPC. */
  | 'nat-gateway';

export interface NetworkConfig {
  /** IPv4 CIDR of the VPC, an RFC 1918 range from /16 to /20; each AZ gets a subnet 4 bits longer. */
  readonly vpcCidr: string;
  /** AZ names (not looked up at plan time). At least two; Redshift Serverless wants three. */
  readonly availabilityZones: readonly string[];
  /** @default 'vpc-endpoints-only' */
  readonly internetEgress: InternetEgress;
  /**
   * How many of `availabilityZones` (from the first) hold a network interface of each interface endpoint. Clients in
   * the other AZs reach it across AZs; an AZ outage then cuts them off AWS APIs, so an environment that must stay up
   * uses every AZ. Each endpoint bills per AZ and hour.
   */
  readonly interfaceEndpointAzCount: number;
  /** Operator access host, reached through Session Manager or an EC2 Instance Connect Endpoint (`connection`). */
  readonly accessHost: AccessHostConfig;
}

/** How operators and the release reach the access host, to forward a local port to the database through it. */
export type AccessHostConnection =
  /**
   * SSM Session Manager port forwarding: no inbound rule at all on the host, but the `ssm` and `ssmmessages` interface
   * endpoints (billed per AZ and hour) and the Session Manager core policy on the host's role.
   */
  | 'session-manager'
  /**
   * SSH through an EC2 Instance Connect Endpoint (no hourly charge) with a one-minute key pushed by
   * `ec2-instance-connect:SendSSHPublicKey`, and an SSH local forward to the database. The host admits port 22 from
   * the endpoint's security group only, and has no instance role. A tunnel lasts at most an hour.
   */
  | 'instance-connect-endpoint';

export interface AccessHostConfig {
  /** @default false */
  readonly enabled: boolean;
  /** @default 'session-manager' */
  readonly connection?: AccessHostConnection;
  /** EC2 instance type, for example `t4g.nano`. */
  readonly instanceType: string;
  /**
   * Public SSM parameter that names the AMI. Resolved by EC2 at launch (`resolve:ssm:`), so the plan makes no
   * AMI lookup. Its architecture must match `instanceType`.
   */
  readonly amiSsmParameter: string;
}

/** RDS MySQL major versions this project knows the parameter family and option support of. */
export type MysqlMajorVersion = '8.0' | '8.4';

export interface DatabaseConfig {
  /** @default '8.4' */
  readonly engineVersion: MysqlMajorVersion;
  /** RDS class such as `db.t4g.micro`. */
  readonly instanceClass: string;
  /** Initial gp3 storage in GiB (at least 20). */
  readonly allocatedStorageGiB: number;
  /** Storage autoscaling ceiling in GiB; larger than `allocatedStorageGiB`. */
  readonly maxAllocatedStorageGiB: number;
  /** Automated backups, also what binary logs for DMS change capture depend on. At least 7. */
  readonly backupRetentionDays: number;
  readonly multiAz: boolean;
  readonly deletionProtection: boolean;
  /** Take and keep a final snapshot when the instance is destroyed. */
  readonly keepFinalSnapshot: boolean;
  /** Record connections and queries (who read PHI) with the MariaDB Audit Plugin option (MySQL 8.0.28+ and 8.4). */
  readonly auditLog: boolean;
}

export interface StorageConfig {
  /** Days after which Athena query results expire. */
  readonly athenaResultsExpirationDays: number;
  /** Days after which noncurrent object versions expire. */
  readonly noncurrentVersionExpirationDays: number;
  /** Days S3 server access logs are kept. */
  readonly accessLogRetentionDays: number;
  /**
   * Let `terraform destroy` delete non-empty buckets. A weaker, explicit choice for throwaway environments;
   * refused for an environment that keeps its data (`database.deletionProtection`).
   */
  readonly forceDestroyBuckets: boolean;
}

/** How DMS copies the tables. */
export type MigrationMode =
  /** One full load per task run: the lake is a snapshot as of the last run. */
  | 'full-load'
  /** Full load, then ongoing change capture from the binary log. Needs binary-log retention on RDS. */
  | 'full-load-and-cdc';

/** The DMS capacity that runs the replication. */
export type MigrationCapacity =
  /** A provisioned replication instance and a replication task: billed every hour it exists. */
  | {
      readonly kind: 'instance';
      /** DMS replication instance class such as `dms.t3.micro`. */
      readonly replicationInstanceClass: string;
      /** Storage of the replication instance in GiB (task logs and cached changes). */
      readonly allocatedStorageGiB: number;
      readonly multiAz: boolean;
    }
  /**
   * DMS Serverless: a replication configuration that DMS provisions capacity for when the replication starts, and
   * deprovisions after it stops; nothing is billed while no replication is provisioned. For full loads only.
   */
  | {
      readonly kind: 'serverless';
      /** DMS capacity units (1 DCU = 2 GB of memory): 1, 2, 4, 8, 16, 32, 64, 128, 192, 256 or 384. */
      readonly minCapacityUnits: number;
      readonly maxCapacityUnits: number;
      readonly multiAz: boolean;
    };

export interface MigrationConfig {
  readonly capacity: MigrationCapacity;
  /** @default 'full-load' */
  readonly mode: MigrationMode;
  /** CDC latency (seconds) that raises an alarm, when CDC is on. */
  readonly cdcLatencyAlarmSeconds: number;
  /**
   * PEM file of the CA certificates that sign the source database's server certificate, which DMS verifies
   * (`ssl_mode = verify-full`): for RDS, the region's bundle
   * `https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem`. Public, but downloaded by the deploy
   * pipeline before synth rather than committed; a path relative to the repository root. The synth copies it beside
   * the stack's `cdk.tf.json`; without it the synth warns and any plan of the stack fails.
   */
  readonly sourceCaBundleFile: string;
}

export interface AnalyticsConfig {
  /** Athena refuses a query once it has scanned this many bytes (at least 10 MB). */
  readonly bytesScannedCutoffPerQuery: number;
  /** @default 'Athena engine version 3' */
  readonly athenaEngineVersion: string;
}

/**
 * The raw zone is the change log DMS writes: every row a table ever had, with its operation, commit time and change
 * sequence. It is the audit trail of the clinic's data (what changed, when, including deletes), so its retention and
 * storage classes are settings.
 */
export interface ChangeLogConfig {
  /** Days after which change-log objects move to S3 Standard-IA; at least 30, the fewest S3 accepts for that class. */
  readonly infrequentAccessAfterDays: number;
  /**
   * Days after which they move to S3 Glacier Instant Retrieval, which Athena still reads without a restore (a replay
   * of the history stays one query); at least 30 days after the Standard-IA transition.
   * @default never
   */
  readonly glacierAfterDays?: number;
  /**
   * Days after which change-log objects, and the earlier versions a DMS reload leaves, are deleted. In an environment
   * that keeps its data (`database.deletionProtection`), fewer than six years (2192 days, the HIPAA documentation
   * retention) is refused unless `expiryBeforeSixYearsAccepted` says it is meant.
   * @default never
   */
  readonly expireAfterDays?: number;
  /**
   * An explicit choice to delete the change log of an environment that keeps its data before six years.
   * @default false
   */
  readonly expiryBeforeSixYearsAccepted?: boolean;
}

/** The merge of the change log into the current-state tables, and their maintenance, on managed services. */
export interface MergeConfig {
  /**
   * EventBridge Scheduler expression of the merge, `rate(<n> minutes)` or `rate(<n> hours)`: a rate, so that the
   * staleness alarm knows how often a merge must succeed (three periods without one is an alarm).
   */
  readonly schedule: string;
  /** EventBridge Scheduler expression (`cron(...)` or `rate(...)`, UTC) of the table maintenance (OPTIMIZE, VACUUM). */
  readonly maintenanceSchedule: string;
  /** The merge workgroup refuses a query once it has scanned this many bytes (at least 10 MB). */
  readonly bytesScannedCutoffPerQuery: number;
  /**
   * How soon a change committed in RDS must be queryable in the current tables: the smoke checks' probe row fails
   * past it, and validation refuses a schedule whose period plus DMS's change batch (CdcMaxBatchInterval) cannot
   * meet it.
   * @default DEFAULT_FRESHNESS_TARGET_MINUTES
   */
  readonly freshnessTargetMinutes?: number;
}

/** A committed change is queryable in Athena and Redshift within 15 minutes unless config says otherwise. */
export const DEFAULT_FRESHNESS_TARGET_MINUTES = 15;

/** The zones of the lake: the change log (raw) and the current state (Apache Iceberg) merged from it. */
export interface LakeConfig {
  readonly changeLog: ChangeLogConfig;
  readonly merge: MergeConfig;
}

export interface GovernanceConfig {
  /**
   * Role that deploys this stack (CI's OIDC role), a role of the environment's account. The account baseline makes it
   * a Lake Formation admin so Terraform can grant. An ARN of a role, never a group.
   */
  readonly deployRoleArn: string;
  /** Principals (account root or role ARNs) allowed to assume the analyst role. */
  readonly analystTrustedPrincipalArns: readonly string[];
}

export interface WarehouseConfig {
  /** Redshift Serverless base capacity in RPUs (8 to 512, multiples of 8). */
  readonly baseRpu: number;
  /** Ceiling the workgroup may scale to. */
  readonly maxRpu: number;
  /** Monthly RPU-hours after which the workgroup is deactivated (cost guard). */
  readonly monthlyRpuHoursLimit: number;
}

/**
 * What the environment is expected to do in a month, for the cost estimate (`npm run cost`) and the budget alerts
 * built from it. Nothing here changes a resource.
 */
export interface UsageConfig {
  /** Releases a month: each runs the seed, a DMS full load, the crawlers and the smoke checks. */
  readonly releasesPerMonth: number;
  /** Redshift Serverless RPU-hours of people's queries a month, beyond the releases' smoke checks. */
  readonly warehouseRpuHoursPerMonth: number;
  /** Bytes Athena scans a month for people's queries, beyond the merge and the smoke checks. */
  readonly athenaBytesScannedPerMonth: number;
  /** GB of VPC flow logs, database and service logs ingested into CloudWatch Logs a month. */
  readonly logGbPerMonth: number;
  /** GB the lake, the Athena results and the access logs hold, versions included. */
  readonly storedGb: number;
}

export interface StateBackendConfig {
  /** S3 bucket that holds the Terraform state (created once by hand, see README). */
  readonly bucket: string;
  /** Region of the state bucket. */
  readonly region: string;
  /** KMS key (ARN or alias) that encrypts the state objects. Omit for the bucket's default encryption. */
  readonly kmsKeyId?: string;
}

/**
 * One AWS account and region of the platform. Its account baseline stack (`<project>-account-<name>`) owns what
 * exists once per account and region, so that no two environment stacks fight over it: the Lake Formation settings,
 * the Data Catalog encryption and its key, the account-level DMS roles, the `LakeAdministrators` group and the
 * lake-admin role of each environment. It is deployed before the account's environment stacks.
 */
export interface AccountConfig {
  /** Short name in the baseline stack name and in environments' `account`, lower-case letters and digits. */
  readonly name: string;
  /** Project prefix of every resource name, the same as the account's environments'. */
  readonly project: string;
  /** The AWS account id (12 digits); every ARN of the account and its state bucket derive from it. */
  readonly id: string;
  /**
   * The region of the account's environments and of its regional singletons. One region per account: the IAM
   * singletons are global, so a second region would need the same baseline with a second provider, not a second
   * baseline.
   */
  readonly region: string;
  /** Existing IAM user names put in the `LakeAdministrators` group (no access keys are created). */
  readonly lakeAdministratorUsers: readonly string[];
  /** Name of the role that deploys the account's stacks (CI's OIDC role); environments derive their deploy role from it. */
  readonly deployRoleName: string;
  /**
   * Name of the role the pull-request and drift plans run as (CI's OIDC role, made by hand like the deploy role; the
   * repository variable `AWS_PLAN_ROLE_ARN_<ENV>` holds its ARN, `.github/workflows/plan.yml`). The baseline makes it a
   * Lake Formation read-only admin, so `terraform plan` can read the settings and grants it refreshes, and change none.
   */
  readonly planRoleName: string;
  /**
   * The account already has `dms-vpc-role` and `dms-cloudwatch-logs-role` (made by the console or another tool): the
   * baseline imports them (Terraform import blocks) instead of failing with EntityAlreadyExists, and manages them from
   * then on.
   */
  readonly importExistingDmsRoles: boolean;
  /** Remote state of the baseline, in the account's state bucket; a local backend when absent. */
  readonly stateBackend?: StateBackendConfig;
  /** Tags on every taggable resource of the baseline (`default_tags`). */
  readonly tags: Readonly<Record<string, string>>;
}

export interface EnvironmentConfig {
  /** Short name used in resource names and the stack name, lower-case letters and digits. */
  readonly name: string;
  /** Project prefix of every resource name. */
  readonly project: string;
  /** Name of the account (`AccountConfig.name`) this environment lives in; its baseline is deployed first. */
  readonly account: string;
  /** The account's region. */
  readonly region: string;
  /** The account's id: the only AWS account this environment may be applied to (`allowed_account_ids`). */
  readonly accountId: string;
  readonly network: NetworkConfig;
  readonly database: DatabaseConfig;
  readonly storage: StorageConfig;
  /** Retention of the CloudWatch log groups this project creates (flow logs, RDS logs). At least 365. */
  readonly logRetentionDays: number;
  readonly migration: MigrationConfig;
  readonly analytics: AnalyticsConfig;
  readonly lake: LakeConfig;
  readonly governance: GovernanceConfig;
  readonly warehouse: WarehouseConfig;
  /**
   * Monthly cost budget in USD: the AWS Budgets actual-spend alert fires when it is reached, and config validation
   * warns when the at-rest estimate (`npm run cost`) exceeds it.
   */
  readonly monthlyBudgetUsd: number;
  /** Expected activity, for the cost estimate and the budget's forecast alert. */
  readonly usage: UsageConfig;
  /** Addresses that receive budget alerts and pipeline failure notifications (SNS e-mail subscriptions). */
  readonly alertEmails: readonly string[];
  /** Remote state, in the account's state bucket; a local backend when absent. */
  readonly stateBackend?: StateBackendConfig;
  /** Tags on every taggable resource (`default_tags`). */
  readonly tags: Readonly<Record<string, string>>;
}
