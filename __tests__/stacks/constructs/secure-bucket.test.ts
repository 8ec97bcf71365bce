import { SecureBucket, SecureBucketProps } from '../../../stacks/constructs/secure-bucket';
import { Json, SynthesizedStack, synthesizeWith, testKey } from '../../helpers/synth';

describe('SecureBucket', () => {
  const build = (props: Partial<SecureBucketProps> = {}): SynthesizedStack =>
    synthesizeWith((stack) => {
      const logs = new SecureBucket(stack, 'logs', {
        bucketName: 'uh-test-logs',
        encryption: { kind: 's3-managed' },
        noncurrentVersionExpirationDays: 30,
      });
      new SecureBucket(stack, 'data', {
        bucketName: 'uh-test-data',
        encryption: { kind: 'kms', key: testKey(stack, 'lake') },
        accessLogBucket: logs,
        noncurrentVersionExpirationDays: 30,
        ...props,
      });
    });
  const stack = build();
  const keyArn = stack.ref('aws_kms_key', '', 'arn');
  const bucketRef = (name: string, attribute: string): string => stack.ref('aws_s3_bucket', `${name}_`, attribute);
  const policy = (name: string): string => stack.one('aws_s3_bucket_policy', `${name}_`).policy;
  const rules = (synthesized: SynthesizedStack): Json[] => synthesized.one('aws_s3_bucket_lifecycle_configuration', 'data_').rule;

  test.each(['data', 'logs'])('%s: all four Block Public Access settings, owner-enforced ownership, versioning', (name) => {
    expect(stack.one('aws_s3_bucket_public_access_block', `${name}_`)).toEqual({
      bucket: bucketRef(name, 'id'),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(stack.one('aws_s3_bucket_ownership_controls', `${name}_`).rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    expect(stack.one('aws_s3_bucket_versioning', `${name}_`).versioning_configuration).toEqual({ status: 'Enabled' });
  });

  test('the bucket has its name as Name tag and is not force-destroyed by default', () => {
    expect(stack.one('aws_s3_bucket', 'data_')).toEqual({ bucket: 'uh-test-data', force_destroy: false, tags: { Name: 'uh-test-data' } });
  });

  test('SSE-KMS uses the given key with bucket keys; SSE-S3 is the other choice', () => {
    expect(stack.one('aws_s3_bucket_server_side_encryption_configuration', 'data_').rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: keyArn }, bucket_key_enabled: true },
    ]);
    expect(stack.one('aws_s3_bucket_server_side_encryption_configuration', 'logs_').rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } },
    ]);
  });

  test.each(['data', 'logs'])('%s: the policy denies plain HTTP and TLS before 1.2, after Block Public Access is on', (name) => {
    expect(stack.statement(policy(name), 'DenyInsecureTransport')).toMatchObject({
      effect: 'Deny',
      principals: [{ type: '*', identifiers: ['*'] }],
      actions: ['s3:*'],
      resources: [bucketRef(name, 'arn'), `${bucketRef(name, 'arn')}/*`],
      condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
    });
    expect(stack.statement(policy(name), 'DenyTlsOlderThan12').condition).toEqual([
      { test: 'NumericLessThan', variable: 's3:TlsVersion', values: ['1.2'] },
    ]);
    expect(stack.one('aws_s3_bucket_policy', `${name}_`).depends_on).toEqual([
      `aws_s3_bucket_public_access_block.${stack.idOf('aws_s3_bucket_public_access_block', `${name}_`)}`,
    ]);
  });

  test('with SSE-KMS the policy refuses uploads without KMS or under another key; with SSE-S3 it has no such statements', () => {
    expect(stack.statement(policy('data'), 'DenyUploadsNotEncryptedWithKms').condition).toEqual([
      { test: 'StringNotEqualsIfExists', variable: 's3:x-amz-server-side-encryption', values: ['aws:kms'] },
    ]);
    expect(stack.statement(policy('data'), 'DenyUploadsWithAnotherKmsKey').condition).toEqual([
      { test: 'StringNotEqualsIfExists', variable: 's3:x-amz-server-side-encryption-aws-kms-key-id', values: [keyArn] },
    ]);
    expect(stack.sids(policy('logs'))).toEqual(['DenyInsecureTransport', 'DenyTlsOlderThan12']);
  });

  test('server access logs go to the log bucket under the bucket name, partitioned by event time; the log bucket logs nowhere', () => {
    expect(stack.one('aws_s3_bucket_logging')).toEqual({
      bucket: bucketRef('data', 'id'),
      target_bucket: bucketRef('logs', 'bucket'),
      target_prefix: 'uh-test-data/',
      target_object_key_format: { partitioned_prefix: { partition_date_source: 'EventTime' } },
    });
  });

  test('by default incomplete uploads abort after 7 days, noncurrent versions expire, and current objects stay', () => {
    expect(rules(stack)).toEqual([
      {
        id: 'abort-incomplete-multipart-uploads',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      },
      {
        id: 'expire-noncurrent-versions',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        noncurrent_version_expiration: [{ noncurrent_days: 30 }],
        expiration: [{ expired_object_delete_marker: true }],
      },
    ]);
    expect(stack.one('aws_s3_bucket_lifecycle_configuration', 'data_').depends_on).toEqual([
      `aws_s3_bucket_versioning.${stack.idOf('aws_s3_bucket_versioning', 'data_')}`,
    ]);
  });

  test('options: object expiry, another abort window, force destroy and extra policy statements', () => {
    const custom = build({
      expireObjectsAfterDays: 90,
      abortIncompleteUploadsAfterDays: 2,
      forceDestroy: true,
      additionalPolicyStatements: [{ sid: 'Extra', effect: 'Allow', actions: ['s3:GetObject'], resources: ['*'] }],
    });
    expect(rules(custom)).toContainEqual({
      id: 'expire-current-objects',
      status: 'Enabled',
      filter: [{ prefix: '' }],
      expiration: [{ days: 90 }],
    });
    expect(rules(custom)[0].abort_incomplete_multipart_upload).toEqual([{ days_after_initiation: 2 }]);
    expect(custom.one('aws_s3_bucket', 'data_').force_destroy).toBe(true);
    expect(custom.sids(custom.one('aws_s3_bucket_policy', 'data_').policy).at(-1)).toBe('Extra');
  });

  test('prefix lifecycles replace the bucket-wide expiry of earlier versions: each prefix keeps its own', () => {
    const zoned = build({
      prefixLifecycles: [
        {
          prefix: 'raw',
          purpose: 'change-log',
          transitions: [{ days: 30, storageClass: 'STANDARD_IA' }],
          expireAfterDays: 400,
          noncurrentVersionExpirationDays: 400,
        },
        { prefix: 'current', purpose: 'current-state', noncurrentVersionExpirationDays: 30 },
      ],
    });
    expect(rules(zoned)).toEqual([
      {
        id: 'abort-incomplete-multipart-uploads',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      },
      {
        id: 'remove-expired-delete-markers',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        expiration: [{ expired_object_delete_marker: true }],
      },
      {
        id: 'change-log',
        status: 'Enabled',
        filter: [{ prefix: 'raw/' }],
        transition: [{ days: 30, storage_class: 'STANDARD_IA' }],
        expiration: [{ days: 400 }],
        noncurrent_version_expiration: [{ noncurrent_days: 400 }],
      },
      {
        id: 'current-state',
        status: 'Enabled',
        filter: [{ prefix: 'current/' }],
        noncurrent_version_expiration: [{ noncurrent_days: 30 }],
      },
    ]);
  });
});
