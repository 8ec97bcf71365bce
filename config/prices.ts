/**
 * The dated list prices `npm run cost` applies to the synthesized stacks: AWS on-demand, us-east-1, USD. To update:
 * check each price on its page, change `usd`, set `checked` to the day and `confirmed` to whether the page itself was
 * read (not recalled from an earlier estimate), and run `npm run cost -- --write-readme`.
 */

export interface Price {
  readonly usd: number;
  /** What one `usd` buys. */
  readonly per: string;
  /** The AWS pricing page. */
  readonly source: string;
  /** Day the price was last checked, ISO 8601. */
  readonly checked: string;
  /**
   * Whether the checked copy of the page showed this figure. False: the figure is the last known list price, kept
   * until someone reads the page; `npm run cost` marks such lines.
   */
  readonly confirmed: boolean;
  readonly note?: string;
}

export const PRICE_REGION = 'us-east-1';
/** The month the estimate bills an always-on resource for. */
export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = 365 / 12;

const CHECKED = '2026-11-30';
const RDS = 'https://aws.amazon.com/rds/mysql/pricing/';
const DMS = 'https://aws.amazon.com/dms/pricing/';
const VPC = 'https://aws.amazon.com/privatelink/pricing/';
const EC2 = 'https://aws.amazon.com/ec2/pricing/on-demand/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const S3 = 'https://aws.amazon.com/s3/pricing/';

const price = (usd: number, per: string, source: string, confirmed: boolean, note?: string): Price => ({
  usd,
  per,
  source,
  checked: CHECKED,
  confirmed,
  ...(note ? { note } : {}),
});

/** Hourly prices of instance classes, by service and class. */
export const INSTANCE_HOURLY: Readonly<Record<string, Readonly<Record<string, Price>>>> = {
  rds: {
    'db.t4g.micro': price(0.016, 'instance-hour (MySQL, Single-AZ)', RDS, false),
    'db.t4g.small': price(0.032, 'instance-hour (MySQL, Single-AZ)', RDS, false),
    'db.t4g.medium': price(0.065, 'instance-hour (MySQL, Single-AZ)', RDS, false),
    'db.m7g.large': price(0.168, 'instance-hour (MySQL, Single-AZ)', RDS, false),
  },
  dms: {
    'dms.t3.micro': price(0.018, 'instance-hour (Single-AZ)', DMS, false),
    'dms.t3.small': price(0.036, 'instance-hour (Single-AZ)', DMS, false),
    'dms.t3.medium': price(0.073, 'instance-hour (Single-AZ)', DMS, false),
  },
  ec2: {
    't4g.nano': price(0.0042, 'instance-hour (Linux)', EC2, false),
    't4g.micro': price(0.0084, 'instance-hour (Linux)', EC2, false),
  },
};

/** vCPUs of RDS classes: what RDS Extended Support bills per hour. */
export const RDS_VCPUS: Readonly<Record<string, number>> = {
  'db.t4g.micro': 2,
  'db.t4g.small': 2,
  'db.t4g.medium': 2,
  'db.m7g.large': 2,
};

export const PRICES = {
  rdsGp3Storage: price(0.115, 'GB-month of gp3 storage (Single-AZ; Multi-AZ bills both copies)', RDS, false),
  rdsExtendedSupport: price(0.1, 'vCPU-hour of RDS Extended Support, years 1 and 2 (MySQL 8.0 from 2026-08-01)', RDS, false),
  dmsStorage: price(0.115, 'GB-month of replication instance storage (gp2)', DMS, false),
  dmsServerless: price(
    0.115,
    'DCU-hour of DMS Serverless capacity',
    DMS,
    false,
    'not shown by the stored copy of the pricing page; the rate the previous estimate used',
  ),
  interfaceEndpoint: price(0.01, 'interface endpoint and AZ per hour', VPC, false),
  endpointData: price(0.01, 'GB processed by interface endpoints', VPC, false),
  natGateway: price(0.045, 'NAT gateway-hour', 'https://aws.amazon.com/vpc/pricing/', false),
  publicIpv4: price(0.005, 'public IPv4 address-hour', 'https://aws.amazon.com/vpc/pricing/', false),
  ebsGp3: price(0.08, 'GB-month of EBS gp3', 'https://aws.amazon.com/ebs/pricing/', false),
  ec2DetailedMonitoring: price(2.1, 'instance-month of EC2 detailed monitoring (7 metrics at $0.30)', CLOUDWATCH, false),
  kmsKey: price(1, 'customer-managed key-month (rotated keys included)', 'https://aws.amazon.com/kms/pricing/', false),
  secret: price(0.4, 'secret-month', 'https://aws.amazon.com/secrets-manager/pricing/', false),
  alarm: price(0.1, 'standard-resolution alarm-month', CLOUDWATCH, false),
  logIngestion: price(0.5, 'GB of logs ingested (vended logs at the same rate up to 10 TB)', CLOUDWATCH, false),
  logStorage: price(0.03, 'GB-month of logs stored', CLOUDWATCH, false),
  s3Storage: price(0.023, 'GB-month of S3 Standard', S3, false),
  s3Put: price(0.005, '1,000 PUT, COPY, POST or LIST requests', S3, false),
  s3Get: price(0.0004, '1,000 GET requests', S3, false),
  redshiftRpu: price(0.375, 'RPU-hour of Redshift Serverless compute', 'https://aws.amazon.com/redshift/pricing/', false),
  athenaScan: price(5, 'TB scanned by Athena (at least 10 MB a query)', 'https://aws.amazon.com/athena/pricing/', false),
  glueCrawler: price(0.44, 'DPU-hour of a Glue crawler (at least 10 minutes a crawl)', 'https://aws.amazon.com/glue/pricing/', false),
  stepFunctions: price(
    0.025,
    '1,000 state transitions of a Standard workflow (4,000 free a month)',
    'https://aws.amazon.com/step-functions/pricing/',
    false,
  ),
  scheduler: price(
    1,
    'million EventBridge Scheduler invocations (14 million free a month)',
    'https://aws.amazon.com/eventbridge/pricing/',
    false,
  ),
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;

/** Free allowances that never expire, per account and month. */
export const FREE_PER_MONTH = {
  stepFunctionsTransitions: 4000,
  schedulerInvocations: 14_000_000,
} as const;

/** Athena bills every query for at least this many bytes. */
export const ATHENA_MINIMUM_BYTES = 10_000_000;
/** A Glue crawl bills at least this many minutes. */
export const GLUE_CRAWL_MINIMUM_MINUTES = 10;
