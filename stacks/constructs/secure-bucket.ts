import { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import {
  S3BucketLifecycleConfiguration,
  S3BucketLifecycleConfigurationRule,
} from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging';
import { PolicyStatement, denyEveryone, denyInsecureTransport, policyDocument } from '../core/policy-document';
import { CustomerManagedKey } from './customer-managed-key';

/** Default encryption of a bucket. */
export type BucketEncryption =
  | { readonly kind: 'kms'; readonly key: CustomerManagedKey }
  /** SSE-S3: only for the server-access-log bucket, whose log deliveries AWS documents for SSE-S3. */
  | { readonly kind: 's3-managed' };

/** A storage class an S3 lifecycle rule moves objects to, and after how many days. */
export interface StorageClassTransition {
  readonly days: number;
  readonly storageClass: 'STANDARD_IA' | 'GLACIER_IR';
}

/** The lifecycle of the objects under one key prefix of a bucket. */
export interface PrefixLifecycle {
  /** Key prefix without its trailing slash, for example `raw`. */
  readonly prefix: string;
  /** Why these objects live as they do, for the rule id: `change-log`, `current-state`. */
  readonly purpose: string;
  /**
   * Storage classes current objects move to, by days after creation.
   * @default none: they stay in S3 Standard
   */
  readonly transitions?: readonly StorageClassTransition[];
  /**
   * Delete current objects this many days after creation.
   * @default never
   */
  readonly expireAfterDays?: number;
  /**
   * Delete earlier versions this many days after a newer one replaced them or a delete hid them.
   * @default never
   */
  readonly noncurrentVersionExpirationDays?: number;
}

export interface SecureBucketProps {
  readonly bucketName: string;
  readonly encryption: BucketEncryption;
  /**
   * Bucket that receives this bucket's server access logs.
   * @default no access logging: only for the access-log bucket itself
   */
  readonly accessLogBucket?: SecureBucket;
  /** Days earlier object versions are kept, in the whole bucket unless `prefixLifecycles` are given. */
  readonly noncurrentVersionExpirationDays: number;
  /**
   * The bucket's key prefixes, each with its own lifecycle, instead of one expiry of earlier versions for the whole
   * bucket: where rules overlap, S3 applies the earliest expiration
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-conflicts.html), so a bucket-wide rule would
   * delete a prefix's earlier versions before that prefix's own retention. Objects outside the prefixes keep theirs.
   * @default none: `noncurrentVersionExpirationDays` applies to the whole bucket
   */
  readonly prefixLifecycles?: readonly PrefixLifecycle[];
  /**
   * Expire current objects after this many days.
   * @default never
   */
  readonly expireObjectsAfterDays?: number;
  /** @default 7 */
  readonly abortIncompleteUploadsAfterDays?: number;
  /**
   * Let `terraform destroy` delete a non-empty bucket.
   * @default false
   */
  readonly forceDestroy?: boolean;
  /**
   * Statements appended to the bucket policy, for example a log-delivery grant.
   * @default []
   */
  readonly additionalPolicyStatements?: readonly PolicyStatement[];
}

/** An enabled lifecycle rule that applies `actions` to every object of the bucket. */
function wholeBucketRule(
  id: string,
  actions: Omit<S3BucketLifecycleConfigurationRule, 'id' | 'status' | 'filter'>,
): S3BucketLifecycleConfigurationRule {
  return { id, status: 'Enabled', filter: [{ prefix: '' }], ...actions };
}

/** An enabled lifecycle rule for the objects under one prefix. */
function prefixRule(lifecycle: PrefixLifecycle): S3BucketLifecycleConfigurationRule {
  return {
    id: lifecycle.purpose,
    status: 'Enabled',
    filter: [{ prefix: `${lifecycle.prefix}/` }],
    transition: lifecycle.transitions?.map(({ days, storageClass }) => ({ days, storageClass })),
    expiration: lifecycle.expireAfterDays === undefined ? undefined : [{ days: lifecycle.expireAfterDays }],
    noncurrentVersionExpiration:
      lifecycle.noncurrentVersionExpirationDays === undefined ? undefined : [{ noncurrentDays: lifecycle.noncurrentVersionExpirationDays }],
  };
}

/**
 * An S3 bucket with every guard a PHI bucket needs: all four Block Public Access settings, bucket-owner-enforced
 * ownership (no ACLs), versioning, default encryption with bucket keys, a policy that refuses plain HTTP, TLS
 * older than 1.2 and (with SSE-KMS) uploads under another key, lifecycle rules, and server access logging.
 */
export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly name: string;
  readonly arn: string;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, 'bucket', {
      bucket: props.bucketName,
      forceDestroy: props.forceDestroy ?? false,
      tags: { Name: props.bucketName },
    });
    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;
    const bucket = this.bucket.id;

    const publicAccessBlock = new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    const versioning = new S3BucketVersioningA(this, 'versioning', {
      bucket,
      versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket,
      rule: [
        props.encryption.kind === 'kms'
          ? {
              applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.encryption.key.arn },
              bucketKeyEnabled: true,
            }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
      ],
    });

    const abortUploads = wholeBucketRule('abort-incomplete-multipart-uploads', {
      abortIncompleteMultipartUpload: [{ daysAfterInitiation: props.abortIncompleteUploadsAfterDays ?? 7 }],
    });
    const rules = props.prefixLifecycles
      ? [
          abortUploads,
          wholeBucketRule('remove-expired-delete-markers', { expiration: [{ expiredObjectDeleteMarker: true }] }),
          ...props.prefixLifecycles.map(prefixRule),
        ]
      : [
          abortUploads,
          wholeBucketRule('expire-noncurrent-versions', {
            noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionExpirationDays }],
            expiration: [{ expiredObjectDeleteMarker: true }],
          }),
        ];
    if (props.expireObjectsAfterDays !== undefined) {
      rules.push(wholeBucketRule('expire-current-objects', { expiration: [{ days: props.expireObjectsAfterDays }] }));
    }
    new S3BucketLifecycleConfiguration(this, 'lifecycle', { bucket, rule: rules, dependsOn: [versioning] });

    if (props.accessLogBucket) {
      new S3BucketLoggingA(this, 'access-logging', {
        bucket,
        targetBucket: props.accessLogBucket.name,
        targetPrefix: `${props.bucketName}/`,
        targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: 'EventTime' } },
      });
    }

    const objects = `${this.arn}/*`;
    const statements: PolicyStatement[] = [
      denyInsecureTransport(['s3:*'], [this.arn, objects]),
      denyEveryone(
        'DenyTlsOlderThan12',
        ['s3:*'],
        [this.arn, objects],
        [{ test: 'NumericLessThan', variable: 's3:TlsVersion', values: ['1.2'] }],
      ),
    ];
    if (props.encryption.kind === 'kms') {
      statements.push(
        denyEveryone(
          'DenyUploadsNotEncryptedWithKms',
          ['s3:PutObject'],
          [objects],
          [{ test: 'StringNotEqualsIfExists', variable: 's3:x-amz-server-side-encryption', values: ['aws:kms'] }],
        ),
        denyEveryone(
          'DenyUploadsWithAnotherKmsKey',
          ['s3:PutObject'],
          [objects],
          [
            {
              test: 'StringNotEqualsIfExists',
              variable: 's3:x-amz-server-side-encryption-aws-kms-key-id',
              values: [props.encryption.key.arn],
            },
          ],
        ),
      );
    }
    statements.push(...(props.additionalPolicyStatements ?? []));
    new S3BucketPolicy(this, 'policy', {
      bucket,
      policy: policyDocument(this, 'policy-document', statements).json,
      dependsOn: [publicAccessBlock],
    });
  }
}
