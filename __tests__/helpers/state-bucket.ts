import { AwsClientStub } from 'aws-sdk-client-mock';
import {
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { tlsOnlyPolicy } from '../../scripts/bootstrap/state-bucket';

/** Answers the state bucket's reads as S3 does for a bucket that already has every guard: nothing left to change. */
export function stateBucketAlreadyRight(s3: AwsClientStub<S3Client>, bucketName: string): void {
  s3.on(HeadBucketCommand).resolves({});
  s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
  s3.on(GetBucketEncryptionCommand).resolves({
    ServerSideEncryptionConfiguration: {
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }],
    },
  });
  s3.on(GetPublicAccessBlockCommand).resolves({
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
  });
  s3.on(GetBucketPolicyCommand).resolves({ Policy: tlsOnlyPolicy(bucketName) });
}
