import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { EnvironmentError } from '../cli/errors';

/** The bucket that holds an account's Terraform state, and the account that must own it. */
export interface StateBucket {
  readonly name: string;
  readonly region: string;
  readonly accountId: string;
  /** KMS key of the state objects; the S3-managed KMS key when absent. */
  readonly kmsKeyId?: string;
}

/** One setting of the bucket: what it must be, and whether this run changed it. */
export interface BucketStep {
  readonly setting: string;
  readonly outcome: 'created' | 'set' | 'already';
}

const errorName = (error: unknown): string => (error as { name?: string }).name ?? '';
const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** A policy that refuses every request not made over TLS 1.2 or later. */
export function tlsOnlyPolicy(bucket: string): string {
  const resources = [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`];
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: resources,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'DenyTlsOlderThan12',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: resources,
        Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
      },
    ],
  });
}

/**
 * Creates the state bucket if it is missing and brings every guard to what the README promises: versioning,
 * SSE-KMS with a bucket key, all four Block Public Access settings, bucket-owner-enforced ownership and a TLS-only
 * policy. Idempotent: each setting is read first and written only when it differs, so a second run reports every
 * step `already`. A bucket of that name owned by another account is an error, never touched.
 */
export async function ensureStateBucket(s3: S3Client, bucket: StateBucket): Promise<BucketStep[]> {
  const steps: BucketStep[] = [];
  const { name, accountId } = bucket;
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name, ExpectedBucketOwner: accountId }));
    steps.push({ setting: 'bucket', outcome: 'already' });
  } catch (error) {
    if (statusOf(error) === 403) {
      throw new EnvironmentError(
        `s3://${name} exists but is not owned by account ${accountId} (or the caller may not read it); choose another project name or check the credentials`,
      );
    }
    if (statusOf(error) !== 404 && errorName(error) !== 'NotFound' && errorName(error) !== 'NoSuchBucket') throw error;
    await s3.send(
      new CreateBucketCommand({
        Bucket: name,
        ObjectOwnership: 'BucketOwnerEnforced',
        // us-east-1 is the default location and must not be named (CreateBucket refuses it as a constraint).
        ...(bucket.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: bucket.region as never } }),
      }),
    );
    steps.push({ setting: 'bucket', outcome: 'created' });
  }
  const owner = { Bucket: name, ExpectedBucketOwner: accountId };

  const versioning = await s3.send(new GetBucketVersioningCommand(owner));
  if (versioning.Status === 'Enabled') steps.push({ setting: 'versioning', outcome: 'already' });
  else {
    await s3.send(new PutBucketVersioningCommand({ ...owner, VersioningConfiguration: { Status: 'Enabled' } }));
    steps.push({ setting: 'versioning', outcome: 'set' });
  }

  const rule = {
    ApplyServerSideEncryptionByDefault: {
      SSEAlgorithm: 'aws:kms' as const,
      ...(bucket.kmsKeyId ? { KMSMasterKeyID: bucket.kmsKeyId } : {}),
    },
    BucketKeyEnabled: true,
  };
  const encryption = await s3.send(new GetBucketEncryptionCommand(owner)).catch((error: unknown) => {
    if (errorName(error) === 'ServerSideEncryptionConfigurationNotFoundError') return undefined;
    throw error;
  });
  const current = encryption?.ServerSideEncryptionConfiguration?.Rules?.[0];
  const encrypted =
    current?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm === 'aws:kms' &&
    current.BucketKeyEnabled === true &&
    (bucket.kmsKeyId === undefined || current.ApplyServerSideEncryptionByDefault.KMSMasterKeyID === bucket.kmsKeyId);
  if (encrypted) steps.push({ setting: 'encryption', outcome: 'already' });
  else {
    await s3.send(new PutBucketEncryptionCommand({ ...owner, ServerSideEncryptionConfiguration: { Rules: [rule] } }));
    steps.push({ setting: 'encryption', outcome: 'set' });
  }

  const blockAll = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
  const block = await s3.send(new GetPublicAccessBlockCommand(owner)).catch((error: unknown) => {
    if (errorName(error) === 'NoSuchPublicAccessBlockConfiguration') return undefined;
    throw error;
  });
  const blocked = Object.entries(blockAll).every(
    ([key, value]) => block?.PublicAccessBlockConfiguration?.[key as keyof typeof blockAll] === value,
  );
  if (blocked) steps.push({ setting: 'public access block', outcome: 'already' });
  else {
    await s3.send(new PutPublicAccessBlockCommand({ ...owner, PublicAccessBlockConfiguration: blockAll }));
    steps.push({ setting: 'public access block', outcome: 'set' });
  }

  const wanted = tlsOnlyPolicy(name);
  const policy = await s3.send(new GetBucketPolicyCommand(owner)).catch((error: unknown) => {
    if (errorName(error) === 'NoSuchBucketPolicy') return undefined;
    throw error;
  });
  if (policy?.Policy && JSON.stringify(JSON.parse(policy.Policy)) === wanted)
    steps.push({ setting: 'TLS-only policy', outcome: 'already' });
  else {
    await s3.send(new PutBucketPolicyCommand({ ...owner, Policy: wanted }));
    steps.push({ setting: 'TLS-only policy', outcome: 'set' });
  }
  return steps;
}
