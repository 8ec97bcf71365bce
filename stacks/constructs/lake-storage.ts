import { Construct } from 'constructs';
import { StorageConfig } from '../../config/types';
import { AwsEnvironment } from '../core/aws-environment';
import { CustomerManagedKey } from './customer-managed-key';
import { SecureBucket } from './secure-bucket';

export interface LakeStorageProps extends StorageConfig {
  readonly environment: AwsEnvironment;
  /** Prefix of the bucket names, for example `unicornhealth-dev`; the account id is appended for uniqueness. */
  readonly namePrefix: string;
  /** Key for SSE-KMS of the lake and the Athena results. */
  readonly lakeKey: CustomerManagedKey;
  /**
   * Key prefix DMS writes the raw zone under.
   * @default 'raw'
   */
  readonly rawZonePrefix?: string;
}

/**
 * The lake's S3 storage: the data-lake bucket (DMS writes the raw zone), the Athena query-results bucket, and the
 * bucket that receives both buckets' server access logs.
 */
export class LakeStorage extends Construct {
  readonly lakeBucket: SecureBucket;
  readonly athenaResultsBucket: SecureBucket;
  readonly accessLogBucket: SecureBucket;
  /** The key of the lake and results buckets: whoever reads or writes them needs it. */
  readonly lakeKey: CustomerManagedKey;
  readonly rawZonePrefix: string;

  constructor(scope: Construct, id: string, props: LakeStorageProps) {
    super(scope, id);
    const env = props.environment;
    const bucketName = (purpose: string): string => `${props.namePrefix}-${purpose}-${env.accountId}`;
    const accessLogBucketName = bucketName('access-logs');
    const lakeBucketName = bucketName('lake');
    const resultsBucketName = bucketName('athena-results');
    this.lakeKey = props.lakeKey;
    this.rawZonePrefix = props.rawZonePrefix ?? 'raw';

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
              values: [lakeBucketName, resultsBucketName].map((name) => `arn:${env.partition}:s3:::${name}`),
            },
          ],
        },
      ],
    });
    const encryption = { kind: 'kms', key: props.lakeKey } as const;
    this.lakeBucket = new SecureBucket(this, 'lake', {
      bucketName: lakeBucketName,
      encryption,
      accessLogBucket: this.accessLogBucket,
      noncurrentVersionExpirationDays: props.noncurrentVersionExpirationDays,
      forceDestroy: props.forceDestroyBuckets,
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
}
