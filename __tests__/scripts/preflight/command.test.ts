import { DescribeAddressesCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import {
  GetRoleCommand,
  GetUserCommand,
  IAMServiceException,
  ListAttachedRolePoliciesCommand,
  ListMFADevicesCommand,
} from '@aws-sdk/client-iam';
import { GetDataLakeSettingsCommand } from '@aws-sdk/client-lakeformation';
import { DescribeCertificatesCommand } from '@aws-sdk/client-rds';
import { ListNamespacesCommand, ListWorkgroupsCommand } from '@aws-sdk/client-redshift-serverless';
import { HeadBucketCommand, HeadObjectCommand, NotFound } from '@aws-sdk/client-s3';
import { GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { runInProcess } from '../../helpers/cli';
import { PREFLIGHT_ACCOUNT as ACCOUNT, PREFLIGHT_CALLER as CALLER, mockPreflightClients } from '../../helpers/preflight';

/** The committed config with a real-looking account: the committed placeholder ids fail the account check by design. */
jest.mock('../../../config/environments', () => {
  const actual = jest.requireActual('../../../config/environments');
  const account = '111122223333';
  return {
    ...actual,
    environments: actual.environments.map((e: { region: string; governance: object }) => ({
      ...e,
      accountId: account,
      governance: {
        ...e.governance,
        deployRoleArn: `arn:aws:iam::${account}:role/unicornhealth-deploy`,
        lakeAdministratorUsers: ['lake-admin'],
      },
      stateBackend: { bucket: `unicornhealth-tfstate-${account}`, region: e.region },
    })),
  };
});

const { sts, iam, ec2, quotas, rds, lakeFormation, redshift, s3, reset } = mockPreflightClients();

beforeEach(() => {
  reset();
  sts.on(GetCallerIdentityCommand).resolves(CALLER);
  iam.on(GetUserCommand).resolves({
    User: { UserName: 'lake-admin', UserId: 'AIDA1', Arn: `arn:aws:iam::${ACCOUNT}:user/lake-admin`, Path: '/', CreateDate: new Date() },
  });
  iam
    .on(ListMFADevicesCommand)
    .resolves({ MFADevices: [{ UserName: 'lake-admin', SerialNumber: 'arn:aws:iam::1:mfa/a', EnableDate: new Date() }] });
  iam.on(GetRoleCommand).callsFake(async ({ RoleName }: { RoleName: string }) => ({
    Role: { RoleName, RoleId: 'AROA1', Arn: `arn:aws:iam::${ACCOUNT}:role/${RoleName}`, Path: '/', CreateDate: new Date() },
  }));
  iam.on(ListAttachedRolePoliciesCommand).callsFake(async ({ RoleName }: { RoleName: string }) => {
    const policy = RoleName === 'dms-vpc-role' ? 'AmazonDMSVPCManagementRole' : 'AmazonDMSCloudWatchLogsRole';
    return { AttachedPolicies: [{ PolicyName: policy, PolicyArn: `arn:aws:iam::aws:policy/service-role/${policy}` }] };
  });
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-0a1b2c3d', IsDefault: true }] });
  ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
  quotas.on(GetServiceQuotaCommand).callsFake(async ({ QuotaCode }: { QuotaCode: string }) => ({ Quota: { QuotaCode, Value: 25 } }));
  redshift.on(ListNamespacesCommand).resolves({ namespaces: [] });
  redshift.on(ListWorkgroupsCommand).resolves({ workgroups: [] });
  rds.on(DescribeCertificatesCommand).resolves({
    DefaultCertificateForNewLaunches: 'rds-ca-rsa2048-g1',
    Certificates: [
      {
        CertificateIdentifier: 'rds-ca-rsa2048-g1',
        CertificateType: 'CA',
        ValidFrom: new Date('2021-05-25T22:34:57Z'),
        ValidTill: new Date('2061-05-25T22:34:57Z'),
      },
    ],
  });
  lakeFormation.on(GetDataLakeSettingsCommand).resolves({
    DataLakeSettings: {
      DataLakeAdmins: [
        { DataLakePrincipalIdentifier: `arn:aws:iam::${ACCOUNT}:role/unicornhealth-dev-lake-admin` },
        { DataLakePrincipalIdentifier: `arn:aws:iam::${ACCOUNT}:role/unicornhealth-deploy` },
      ],
      CreateDatabaseDefaultPermissions: [],
      CreateTableDefaultPermissions: [],
    },
  });
  s3.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' });
  // Not deployed yet: the drift check skips, so no terraform runs in these tests.
  s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'UnknownError', $metadata: { httpStatusCode: 404 } }));
});

const preflight = (args: string[]) => runInProcess('preflight', args, { AWS_EC2_METADATA_DISABLED: 'true' });
/** The one JSON document on stdout (JSON.parse fails on anything more or less). */
const document = (stdout: string): { checks: { id: string; ok: unknown }[] } & Record<string, unknown> => JSON.parse(stdout);

