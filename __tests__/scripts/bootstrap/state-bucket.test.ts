import { mockClient } from 'aws-sdk-client-mock';
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
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { EnvironmentError } from '../../../scripts/cli/errors';
import { ensureStateBucket } from '../../../scripts/bootstrap/state-bucket';
import { stateBucketAlreadyRight } from '../../helpers/state-bucket';

const BUCKET = { name: 'unicornhealth-tfstate-111122223333', region: 'us-east-1', accountId: '111122223333' };

/** The errors S3 answers with, as the SDK raises them (name and HTTP status). */
const s3Error = (name: string, status: number): S3ServiceException =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });

describe('the Terraform state bucket', () => {
  const s3 = mockClient(S3Client);
  const client = (): S3Client => new S3Client({ region: 'us-east-1' });
  beforeEach(() => s3.reset());

  /** A fresh account: no bucket, and none of its settings. */
  const freshAccount = (): void => {
    s3.on(HeadBucketCommand).rejects(s3Error('NotFound', 404));
    s3.on(GetBucketVersioningCommand).resolves({});
    s3.on(GetBucketEncryptionCommand).rejects(s3Error('ServerSideEncryptionConfigurationNotFoundError', 404));
    s3.on(GetPublicAccessBlockCommand).rejects(s3Error('NoSuchPublicAccessBlockConfiguration', 404));
    s3.on(GetBucketPolicyCommand).rejects(s3Error('NoSuchBucketPolicy', 404));
  };

  test('is created with every guard in a fresh account, owned by the account and bucket-owner-enforced', async () => {
    freshAccount();
    const steps = await ensureStateBucket(client(), BUCKET);
    expect(steps.map((s) => `${s.setting}: ${s.outcome}`)).toEqual([
      'bucket: created',
      'versioning: set',
      'encryption: set',
      'public access block: set',
      'TLS-only policy: set',
    ]);
    expect(s3.commandCalls(CreateBucketCommand)[0].args[0].input).toEqual({ Bucket: BUCKET.name, ObjectOwnership: 'BucketOwnerEnforced' });
    expect(s3.commandCalls(PutBucketVersioningCommand)[0].args[0].input).toMatchObject({
      ExpectedBucketOwner: BUCKET.accountId,
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(s3.commandCalls(PutBucketEncryptionCommand)[0].args[0].input.ServerSideEncryptionConfiguration).toEqual({
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }],
    });
    expect(s3.commandCalls(PutPublicAccessBlockCommand)[0].args[0].input.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const policy = JSON.parse(s3.commandCalls(PutBucketPolicyCommand)[0].args[0].input.Policy!);
    expect(policy.Statement.map((s: { Sid: string; Effect: string }) => `${s.Effect} ${s.Sid}`)).toEqual([
      'Deny DenyInsecureTransport',
      'Deny DenyTlsOlderThan12',
    ]);
  });

  test('outside us-east-1 the bucket is created in its region', async () => {
    freshAccount();
    await ensureStateBucket(client(), { ...BUCKET, region: 'eu-central-1' });
    expect(s3.commandCalls(CreateBucketCommand)[0].args[0].input.CreateBucketConfiguration).toEqual({ LocationConstraint: 'eu-central-1' });
  });

  test('a second run changes nothing: every setting is already right', async () => {
    stateBucketAlreadyRight(s3, BUCKET.name);
    const steps = await ensureStateBucket(client(), BUCKET);
    expect(steps.every((s) => s.outcome === 'already')).toBe(true);
    // Only reads: no command that creates or puts anything.
    expect(s3.calls().map((call) => (call.args[0] as object).constructor.name)).toEqual([
      'HeadBucketCommand',
      'GetBucketVersioningCommand',
      'GetBucketEncryptionCommand',
      'GetPublicAccessBlockCommand',
      'GetBucketPolicyCommand',
    ]);
  });

  test('a bucket made by hand with SSE-S3 and versioning suspended is brought to the guards', async () => {
    s3.on(HeadBucketCommand).resolves({});
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' });
    s3.on(GetBucketEncryptionCommand).resolves({
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    s3.on(GetPublicAccessBlockCommand).resolves({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: true,
      },
    });
    s3.on(GetBucketPolicyCommand).rejects(s3Error('NoSuchBucketPolicy', 404));
    const steps = await ensureStateBucket(client(), { ...BUCKET, kmsKeyId: 'alias/tfstate' });
    expect(steps.map((s) => s.outcome)).toEqual(['already', 'set', 'set', 'set', 'set']);
    expect(
      s3.commandCalls(PutBucketEncryptionCommand)[0].args[0].input.ServerSideEncryptionConfiguration?.Rules?.[0]
        .ApplyServerSideEncryptionByDefault,
    ).toEqual({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: 'alias/tfstate',
    });
  });

  test('a bucket of that name owned by another account is refused and nothing is written', async () => {
    s3.on(HeadBucketCommand).rejects(s3Error('Forbidden', 403));
    await expect(ensureStateBucket(client(), BUCKET)).rejects.toThrow(EnvironmentError);
    await expect(ensureStateBucket(client(), BUCKET)).rejects.toThrow(/is not owned by account 111122223333/);
    expect(s3.commandCalls(CreateBucketCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutBucketPolicyCommand)).toHaveLength(0);
  });

  test('any other S3 failure surfaces with its own reason', async () => {
    s3.on(HeadBucketCommand).rejects(s3Error('SlowDown', 503));
    await expect(ensureStateBucket(client(), BUCKET)).rejects.toThrow('SlowDown');
  });
});
