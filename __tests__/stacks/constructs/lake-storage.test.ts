import { dev, prod } from '../../../config/environments';
import { Json, ref, synthesize } from '../../helpers/synth';

describe('LakeStorage and SecureBucket', () => {
  const stacks = { dev: synthesize(dev), prod: synthesize(prod) };
  const stack = stacks.dev;
  const buckets = ['lake', 'athena-results', 'access-logs'];
  const bucketRef = (name: string): string => ref('aws_s3_bucket', stack.idOf('aws_s3_bucket', `storage_${name}_`), 'id');
  const lakeKeyArn = ref('aws_kms_key', stack.idOf('aws_kms_key', 'lake-key'), 'arn');

  test('bucket names are stable per environment and account', () => {
    expect(stack.one('aws_s3_bucket', 'storage_lake_').bucket).toBe(`unicornhealth-dev-lake-${dev.accountId}`);
    expect(stack.one('aws_s3_bucket', 'athena-results').bucket).toBe(`unicornhealth-dev-athena-results-${dev.accountId}`);
    expect(stack.one('aws_s3_bucket', 'access-logs').bucket).toBe(`unicornhealth-dev-access-logs-${dev.accountId}`);
  });

  test.each(buckets)('%s: all four Block Public Access settings', (name) => {
    expect(stack.one('aws_s3_bucket_public_access_block', `storage_${name}_`)).toMatchObject({
      bucket: bucketRef(name),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  test.each(buckets)('%s: bucket-owner-enforced ownership and versioning', (name) => {
    expect(stack.one('aws_s3_bucket_ownership_controls', `storage_${name}_`).rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    expect(stack.one('aws_s3_bucket_versioning', `storage_${name}_`).versioning_configuration).toEqual({ status: 'Enabled' });
  });

  test.each(['lake', 'athena-results'])('%s: SSE-KMS with the lake key and bucket keys', (name) => {
    expect(stack.one('aws_s3_bucket_server_side_encryption_configuration', `storage_${name}_`).rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: lakeKeyArn }, bucket_key_enabled: true },
    ]);
  });

  test('the access-log bucket uses SSE-S3, the encryption S3 log delivery is documented for', () => {
    expect(stack.one('aws_s3_bucket_server_side_encryption_configuration', 'access-logs').rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } },
    ]);
  });

  test.each(buckets)('%s: the policy denies plain HTTP and TLS before 1.2', (name) => {
    const policy = stack.one('aws_s3_bucket_policy', `storage_${name}_`).policy;
    expect(stack.statement(policy, 'DenyInsecureTransport')).toMatchObject({
      effect: 'Deny',
      condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
    });
    expect(stack.statement(policy, 'DenyTlsOlderThan12').condition).toEqual([
      { test: 'NumericLessThan', variable: 's3:TlsVersion', values: ['1.2'] },
    ]);
  });

  test.each(['lake', 'athena-results'])('%s: the policy refuses uploads with another key or without KMS', (name) => {
    const policy = stack.one('aws_s3_bucket_policy', `storage_${name}_`).policy;
    expect(stack.statement(policy, 'DenyUploadsWithAnotherKmsKey').condition).toEqual([
      { test: 'StringNotEqualsIfExists', variable: 's3:x-amz-server-side-encryption-aws-kms-key-id', values: [lakeKeyArn] },
    ]);
    expect(stack.statement(policy, 'DenyUploadsNotEncryptedWithKms').condition).toEqual([
      { test: 'StringNotEqualsIfExists', variable: 's3:x-amz-server-side-encryption', values: ['aws:kms'] },
    ]);
  });

  test('only S3 log delivery for the two data buckets of this account may write access logs', () => {
    const policy = stack.one('aws_s3_bucket_policy', 'access-logs').policy;
    const delivery = stack.statement(policy, 'AllowServerAccessLogDelivery');
    expect(delivery.principals).toEqual([{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }]);
    expect(delivery.condition).toEqual([
      { test: 'StringEquals', variable: 'aws:SourceAccount', values: [dev.accountId] },
      {
        test: 'ArnLike',
        variable: 'aws:SourceArn',
        values: [`arn:aws:s3:::unicornhealth-dev-lake-${dev.accountId}`, `arn:aws:s3:::unicornhealth-dev-athena-results-${dev.accountId}`],
      },
    ]);
  });

  test.each(['lake', 'athena-results'])('%s: server access logs go to the log bucket', (name) => {
    expect(stack.one('aws_s3_bucket_logging', `storage_${name}_`)).toMatchObject({
      target_bucket: ref('aws_s3_bucket', stack.idOf('aws_s3_bucket', 'access-logs'), 'bucket'),
    });
  });

  const rulesOf = (name: string): Json[] => stack.one('aws_s3_bucket_lifecycle_configuration', `storage_${name}_`).rule;
  test.each(buckets)('%s: incomplete uploads abort after 7 days and noncurrent versions expire', (name) => {
    const rules = rulesOf(name);
    expect(rules).toContainEqual(expect.objectContaining({ abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] }));
    expect(rules).toContainEqual(
      expect.objectContaining({ noncurrent_version_expiration: [{ noncurrent_days: dev.storage.noncurrentVersionExpirationDays }] }),
    );
  });

  test('Athena results and access logs expire after their configured days; lake data does not', () => {
    const expiry = (name: string): number[] =>
      rulesOf(name).flatMap((r: Json) => (r.expiration ?? []).filter((e: Json) => e.days).map((e: Json) => e.days));
    expect(expiry('athena-results')).toEqual([dev.storage.athenaResultsExpirationDays]);
    expect(expiry('access-logs')).toEqual([dev.storage.accessLogRetentionDays]);
    expect(expiry('lake')).toEqual([]);
  });

  test.each([
    ['dev', true],
    ['prod', false],
  ] as const)('%s: force_destroy is %s on every bucket', (name, expected) => {
    for (const bucket of stacks[name].all('aws_s3_bucket')) expect(bucket.force_destroy).toBe(expected);
  });
});