describe('npm run preflight (the command)', () => {
  test('--help lists the checks and the exit codes', async () => {
    const { code, stdout } = await preflight(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('account, deploy-role, lake-admins, dms-roles, quotas, rds-ca, lake-formation, drift');
    expect(stdout).toMatch(/--env <name>\s+environment to check \(choices: "dev", "prod"\)/);
    expect(stdout).toMatch(/Exit codes: 0 success/);
  });

  test.each([
    [[], "required option '--env <name>' not specified"],
    [['--env', 'qa'], "argument 'qa' is invalid. Allowed choices are dev, prod"],
    [['--env', 'dev', '--skip', 'drfit'], 'unknown "drfit"; choose from account, deploy-role'],
  ])('%j is a usage error (exit 2) before any AWS call', async (args, message) => {
    const { code, stdout } = await preflight([...args, '--json']);
    expect(code).toBe(2);
    expect(document(stdout)).toMatchObject({ ok: false, error: { kind: 'usage', message: expect.stringContaining(message) } });
    expect(sts.calls()).toHaveLength(0);
  });

  test('a ready account: one JSON document, every check, exit 0', async () => {
    const { code, stdout } = await preflight(['--env', 'dev', '--json']);
    expect(code).toBe(0);
    const doc = document(stdout);
    expect(doc).toMatchObject({
      ok: true,
      command: 'preflight',
      environment: 'dev',
      accountId: ACCOUNT,
      exitCode: 0,
      caller: { arn: CALLER.Arn },
    });
    expect(doc.checks.map((c: { id: string; ok: unknown }) => [c.id, c.ok])).toEqual([
      ['account', true],
      ['deploy-role', true],
      ['lake-admins', true],
      ['dms-roles', true],
      ['quotas', true],
      ['rds-ca', true],
      ['lake-formation', true],
      ['drift', 'skipped'],
    ]);
    expect(s3.commandCalls(HeadObjectCommand)[0].args[0].input).toEqual({
      Bucket: `unicornhealth-tfstate-${ACCOUNT}`,
      Key: 'unicornhealth/dev/terraform.tfstate',
    });
  });

  test('a failed check: exit 1, the table shows it with its fix, and the verdict counts it', async () => {
    lakeFormation.on(GetDataLakeSettingsCommand).resolves({
      DataLakeSettings: {
        DataLakeAdmins: [{ DataLakePrincipalIdentifier: `arn:aws:iam::${ACCOUNT}:role/unicornhealth-deploy` }],
        CreateDatabaseDefaultPermissions: [{ Principal: { DataLakePrincipalIdentifier: 'IAM_ALLOWED_PRINCIPALS' }, Permissions: ['ALL'] }],
        CreateTableDefaultPermissions: [],
      },
    });
    const { code, stdout } = await preflight(['--env', 'dev']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^check\s+result\s+evidence\s+fix$/m);
    expect(stdout).toMatch(/^lake-formation\s+FAIL\s+DataLakeAdmins: .*IAM_ALLOWED_PRINCIPALS.*put-data-lake-settings/m);
    expect(stdout).not.toMatch(/^rds-ca/m);
    expect(stdout).toMatch(/preflight dev \(111122223333, us-east-1, as .*\): NOT ready: 6 passed, 1 failed, 0 warnings, 1 skipped$/m);
  });

  test('--verbose lists every check, passes and skips included', async () => {
    const { code, stdout } = await preflight(['--env', 'dev', '--verbose', '--skip', 'quotas']);
    expect(code).toBe(0);
    for (const line of [/^account\s+pass\s/m, /^quotas\s+skipped\s+skipped by --skip/m, /^drift\s+skipped\s+no state at s3:/m])
      expect(stdout).toMatch(line);
    expect(stdout).toMatch(/: ready: 6 passed, 0 failed, 0 warnings, 2 skipped$/m);
    expect(ec2.calls()).toHaveLength(0);
  });

  test('another account: exit 1 and the account checks are skipped', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ ...CALLER, Account: '999988887777', Arn: 'arn:aws:sts::999988887777:assumed-role/unicornhealth-deploy/s' });
    const { code, stdout } = await preflight(['--env', 'prod', '--json']);
    expect(code).toBe(1);
    expect(document(stdout)).toMatchObject({ ok: false, exitCode: 1, counts: { failed: 2, skipped: 6 } });
    expect(iam.calls()).toHaveLength(0);
  });

  test('AccessDenied on one check: exit 3, that check carries the environment error, the rest ran', async () => {
    iam.on(GetUserCommand).rejects(
      new IAMServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        message: `User: ${CALLER.Arn} is not authorized to perform: iam:GetUser on resource: user lake-admin`,
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const { code, stdout } = await preflight(['--env', 'dev', '--json']);
    expect(code).toBe(3);
    const doc = document(stdout);
    expect(doc).toMatchObject({ ok: false, exitCode: 3, counts: { passed: 6, errors: 1 } });
    expect(doc.checks.find((c: { id: string }) => c.id === 'lake-admins')).toMatchObject({
      ok: false,
      error: { kind: 'environment', code: 'AccessDenied' },
      fix: expect.stringContaining('Allow iam:GetUser, iam:ListMFADevices'),
    });
  });

  test.each([
    ['no credentials', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })],
    ['AWS unreachable', Object.assign(new Error('getaddrinfo ENOTFOUND sts.us-east-1.amazonaws.com'), { code: 'ENOTFOUND' })],
  ])('%s: exit 3 with one JSON error document', async (_case, error) => {
    sts.on(GetCallerIdentityCommand).rejects(error);
    const { code, stdout } = await preflight(['--env', 'dev', '--json']);
    expect(code).toBe(3);
    expect(document(stdout)).toMatchObject({
      ok: false,
      command: 'preflight',
      error: { kind: 'environment', exitCode: 3, message: expect.stringContaining(error.message) },
    });
    expect(iam.calls()).toHaveLength(0);
  });
});
