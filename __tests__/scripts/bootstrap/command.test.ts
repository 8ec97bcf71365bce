import { mockClient } from 'aws-sdk-client-mock';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { S3Client } from '@aws-sdk/client-s3';
import { nonprodAccount } from '../../../config/accounts';
import { runInProcess } from '../../helpers/cli';
import { stateBucketAlreadyRight } from '../../helpers/state-bucket';

describe('npm run bootstrap', () => {
  const sts = mockClient(STSClient);
  const s3 = mockClient(S3Client);
  beforeEach(() => {
    sts.reset();
    s3.reset();
  });

  test('--help says what it creates and that it is idempotent', async () => {
    const { code, stdout } = await runInProcess('bootstrap', ['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--env <name>/);
    expect(stdout).toMatch(/harmless to run again/);
  });

  test('refuses credentials of another account before creating anything (exit 1)', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '999999999999', Arn: 'arn:aws:sts::999999999999:assumed-role/x/y' });
    const { code, stdout } = await runInProcess('bootstrap', ['--env', 'dev', '--json']);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).error.message).toMatch(/credentials are for account 999999999999, but dev is in account 111111111111/);
    expect(s3.calls()).toHaveLength(0);
  });

  test('on a bucket already right it reports every step unchanged and prints the next command', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: nonprodAccount.id });
    stateBucketAlreadyRight(s3, nonprodAccount.stateBackend!.bucket);
    const { code, stdout } = await runInProcess('bootstrap', ['--env', 'dev']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^versioning\s+already$/m);
    expect(stdout).toContain(`state bucket s3://${nonprodAccount.stateBackend!.bucket} is ready; next: npm run preflight -- --env dev`);
  });

  test('an unknown environment is a usage error', async () => {
    const { code, stderr } = await runInProcess('bootstrap', ['--env', 'qa']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Allowed choices are dev, prod/);
  });
});
