import { Construct } from 'constructs';
import { ChangeLogConfig, StorageConfig } from '../../config/types';
import { AwsEnvironment, bucketArn } from '../core/aws-environment';
import { denyLakeObjectReadsOutsideLakeFormation } from '../core/lake-access';
import { CustomerManagedKey } from './customer-managed-key';
import { PrefixLifecycle, SecureBucket, StorageClassTransition } from './secure-bucket';

export interface LakeStorageProps extends StorageConfig {
  readonly environment: AwsEnvironment;
  /** Prefix of the bucket names, for example `unicornhealth-dev`; the account id is appended for uniqueness. */
  readonly namePrefix: string;
  /** Key for SSE-KMS of the lake and the Athena results. */
  readonly lakeKey: CustomerManagedKey;
  /**
   * The only roles that may read lake objects directly: the Lake Formation registration role, as whom Lake
   * Formation vends credentials to Athena, Redshift Spectrum and the crawlers. The bucket policy denies every other
   * principal (see core/lake-access.ts). ARNs, not roles, so that the bucket needs none of them to exist first.
   */
  readonly lakeReaderRoleArns: readonly string[];
  /** Retention and storage classes of the raw zone, the change log DMS writes and the audit trail of the clinic's data. */
  readonly changeLog: ChangeLogConfig;
  /**
   * Key prefix DMS writes the raw zone (the change log) under.
   * @default 'raw'
   */
  readonly rawZonePrefix?: string;
  /**
   * Key prefix of the current-state zone, the Apache Iceberg tables the merge keeps.
   * @default 'current'
   */
  readonly currentZonePrefix?: string;
}

/** The lake bucket's name: the account id makes it globally unique, and others derive it without the bucket. */
export function lakeBucketName(namePrefix: string, env: AwsEnvironment): string {
  return `${namePrefix}-lake-${env.accountId}`;
}

/** The change log's storage classes, in the order S3 moves objects through them. */
function changeLogTransitions(changeLog: ChangeLogConfig): StorageClassTransition[] {
  return [
    { days: changeLog.infrequentAccessAfterDays, storageClass: 'STANDARD_IA' },
    // Instant Retrieval rather than Flexible Retrieval: its objects are read like Standard ones, so replaying the history
    // (a rebuild of the current state) needs no restore; Flexible Retrieval and Deep Archive objects are "not accessible
    // in real time" until restored (https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects.html).
    ...(changeLog.glacierAfterDays === undefined ? [] : [{ days: changeLog.glacierAfterDays, storageClass: 'GLACIER_IR' as const }]),
  ];
}

/**
 * The lake's S3 storage: the data-lake bucket with its two zones (the raw zone, the change log DMS writes, and the
 * current-state zone the merge keeps; only the Lake Formation registration role reads either), the Athena
 * query-results bucket, and the bucket that receives both buckets' server access logs. The lake's zones each have
 * their own lifecycle: the change log is kept, old versions included (a DMS reload replaces its files), as long as
 * the audit trail must be; the current state is derived, so its old versions go after the bucket's usual days.
 */
export class LakeStorage extends Construct {
  readonly lakeBucket: SecureBucket;
  readonly athenaResultsBucket: SecureBucket;
  readonly accessLogBucket: SecureBucket;
  /** The key of the lake and results buckets: whoever reads or writes them needs it. */
  readonly lakeKey: CustomerManagedKey;
  readonly rawZonePrefix: string;
  readonly currentZonePrefix: string;

  constructor(scope: Construct, id: string, props: LakeStorageProps) {
    super(scope, id);
    const env = props.environment;
    const bucketName = (purpose: string): string => `${props.namePrefix}-${purpose}-${env.accountId}`;
    const accessLogBucketName = bucketName('access-logs');
    const lakeName = lakeBucketName(props.namePrefix, env);
    const resultsBucketName = bucketName('athena-results');
    this.lakeKey = props.lakeKey;
    this.rawZonePrefix = props.rawZonePrefix ?? 'raw';
    this.currentZonePrefix = props.currentZonePrefix ?? 'current';

    this.accessLogBucket = new SecureBucket(this, 'access-logs', {
      bucketName: accessLogBucketName,
      encryption: { kind: 's3-managed' },
      noncurrentVersionExpirationDays: props.noncurrentVersionExpirationDays,
      expireObjectsAfterDays: props.accessLogRetentionDays,
      forceDestroy: props.forceDestroyBuckets,
      additionalPolicyStatements: [
        {
          sid: 'AllowServerAccessLogDelivery',
          effect: 'Allow',
          principals: [{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }],
          actions: ['s3:PutObject'],
          resources: [`arn:${env.partition}:s3:::${accessLogBucketName}/*`],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [env.accountId] },
            {
              test: 'ArnLike',
              variable: 'aws:SourceArn',
              values: [lakeName, resultsBucketName].map((name) => bucketArn(env, name)),
            },
          ],
        },
      ],
    });
    const encryption = { kind: 'kms', key: props.lakeKey } as const;
    const { changeLog } = props;
    const zones: PrefixLifecycle[] = [
      {
        prefix: this.rawZonePrefix,
        purpose: 'change-log',
        transitions: changeLogTransitions(changeLog),
        expireAfterDays: changeLog.expireAfterDays,
        noncurrentVersionExpirationDays: changeLog.expireAfterDays,
      },
      { prefix: this.currentZonePrefix, purpose: 'current-state', noncurrentVersionExpirationDays: props.noncurrentVersionExpirationDays },
    ];
    this.lakeBucket = new SecureBucket(this, 'lake', {
      bucketName: lakeName,
      encryption,
      accessLogBucket: this.accessLogBucket,
      noncurrentVersionExpirationDays: props.noncurrentVersionExpirationDays,
      prefixLifecycles: zones,
      forceDestroy: props.forceDestroyBuckets,
      additionalPolicyStatements: [denyLakeObjectReadsOutsideLakeFormation(bucketArn(env, lakeName), props.lakeReaderRoleArns)],
    });
    this.athenaResultsBucket = new SecureBucket(this, 'athena-results', {
      bucketName: resultsBucketName,
      encryption,
      accessLogBucket: this.accessLogBucket,
      noncurrentVersionExpirationDays: props.noncurrentVersionExpirationDays,
      expireObjectsAfterDays: props.athenaResultsExpirationDays,
      forceDestroy: props.forceDestroyBuckets,
    });
  }

  /** The raw zone as a location: `<lake bucket ARN>/<raw prefix>`. */
  get rawZoneArn(): string {
    return `${this.lakeBucket.arn}/${this.rawZonePrefix}`;
  }

  /** Every object of the raw zone, for IAM policies. */
  get rawZoneObjectsArn(): string {
    return `${this.rawZoneArn}/*`;
  }

  /** The current-state zone as a location: `<lake bucket ARN>/<current prefix>`. */
  get currentZoneArn(): string {
    return `${this.lakeBucket.arn}/${this.currentZonePrefix}`;
  }

  /** Every object of the current-state zone, for IAM policies. */
  get currentZoneObjectsArn(): string {
    return `${this.currentZoneArn}/*`;
  }
}
