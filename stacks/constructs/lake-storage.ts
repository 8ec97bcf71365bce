import { Construct } from 'constructs';
import { StorageConfig } from '../../config/types';
import { AwsEnvironment, bucketArn } from '../core/aws-environment';
import { denyLakeObjectReadsOutsideLakeFormation } from '../core/lake-access';
import { CustomerManagedKey } from './customer-managed-key';
import { SecureBucket } from './secure-bucket';

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
  /**
   * Key prefix DMS writes the raw zone under.
   * @default 'raw'
   */
  readonly rawZonePrefix?: string;
}

/** The lake bucket's name: the account id makes it globally unique, and others derive it without the bucket. */
export function lakeBucketName(namePrefix: string, env: AwsEnvironment): string {
  return `${namePrefix}-lake-${env.accountId}`;
}

/**
 * The lake's S3 storage: the data-lake bucket (DMS writes the raw zone; only the Lake Formation registration role
 * reads it), the Athena query-results bucket, and the bucket that receives both buckets' server access logs.
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
    const lakeName = lakeBucketName(props.namePrefix, env);
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
              values: [lakeName, resultsBucketName].map((name) => bucketArn(env, name)),
            },
          ],
        },
      ],
    });
    const encryption = { kind: 'kms', key: props.lakeKey } as const;
    this.lakeBucket = new SecureBucket(this, 'lake', {
      bucketName: lakeName,
      encryption,
      accessLogBucket: this.accessLogBucket,
      noncurrentVersionExpirationDays: props.noncurrentVersionExpirationDays,
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
}
