import { denyLakeDecryptOutsideLakeFormation, denyLakeObjectReadsOutsideLakeFormation } from '../../../stacks/core/lake-access';
import { TEST_ENV } from '../../helpers/synth';

describe('lake access through Lake Formation only', () => {
  const bucket = 'arn:aws:s3:::uh-test-lake-111111111111';
  const registration = 'arn:aws:iam::111111111111:role/uh-test-lake-location';
  const writer = 'arn:aws:iam::111111111111:role/uh-test-dms-raw-zone-writer';

  test('the bucket denies every principal but the readers any read of an object or of an earlier version of it', () => {
    expect(denyLakeObjectReadsOutsideLakeFormation(bucket, [registration])).toEqual({
      sid: 'DenyLakeObjectReadsOutsideLakeFormation',
      effect: 'Deny',
      principals: [{ type: '*', identifiers: ['*'] }],
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [`${bucket}/*`],
      condition: [{ test: 'ArnNotLike', variable: 'aws:PrincipalArn', values: [registration] }],
    });
  });

  test('the key denies decrypting the bucket’s objects through S3, by object or bucket context, to all but the named roles', () => {
    expect(denyLakeDecryptOutsideLakeFormation(TEST_ENV, bucket, [registration, writer]).condition).toEqual([
      { test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.us-east-1.amazonaws.com'] },
      { test: 'StringLike', variable: 'kms:EncryptionContext:aws:s3:arn', values: [bucket, `${bucket}/*`] },
      { test: 'ArnNotLike', variable: 'aws:PrincipalArn', values: [registration, writer] },
    ]);
  });
});
