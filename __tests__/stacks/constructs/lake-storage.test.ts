import { dev, prod } from '../../../config/environments';
import { LakeStorage, LakeStorageProps } from '../../../stacks/constructs/lake-storage';
import { policyDocument } from '../../../stacks/core/policy-document';
import {
  Json,
  SynthesizedStack,
  TEST_ENV,
  TEST_LAKE_READER_ARN,
  TEST_PREFIX,
  synthesizeWith,
  testKey,
  testStorage,
} from '../../helpers/synth';

describe('LakeStorage', () => {
  /** The raw zone's ARNs as the synthesized JSON spells them, through a policy document that names them. */
  const withRawZone = (storage: LakeStorage): void => {
    policyDocument(storage, 'raw-zone', [
      { sid: 'RawZone', resources: [storage.rawZoneArn, storage.rawZoneObjectsArn] },
      { sid: 'CurrentZone', resources: [storage.currentZoneArn, storage.currentZoneObjectsArn] },
    ]);
  };
  const rawZoneOf = (synthesized: SynthesizedStack): string[] =>
    synthesized.data('aws_iam_policy_document', 'raw-zone').statement[0].resources;
  const currentZoneOf = (synthesized: SynthesizedStack): string[] =>
    synthesized.data('aws_iam_policy_document', 'raw-zone').statement[1].resources;
  const stack = synthesizeWith((scope) => withRawZone(testStorage(scope)));
  const account = TEST_ENV.accountId;
  const lakeKeyArn = stack.ref('aws_kms_key', 'lake-key', 'arn');
  const rulesOf = (synthesized: SynthesizedStack, name: string): Json[] =>
    synthesized.one('aws_s3_bucket_lifecycle_configuration', `storage_${name}_`).rule;

  test('bucket names are stable per prefix and account', () => {
    expect(stack.one('aws_s3_bucket', 'storage_lake_').bucket).toBe(`${TEST_PREFIX}-lake-${account}`);
    expect(stack.one('aws_s3_bucket', 'athena-results').bucket).toBe(`${TEST_PREFIX}-athena-results-${account}`);
    expect(stack.one('aws_s3_bucket', 'access-logs').bucket).toBe(`${TEST_PREFIX}-access-logs-${account}`);
  });

  test('the raw zone is the lake bucket\'s "raw" prefix by default: a location and its objects', () => {
    const lakeArn = stack.ref('aws_s3_bucket', 'storage_lake_', 'arn');
    expect(rawZoneOf(stack)).toEqual([`${lakeArn}/raw`, `${lakeArn}/raw/*`]);
  });

  test('the current-state zone is the lake bucket\'s "current" prefix by default', () => {
    const lakeArn = stack.ref('aws_s3_bucket', 'storage_lake_', 'arn');
    expect(currentZoneOf(stack)).toEqual([`${lakeArn}/current`, `${lakeArn}/current/*`]);
  });

  /** LakeStorage with prod's settings and the test's names, key and reader; `props` override. */
  const storageWith = (props: Partial<LakeStorageProps> = {}): SynthesizedStack =>
    synthesizeWith((scope) =>
      withRawZone(
        new LakeStorage(scope, 'storage', {
          ...prod.storage,
          changeLog: prod.lake.changeLog,
          environment: TEST_ENV,
          namePrefix: TEST_PREFIX,
          lakeKey: testKey(scope, 'lake'),
          lakeReaderRoleArns: [TEST_LAKE_READER_ARN],
          ...props,
        }),
      ),
    );

  test('other zone prefixes are an option', () => {
    const custom = storageWith({ rawZonePrefix: 'landing', currentZonePrefix: 'tables' });
    expect(rawZoneOf(custom).map((arn) => arn.replace(/^.*\}/, ''))).toEqual(['/landing', '/landing/*']);
    expect(currentZoneOf(custom).map((arn) => arn.replace(/^.*\}/, ''))).toEqual(['/tables', '/tables/*']);
    expect(rulesOf(custom, 'lake').map((r: Json) => r.filter)).toEqual([
      [{ prefix: '' }],
      [{ prefix: '' }],
      [{ prefix: 'landing/' }],
      [{ prefix: 'tables/' }],
    ]);
  });

  test('the lake keeps the change log as configured: storage classes, expiry, and the versions a DMS reload replaces', () => {
    // prod: Standard-IA after 30 days, Glacier Instant Retrieval after 90, deleted after six years.
    expect(rulesOf(storageWith(), 'lake')).toContainEqual({
      id: 'change-log',
      status: 'Enabled',
      filter: [{ prefix: 'raw/' }],
      transition: [
        { days: 30, storage_class: 'STANDARD_IA' },
        { days: 90, storage_class: 'GLACIER_IR' },
      ],
      expiration: [{ days: 2192 }],
      noncurrent_version_expiration: [{ noncurrent_days: 2192 }],
    });
    // dev: no Glacier, deleted after a year.
    expect(rulesOf(stack, 'lake').find((r: Json) => r.id === 'change-log')).toMatchObject({
      transition: [{ days: 30, storage_class: 'STANDARD_IA' }],
      expiration: [{ days: 365 }],
      noncurrent_version_expiration: [{ noncurrent_days: 365 }],
    });
    // A change log kept for ever: no expiry at all.
    const forever = rulesOf(storageWith({ changeLog: { infrequentAccessAfterDays: 30 } }), 'lake').find((r: Json) => r.id === 'change-log');
    expect(forever).not.toHaveProperty('expiration');
    expect(forever).not.toHaveProperty('noncurrent_version_expiration');
  });

  test('the lake has no bucket-wide expiry of earlier versions, which would cut the change log short; the current state has its own', () => {
    const lake = rulesOf(stack, 'lake');
    expect(lake.map((r: Json) => r.id)).toEqual([
      'abort-incomplete-multipart-uploads',
      'remove-expired-delete-markers',
      'change-log',
      'current-state',
    ]);
    expect(lake.filter((r: Json) => r.filter[0].prefix === '' && r.noncurrent_version_expiration)).toEqual([]);
    expect(lake.find((r: Json) => r.id === 'current-state')).toEqual({
      id: 'current-state',
      status: 'Enabled',
      filter: [{ prefix: 'current/' }],
      noncurrent_version_expiration: [{ noncurrent_days: 30 }],
    });
  });

  test.each(['lake', 'athena-results'])('%s: SSE-KMS with the lake key, logging to the log bucket', (name) => {
    expect(stack.one('aws_s3_bucket_server_side_encryption_configuration', `storage_${name}_`).rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: lakeKeyArn }, bucket_key_enabled: true },
    ]);
    expect(stack.one('aws_s3_bucket_logging', `storage_${name}_`).target_bucket).toBe(stack.ref('aws_s3_bucket', 'access-logs', 'bucket'));
  });

  test('the access-log bucket uses SSE-S3, the encryption S3 log delivery is documented for, and logs nowhere itself', () => {
    expect(stack.one('aws_s3_bucket_server_side_encryption_configuration', 'access-logs').rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } },
    ]);
    expect(Object.keys(stack.resources('aws_s3_bucket_logging')).some((id) => id.includes('access-logs'))).toBe(false);
  });

  test('only S3 log delivery for the two data buckets of this account may write access logs', () => {
    const delivery = stack.statement(stack.one('aws_s3_bucket_policy', 'access-logs').policy, 'AllowServerAccessLogDelivery');
    expect(delivery).toEqual({
      sid: 'AllowServerAccessLogDelivery',
      effect: 'Allow',
      principals: [{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }],
      actions: ['s3:PutObject'],
      resources: [`arn:aws:s3:::${TEST_PREFIX}-access-logs-${account}/*`],
      condition: [
        { test: 'StringEquals', variable: 'aws:SourceAccount', values: [account] },
        {
          test: 'ArnLike',
          variable: 'aws:SourceArn',
          values: [`arn:aws:s3:::${TEST_PREFIX}-lake-${account}`, `arn:aws:s3:::${TEST_PREFIX}-athena-results-${account}`],
        },
      ],
    });
  });

  test('no principal but the named lake readers (the Lake Formation registration role) reads a lake object, any version', () => {
    const lakePolicy = stack.one('aws_s3_bucket_policy', 'storage_lake_').policy;
    expect(stack.statement(lakePolicy, 'DenyLakeObjectReadsOutsideLakeFormation')).toEqual({
      sid: 'DenyLakeObjectReadsOutsideLakeFormation',
      effect: 'Deny',
      principals: [{ type: '*', identifiers: ['*'] }],
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [`arn:aws:s3:::${TEST_PREFIX}-lake-${account}/*`],
      condition: [{ test: 'ArnNotLike', variable: 'aws:PrincipalArn', values: [TEST_LAKE_READER_ARN] }],
    });
    // The bucket's other guards stay: TLS only, TLS 1.2, uploads under the lake key.
    expect(stack.sids(lakePolicy)).toEqual([
      'DenyInsecureTransport',
      'DenyTlsOlderThan12',
      'DenyUploadsNotEncryptedWithKms',
      'DenyUploadsWithAnotherKmsKey',
      'DenyLakeObjectReadsOutsideLakeFormation',
    ]);
    // Query results are read by the people who ran the queries: no such deny on the results bucket.
    expect(stack.sids(stack.one('aws_s3_bucket_policy', 'athena-results').policy)).not.toContain('DenyLakeObjectReadsOutsideLakeFormation');
  });

  test.each(['athena-results', 'access-logs'])('%s: noncurrent versions expire after the configured days', (name) => {
    expect(rulesOf(stack, name)).toContainEqual(expect.objectContaining({ noncurrent_version_expiration: [{ noncurrent_days: 30 }] }));
  });

  test('Athena results and access logs expire after their configured days; lake data does not', () => {
    const expiry = (name: string): number[] =>
      rulesOf(stack, name).flatMap((r: Json) => (r.expiration ?? []).filter((e: Json) => e.days).map((e: Json) => e.days));
    expect(expiry('athena-results')).toEqual([7]);
    expect(expiry('access-logs')).toEqual([365]);
    expect(expiry('lake')).toEqual([dev.lake.changeLog.expireAfterDays]);
  });

  test.each([
    [true, 'a throwaway environment'],
    [false, 'an environment that keeps its data'],
  ])('force_destroy is %s on every bucket of %s', (forceDestroyBuckets) => {
    const synthesized = synthesizeWith(
      (scope) =>
        new LakeStorage(scope, 'storage', {
          ...prod.storage,
          changeLog: prod.lake.changeLog,
          forceDestroyBuckets,
          environment: TEST_ENV,
          namePrefix: TEST_PREFIX,
          lakeKey: testKey(scope, 'lake'),
          lakeReaderRoleArns: [TEST_LAKE_READER_ARN],
        }),
    );
    expect(synthesized.all('aws_s3_bucket').map((b: Json) => b.force_destroy)).toEqual([
      forceDestroyBuckets,
      forceDestroyBuckets,
      forceDestroyBuckets,
    ]);
  });
});
