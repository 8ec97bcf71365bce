import {
  DescribeAddressesCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  EC2ServiceException,
  Vpc,
} from '@aws-sdk/client-ec2';
import {
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  IAMServiceException,
  ListAttachedRolePoliciesCommand,
  ListMFADevicesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import {
  AccessDeniedException as LakeFormationAccessDenied,
  DataLakeSettings,
  GetDataLakeSettingsCommand,
  LakeFormationClient,
} from '@aws-sdk/client-lakeformation';
import { DescribeCertificatesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListNamespacesCommand, ListWorkgroupsCommand, RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import { HeadBucketCommand, HeadObjectCommand, NotFound, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ListServiceQuotasCommand,
  NoSuchResourceException,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  CheckContext,
  CheckId,
  CheckResult,
  PreflightClients,
  QUOTAS,
  checkAccount,
  checkDeployRole,
  checkDmsRoles,
  checkDrift,
  checkLakeAdministrators,
  checkLakeFormation,
  checkQuotas,
  checkRdsCa,
  isPlaceholderAccount,
  runPreflight,
} from '../../../scripts/preflight/checks';
import { PlanOutcome, PlanRunner } from '../../../scripts/preflight/plan';
import { PreflightTarget } from '../../../scripts/preflight/target';
import { PREFLIGHT_ACCOUNT as ACCOUNT, PREFLIGHT_CALLER as CALLER, mockPreflightClients } from '../../helpers/preflight';

const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/unicornhealth-deploy`;
const LAKE_ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/unicornhealth-dev-lake-admin`;

const TARGET: PreflightTarget = {
  environment: 'dev',
  project: 'unicornhealth',
  stackName: 'unicornhealth-dev',
  region: 'us-east-1',
  accountId: ACCOUNT,
  deployRoleArn: DEPLOY_ROLE,
  lakeAdministratorUsers: ['lake-admin'],
  lakeFormationAdmins: [LAKE_ADMIN_ROLE, DEPLOY_ROLE],
  singletons: { owner: 'account-baseline', stack: 'unicornhealth-account-dev' },
  dmsRolesCreatedBy: 'account-baseline',
  network: { natGateway: false, interfaceEndpoints: ['secretsmanager', 'kms', 'sts', 'logs', 'glue', 'lakeformation'] },
  warehouseName: 'unicornhealth-dev-warehouse',
  rdsCaIdentifier: 'rds-ca-rsa2048-g1',
  state: { bucket: `unicornhealth-tfstate-${ACCOUNT}`, key: 'unicornhealth/dev/terraform.tfstate', region: 'us-east-1' },
  stackDirectory: 'cdktf.out/stacks/unicornhealth-dev',
};

const { sts, iam, ec2, quotas, rds, lakeFormation, redshift, s3, reset } = mockPreflightClients();

const clients: PreflightClients = {
  sts: new STSClient({ region: 'us-east-1' }),
  iam: new IAMClient({ region: 'us-east-1' }),
  ec2: new EC2Client({ region: 'us-east-1' }),
  serviceQuotas: new ServiceQuotasClient({ region: 'us-east-1' }),
  rds: new RDSClient({ region: 'us-east-1' }),
  lakeFormation: new LakeFormationClient({ region: 'us-east-1' }),
  redshiftServerless: new RedshiftServerlessClient({ region: 'us-east-1' }),
  stateS3: new S3Client({ region: 'us-east-1' }),
};

const NOW = new Date('2026-06-01T00:00:00Z');
const planned: string[] = [];
const fakePlan =
  (outcome: PlanOutcome): PlanRunner =>
  async (dir) => {
    planned.push(dir);
    return outcome;
  };
const ctx = (overrides: Partial<CheckContext> = {}): CheckContext => ({
  target: TARGET,
  clients,
  identity: { account: CALLER.Account, arn: CALLER.Arn, userId: CALLER.UserId },
  runPlan: fakePlan({ exitCode: 0, stdout: 'No changes. Your infrastructure matches the configuration.', stderr: '' }),
  exists: () => true,
  now: NOW,
  ...overrides,
});

const accessDenied = (action: string, resource: string): IAMServiceException =>
  new IAMServiceException({
    name: 'AccessDenied',
    $fault: 'client',
    message: `User: ${CALLER.Arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
    $metadata: { httpStatusCode: 403 },
  });
const noSuchEntity = (what: string): NoSuchEntityException =>
  new NoSuchEntityException({ message: `The ${what} cannot be found.`, $metadata: { httpStatusCode: 404 } });

const DEFAULT_VPC: Vpc = { VpcId: 'vpc-0a1b2c3d', IsDefault: true, CidrBlock: '172.31.0.0/16', State: 'available' };
const DEPLOYED_SETTINGS: DataLakeSettings = {
  DataLakeAdmins: [{ DataLakePrincipalIdentifier: LAKE_ADMIN_ROLE }, { DataLakePrincipalIdentifier: DEPLOY_ROLE }],
  ReadOnlyAdmins: [],
  CreateDatabaseDefaultPermissions: [],
  CreateTableDefaultPermissions: [],
  Parameters: { CROSS_ACCOUNT_VERSION: '4', SET_CONTEXT: 'TRUE' },
  TrustedResourceOwners: [],
  AllowExternalDataFiltering: false,
  AllowFullTableExternalDataAccess: false,
};
const IAM_ALLOWED = [{ Principal: { DataLakePrincipalIdentifier: 'IAM_ALLOWED_PRINCIPALS' }, Permissions: ['ALL' as const] }];
const AWS_DEFAULT_SETTINGS: DataLakeSettings = {
  DataLakeAdmins: [],
  CreateDatabaseDefaultPermissions: IAM_ALLOWED,
  CreateTableDefaultPermissions: IAM_ALLOWED,
  Parameters: { CROSS_ACCOUNT_VERSION: '1' },
  TrustedResourceOwners: [],
};

const certificate = (id: string, from: string, till: string) => ({
  CertificateIdentifier: id,
  CertificateType: 'CA',
  Thumbprint: '0123456789abcdef0123456789abcdef01234567',
  ValidFrom: new Date(from),
  ValidTill: new Date(till),
  CertificateArn: `arn:aws:rds:us-east-1::cert:${id}`,
  CustomerOverride: false,
});
const CERTIFICATES = [
  certificate('rds-ca-ecc384-g1', '2021-05-25T22:41:46Z', '2121-05-25T23:41:46Z'),
  certificate('rds-ca-rsa2048-g1', '2021-05-25T22:34:57Z', '2061-05-25T22:34:57Z'),
  certificate('rds-ca-rsa4096-g1', '2021-05-25T22:38:35Z', '2121-05-25T23:38:35Z'),
];

/** Every AWS answer of an account that is ready: the deploy role, MFA'd lake admin, baseline deployed, room in every quota. */
function readyAccount(): void {
  reset();
  planned.length = 0;
  sts.on(GetCallerIdentityCommand).resolves(CALLER);
  iam.on(GetUserCommand, { UserName: 'lake-admin' }).resolves({
    User: {
      UserName: 'lake-admin',
      UserId: 'AIDAEXAMPLEUSERID',
      Arn: `arn:aws:iam::${ACCOUNT}:user/lake-admin`,
      Path: '/',
      CreateDate: new Date('2025-01-02T03:04:05Z'),
    },
  });
  iam.on(ListMFADevicesCommand, { UserName: 'lake-admin' }).resolves({
    MFADevices: [
      { UserName: 'lake-admin', SerialNumber: `arn:aws:iam::${ACCOUNT}:mfa/lake-admin-phone`, EnableDate: new Date('2025-01-02') },
    ],
    IsTruncated: false,
  });
  for (const [role, policy] of [
    ['dms-vpc-role', 'AmazonDMSVPCManagementRole'],
    ['dms-cloudwatch-logs-role', 'AmazonDMSCloudWatchLogsRole'],
  ]) {
    iam.on(GetRoleCommand, { RoleName: role }).resolves({
      Role: {
        RoleName: role,
        RoleId: `AROA${role.length}EXAMPLE`,
        Arn: `arn:aws:iam::${ACCOUNT}:role/${role}`,
        Path: '/',
        CreateDate: new Date('2025-01-02'),
      },
    });
    iam.on(ListAttachedRolePoliciesCommand, { RoleName: role }).resolves({
      AttachedPolicies: [{ PolicyName: policy, PolicyArn: `arn:aws:iam::aws:policy/service-role/${policy}` }],
      IsTruncated: false,
    });
  }
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [DEFAULT_VPC] });
  ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });
  ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
  for (const spec of Object.values(QUOTAS)) {
    const value =
      spec.code === QUOTAS.vpcs.code || spec.code === QUOTAS.elasticIps.code ? 5 : spec.code === QUOTAS.interfaceEndpoints.code ? 50 : 25;
    quotas
      .on(GetServiceQuotaCommand, { ServiceCode: spec.service, QuotaCode: spec.code })
      .resolves({ Quota: { ServiceCode: spec.service, QuotaCode: spec.code, QuotaName: spec.name, Value: value, Adjustable: true } });
  }
  redshift.on(ListNamespacesCommand).resolves({ namespaces: [] });
  redshift.on(ListWorkgroupsCommand).resolves({ workgroups: [] });
  rds.on(DescribeCertificatesCommand).resolves({ DefaultCertificateForNewLaunches: 'rds-ca-rsa2048-g1', Certificates: CERTIFICATES });
  lakeFormation.on(GetDataLakeSettingsCommand).resolves({ DataLakeSettings: DEPLOYED_SETTINGS });
  s3.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' });
  s3.on(HeadObjectCommand).resolves({
    ContentLength: 184_233,
    ETag: '"5d41402abc4b2a76b9719d911017c592"',
    LastModified: new Date('2026-05-01'),
  });
}

beforeEach(readyAccount);

const failing = (r: CheckResult): string => `${r.ok} ${r.evidence} | ${r.fix ?? ''}`;

describe('account', () => {
  test('passes when the credentials are for the configured account', async () => {
    const r = await checkAccount(ctx());
    expect(r).toMatchObject({ id: 'account', ok: true });
    expect(r.evidence).toContain(`credentials are for ${ACCOUNT}`);
  });

  test('fails when the credentials are for another account, naming both', async () => {
    const r = await checkAccount(
      ctx({ identity: { account: '999988887777', arn: 'arn:aws:sts::999988887777:assumed-role/x/y', userId: 'u' } }),
    );
    expect(r.ok).toBe(false);
    expect(r.evidence).toBe(`credentials are for 999988887777 (arn:aws:sts::999988887777:assumed-role/x/y); dev deploys to ${ACCOUNT}`);
    expect(r.fix).toContain(`Use credentials for account ${ACCOUNT}`);
  });

  test.each(['111111111111', '222222222222', '000000000000', '123456789012'])(
    'fails on the placeholder %s even if STS agrees',
    async (id) => {
      const r = await checkAccount(ctx({ target: { ...TARGET, accountId: id }, identity: { account: id, arn: CALLER.Arn, userId: '' } }));
      expect(r.ok).toBe(false);
      expect(r.evidence).toContain(`accountId ${id} is a documentation placeholder`);
      expect(r.fix).toMatch(/Set dev's accountId in the config .* to the real account id/);
    },
  );

  test('placeholders are one repeated digit or 123456789012, nothing else', () => {
    expect(['111111111111', '999999999999', '123456789012'].every(isPlaceholderAccount)).toBe(true);
    expect(['111122223333', '123456789013', '11111111111'].some(isPlaceholderAccount)).toBe(false);
  });
});

describe('deploy-role', () => {
  test('passes for a session of the configured role', async () => {
    expect(await checkDeployRole(ctx())).toMatchObject({
      ok: true,
      evidence: `caller ${CALLER.Arn} is the deploy role unicornhealth-deploy`,
    });
  });

  test('matches a role with a path by its name', async () => {
    const target = { ...TARGET, deployRoleArn: `arn:aws:iam::${ACCOUNT}:role/ci/unicornhealth-deploy` };
    expect((await checkDeployRole(ctx({ target }))).ok).toBe(true);
  });

  test('fails for another role, with the assume-role command as the fix', async () => {
    const identity = {
      account: ACCOUNT,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_0123/alice`,
      userId: 'x',
    };
    const r = await checkDeployRole(ctx({ identity }));
    expect(r.ok).toBe(false);
    expect(r.evidence).toContain('caller is role AWSReservedSSO_AdministratorAccess_0123');
    expect(r.fix).toContain(`aws sts assume-role --role-arn ${DEPLOY_ROLE}`);
    expect(r.fix).toContain('Lake Formation admin');
  });

  test('fails for an IAM user', async () => {
    const r = await checkDeployRole(ctx({ identity: { account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/alice`, userId: 'AIDA' } }));
    expect(r).toMatchObject({ ok: false, evidence: `caller arn:aws:iam::${ACCOUNT}:user/alice is an IAM user, not unicornhealth-deploy` });
  });

  test('fails when the configured deploy role is not a role ARN', async () => {
    const r = await checkDeployRole(ctx({ target: { ...TARGET, deployRoleArn: `arn:aws:iam::${ACCOUNT}:group/deployers` } }));
    expect(r.ok).toBe(false);
    expect(r.fix).toContain('never groups');
  });
});

describe('lake-admins', () => {
  test('passes when every user exists with an MFA device', async () => {
    expect(await checkLakeAdministrators(ctx())).toMatchObject({ ok: true, evidence: 'lake-admin: 1 MFA device' });
  });

  test('a user that does not exist (NoSuchEntity) fails naming the user', async () => {
    iam.on(GetUserCommand, { UserName: 'ghost' }).rejects(noSuchEntity('user with name ghost'));
    const r = await checkLakeAdministrators(ctx({ target: { ...TARGET, lakeAdministratorUsers: ['lake-admin', 'ghost'] } }));
    expect(r.ok).toBe(false);
    expect(r.evidence).toBe('lake-admin: 1 MFA device; ghost: no such IAM user');
    expect(r.fix).toContain('Create the IAM user ghost (aws iam create-user --user-name ghost)');
  });

  test('a user without MFA fails with how to assign a device', async () => {
    iam.on(ListMFADevicesCommand, { UserName: 'lake-admin' }).resolves({ MFADevices: [], IsTruncated: false });
    const r = await checkLakeAdministrators(ctx());
    expect(r).toMatchObject({ ok: false, evidence: 'lake-admin: 0 MFA devices' });
    expect(r.fix).toContain('Assign an MFA device to lake-admin');
  });

  test('MFA devices on a later page count (the paginator follows the marker)', async () => {
    iam
      .on(ListMFADevicesCommand, { UserName: 'lake-admin' })
      .resolvesOnce({ MFADevices: [], IsTruncated: true, Marker: 'page-2' })
      .resolves({
        MFADevices: [{ UserName: 'lake-admin', SerialNumber: 'arn:aws:iam::1:mfa/key', EnableDate: new Date() }],
        IsTruncated: false,
      });
    expect((await checkLakeAdministrators(ctx())).ok).toBe(true);
    expect(iam.commandCalls(ListMFADevicesCommand)[1].args[0].input).toMatchObject({ Marker: 'page-2' });
  });

  test('no configured users is a warning', async () => {
    expect((await checkLakeAdministrators(ctx({ target: { ...TARGET, lakeAdministratorUsers: [] } }))).ok).toBe('warning');
  });
});

describe('dms-roles', () => {
  test('passes when both roles have their managed policies', async () => {
    expect(await checkDmsRoles(ctx())).toMatchObject({
      ok: true,
      evidence: 'dms-vpc-role: AmazonDMSVPCManagementRole; dms-cloudwatch-logs-role: AmazonDMSCloudWatchLogsRole',
    });
  });

  test('missing roles fail: the account baseline must be deployed first', async () => {
    iam.on(GetRoleCommand, { RoleName: 'dms-vpc-role' }).rejects(noSuchEntity('role with name dms-vpc-role'));
    const r = await checkDmsRoles(ctx());
    expect(r.ok).toBe(false);
    expect(r.evidence).toContain('dms-vpc-role: missing');
    expect(r.fix).toContain('Deploy the account baseline stack unicornhealth-account-dev first: it creates dms-vpc-role');
  });

  test('missing roles pass where this environment stack creates them', async () => {
    iam.on(GetRoleCommand).rejects(noSuchEntity('role'));
    const r = await checkDmsRoles(ctx({ target: { ...TARGET, dmsRolesCreatedBy: 'environment-stack' } }));
    expect(r.ok).toBe(true);
    expect(r.evidence).toContain('unicornhealth-dev creates them on deploy');
  });

  test('a role without its managed policy fails with the attach command', async () => {
    iam
      .on(ListAttachedRolePoliciesCommand, { RoleName: 'dms-cloudwatch-logs-role' })
      .resolves({ AttachedPolicies: [], IsTruncated: false });
    const r = await checkDmsRoles(ctx());
    expect(r.ok).toBe(false);
    expect(r.evidence).toContain('dms-cloudwatch-logs-role: no managed policy, not AmazonDMSCloudWatchLogsRole');
    expect(r.fix).toContain(
      'aws iam attach-role-policy --role-name dms-cloudwatch-logs-role --policy-arn arn:aws:iam::aws:policy/service-role/AmazonDMSCloudWatchLogsRole',
    );
  });
});

describe('quotas', () => {
  test('passes with the numbers: used, what the stack adds, the quota', async () => {
    const r = await checkQuotas(ctx());
    expect(r.ok).toBe(true);
    expect(r.evidence).toContain('VPCs per Region (vpc/L-F678F1CE): 1 used + 1 new of 5');
    expect(r.evidence).toContain('Interface VPC endpoints per VPC in the new unicornhealth-dev VPC (vpc/L-29B6F2EB): 0 used + 6 new of 50');
    expect(r.evidence).toContain('Redshift Serverless workgroups (redshift-serverless/L-51089E7F): 0 used + 1 new of 25');
    expect(r.evidence).not.toContain('Elastic IPs');
  });

  test('a new VPC beyond the quota fails with the increase request', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [DEFAULT_VPC, ...[1, 2, 3, 4].map((i) => ({ VpcId: `vpc-${i}`, IsDefault: false }))] });
    const r = await checkQuotas(ctx());
    expect(r.ok).toBe(false);
    expect(r.evidence).toContain('VPCs per Region (vpc/L-F678F1CE): 5 used + 1 new of 5');
    expect(r.fix).toBe(
      'VPCs per Region: free 1 or request an increase before deploying: aws service-quotas request-service-quota-increase --region us-east-1 --service-code vpc --quota-code L-F678F1CE --desired-value 6',
    );
  });

  test('a full region passes once the stack VPC exists: it adds nothing, and its endpoints are counted', async () => {
    const ours = { VpcId: 'vpc-0ours', IsDefault: false, Tags: [{ Key: 'Name', Value: 'unicornhealth-dev' }] };
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [DEFAULT_VPC, ours, ...[1, 2, 3].map((i) => ({ VpcId: `vpc-${i}` }))] });
    ec2.on(DescribeVpcEndpointsCommand).resolves({
      VpcEndpoints: ['kms', 'sts', 'execute-api'].map((s, i) => ({
        VpcEndpointId: `vpce-${i}`,
        ServiceName: `com.amazonaws.us-east-1.${s}`,
      })),
    });
    const r = await checkQuotas(ctx());
    expect(failing(r)).toMatch(/^true /);
    expect(r.evidence).toContain('VPCs per Region (vpc/L-F678F1CE): 5 used + 0 new of 5');
    expect(r.evidence).toContain('Interface VPC endpoints per VPC in vpc-0ours (vpc/L-29B6F2EB): 3 used + 4 new of 50');
    expect(ec2.commandCalls(DescribeVpcEndpointsCommand)[0].args[0].input.Filters).toEqual([
      { Name: 'vpc-id', Values: ['vpc-0ours'] },
      { Name: 'vpc-endpoint-type', Values: ['Interface'] },
    ]);
  });

  test('Elastic IPs count only with a NAT gateway, and fail when the NAT address does not fit', async () => {
    ec2
      .on(DescribeAddressesCommand)
      .resolves({ Addresses: [1, 2, 3, 4, 5].map((i) => ({ AllocationId: `eipalloc-${i}`, Domain: 'vpc' as const })) });
    const r = await checkQuotas(ctx({ target: { ...TARGET, network: { ...TARGET.network, natGateway: true } } }));
    expect(r.ok).toBe(false);
    expect(r.evidence).toContain('EC2-VPC Elastic IPs (ec2/L-0263D0A3): 5 used + 1 new of 5');
    expect(r.fix).toContain('--service-code ec2 --quota-code L-0263D0A3 --desired-value 6');
  });

  test('a quota without an applied value falls back to the AWS default, then to the quota of that name', async () => {
    const missing = new NoSuchResourceException({
      message: 'The request failed because the specified quota does not exist.',
      $metadata: {},
    });
    quotas.on(GetServiceQuotaCommand, { QuotaCode: QUOTAS.vpcs.code }).rejects(missing);
    quotas
      .on(GetAWSDefaultServiceQuotaCommand, { QuotaCode: QUOTAS.vpcs.code })
      .resolves({ Quota: { QuotaCode: QUOTAS.vpcs.code, QuotaName: 'VPCs per Region', Value: 5 } });
    quotas.on(GetServiceQuotaCommand, { QuotaCode: QUOTAS.serverlessWorkgroups.code }).rejects(missing);
    quotas.on(GetAWSDefaultServiceQuotaCommand, { QuotaCode: QUOTAS.serverlessWorkgroups.code }).rejects(missing);
    quotas.on(ListServiceQuotasCommand, { ServiceCode: 'redshift-serverless' }).resolves({
      Quotas: [
        { QuotaCode: 'L-AAAA1111', QuotaName: 'Serverless Namespaces', Value: 25 },
        { QuotaCode: 'L-BBBB2222', QuotaName: 'Serverless Workgroups', Value: 30 },
      ],
    });
    const r = await checkQuotas(ctx());
    expect(r.ok).toBe(true);
    expect(r.evidence).toContain('VPCs per Region (vpc/L-F678F1CE): 1 used + 1 new of 5');
    expect(r.evidence).toContain('Redshift Serverless workgroups (redshift-serverless/L-51089E7F): 0 used + 1 new of 30');
  });

  test('a quota Service Quotas does not know is a warning, not a pass', async () => {
    const missing = new NoSuchResourceException({ message: 'no such quota', $metadata: {} });
    quotas.on(GetServiceQuotaCommand, { QuotaCode: QUOTAS.interfaceEndpoints.code }).rejects(missing);
    quotas.on(GetAWSDefaultServiceQuotaCommand, { QuotaCode: QUOTAS.interfaceEndpoints.code }).rejects(missing);
    quotas.on(ListServiceQuotasCommand).resolves({ Quotas: [] });
    const r = await checkQuotas(ctx());
    expect(r.ok).toBe('warning');
    expect(r.evidence).toContain('0 used + 6 new of unknown');
    expect(r.fix).toContain('vpc/L-29B6F2EB');
  });
});

describe('rds-ca', () => {
  test('passes for an offered CA that is valid, naming the region bundle', async () => {
    const r = await checkRdsCa(ctx());
    expect(r.ok).toBe(true);
    expect(r.evidence).toBe(
      'rds-ca-rsa2048-g1 offered in us-east-1, valid 2021-05-25 to 2061-05-25 (default for new launches: rds-ca-rsa2048-g1); ' +
        'bundle https://truststore.pki.rds.amazonaws.com/us-east-1/us-east-1-bundle.pem',
    );
  });

  test('a CA the region does not offer fails, listing those it does and the bundles', async () => {
    const r = await checkRdsCa(ctx({ target: { ...TARGET, rdsCaIdentifier: 'rds-ca-2019' } }));
    expect(r.ok).toBe(false);
    expect(r.evidence).toBe('us-east-1 does not offer rds-ca-2019 (offered: rds-ca-ecc384-g1, rds-ca-rsa2048-g1, rds-ca-rsa4096-g1)');
    expect(r.fix).toContain('https://truststore.pki.rds.amazonaws.com/us-east-1/us-east-1-bundle.pem');
    expect(r.fix).toContain('https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem');
  });

  test('an expired CA fails', async () => {
    const r = await checkRdsCa(ctx({ now: new Date('2062-01-01T00:00:00Z') }));
    expect(r.ok).toBe(false);
    expect(r.evidence).toContain('rds-ca-rsa2048-g1 expired on 2061-05-25');
    expect(r.fix).toContain('us-east-1-bundle.pem');
  });

  test('a CA that expires within 180 days is a warning', async () => {
    const r = await checkRdsCa(ctx({ now: new Date('2061-03-01T00:00:00Z') }));
    expect(r.ok).toBe('warning');
    expect(r.evidence).toContain('expires in 85 days');
  });
});

describe('lake-formation', () => {
  test('passes with the configured admins and no IAMAllowedPrincipals', async () => {
    const r = await checkLakeFormation(ctx());
    expect(r.ok).toBe(true);
    expect(r.evidence).toBe(
      `DataLakeAdmins: ${LAKE_ADMIN_ROLE}, ${DEPLOY_ROLE}; CreateDatabaseDefaultPermissions: empty; CreateTableDefaultPermissions: empty`,
    );
  });

  test('IAM_ALLOWED_PRINCIPALS re-enabled by hand fails with how to remove it', async () => {
    lakeFormation
      .on(GetDataLakeSettingsCommand)
      .resolves({ DataLakeSettings: { ...DEPLOYED_SETTINGS, CreateTableDefaultPermissions: IAM_ALLOWED } });
    const r = await checkLakeFormation(ctx());
    expect(r.ok).toBe(false);
    expect(r.evidence).toContain('CreateTableDefaultPermissions: IAM_ALLOWED_PRINCIPALS');
    expect(r.fix).toContain('CreateTableDefaultPermissions grants IAM_ALLOWED_PRINCIPALS');
    expect(r.fix).toContain('the provider drops empty lists');
    expect(r.fix).toContain('aws lakeformation put-data-lake-settings --region us-east-1');
  });

  test('a configured admin missing from DataLakeAdmins fails', async () => {
    lakeFormation.on(GetDataLakeSettingsCommand).resolves({
      DataLakeSettings: { ...DEPLOYED_SETTINGS, DataLakeAdmins: [{ DataLakePrincipalIdentifier: LAKE_ADMIN_ROLE }] },
    });
    const r = await checkLakeFormation(ctx());
    expect(r.ok).toBe(false);
    expect(r.fix).toContain(`${DEPLOY_ROLE} is not a data-lake admin: deploy the account baseline stack unicornhealth-account-dev`);
  });

  test('the AWS defaults (before the first baseline deploy) are a warning', async () => {
    lakeFormation.on(GetDataLakeSettingsCommand).resolves({ DataLakeSettings: AWS_DEFAULT_SETTINGS });
    const r = await checkLakeFormation(ctx());
    expect(r.ok).toBe('warning');
    expect(r.evidence).toContain('still the AWS defaults');
    expect(r.fix).toContain('The first deploy of the account baseline stack unicornhealth-account-dev');
  });
});

describe('drift', () => {
  const PLAN_CHANGES = [
    'aws_db_instance.database_instance_1A2B3C4D: Refreshing state... [id=db-ABCDEFGHIJKLMNOP]',
    '',
    'Terraform will perform the following actions:',
    '',
    'Plan: 1 to add, 2 to change, 0 to destroy.',
  ].join('\n');

  test('in sync: plan exit 0', async () => {
    const r = await checkDrift(ctx());
    expect(r.ok).toBe(true);
    expect(r.evidence).toContain('in sync');
    expect(planned).toEqual(['cdktf.out/stacks/unicornhealth-dev']);
    expect(s3.commandCalls(HeadObjectCommand)[0].args[0].input).toEqual({
      Bucket: `unicornhealth-tfstate-${ACCOUNT}`,
      Key: 'unicornhealth/dev/terraform.tfstate',
    });
  });

  test('changes: plan exit 2 reports the summary line as a warning', async () => {
    const r = await checkDrift(ctx({ runPlan: fakePlan({ exitCode: 2, stdout: PLAN_CHANGES, stderr: '' }) }));
    expect(r.ok).toBe('warning');
    expect(r.evidence).toBe(
      `1 to add, 2 to change, 0 to destroy (terraform -chdir=cdktf.out/stacks/unicornhealth-dev plan against s3://unicornhealth-tfstate-${ACCOUNT}/unicornhealth/dev/terraform.tfstate)`,
    );
    expect(r.fix).toContain('changed resources by hand');
  });

  test('destroys in the plan point at the stateful-destroy guard', async () => {
    const stdout = 'Plan: 1 to import, 0 to add, 0 to change, 3 to destroy.';
    const r = await checkDrift(ctx({ runPlan: fakePlan({ exitCode: 2, stdout, stderr: '' }) }));
    expect(r.evidence).toMatch(/^1 to import, 0 to add, 0 to change, 3 to destroy/);
    expect(r.fix).toContain('3 to destroy: check npm run plan:summary');
  });

  test('a plan error (exit 1) fails with the error, and says to init when that is the cause', async () => {
    const stderr = [
      '╷',
      '│ Error: Backend initialization required, please run "terraform init"',
      '│',
      '│ Reason: Initial configuration of the requested backend "s3"',
      '╵',
    ].join('\n');
    const r = await checkDrift(ctx({ runPlan: fakePlan({ exitCode: 1, stdout: '', stderr }) }));
    expect(r.ok).toBe(false);
    expect(r.evidence).toContain('failed (exit 1): Error: Backend initialization required');
    expect(r.fix).toBe('Run terraform -chdir=cdktf.out/stacks/unicornhealth-dev init -input=false, then npm run preflight again.');
  });

  test('no state object yet: skipped, terraform not run', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'UnknownError', $metadata: { httpStatusCode: 404 } }));
    const r = await checkDrift(ctx());
    expect(r.ok).toBe('skipped');
    expect(r.evidence).toContain('has not been deployed');
    expect(planned).toEqual([]);
  });

  test('state but no synthesized stack: skipped, saying to run npm run synth', async () => {
    const r = await checkDrift(ctx({ exists: () => false }));
    expect(r.ok).toBe('skipped');
    expect(r.fix).toContain('npm run synth');
    expect(planned).toEqual([]);
  });

  test('a missing state bucket fails: bootstrap it first', async () => {
    s3.on(HeadBucketCommand).rejects(new NotFound({ message: 'UnknownError', $metadata: { httpStatusCode: 404 } }));
    const r = await checkDrift(ctx());
    expect(r.ok).toBe(false);
    expect(r.fix).toContain(`aws s3api create-bucket --bucket unicornhealth-tfstate-${ACCOUNT}`);
  });

  test('a local backend is skipped', async () => {
    expect((await checkDrift(ctx({ target: { ...TARGET, state: undefined } }))).ok).toBe('skipped');
  });
});

describe('runPreflight', () => {
  const run = (skip?: CheckId[]) =>
    runPreflight({ target: TARGET, clients, runPlan: ctx().runPlan, exists: () => true, now: NOW }, { skip });

  test('a ready account passes every check (exit 0)', async () => {
    const report = await run();
    expect(report.checks.filter((c) => c.ok !== true).map(failing)).toEqual([]);
    expect(report.checks.map((c) => c.id)).toEqual([
      'account',
      'deploy-role',
      'lake-admins',
      'dms-roles',
      'quotas',
      'rds-ca',
      'lake-formation',
      'drift',
    ]);
    expect(report).toMatchObject({ exitCode: 0, counts: { passed: 8, failed: 0, errors: 0 } });
  });

  test('AccessDenied on one check is an environment error for that check; the others still run (exit 3)', async () => {
    iam.on(GetUserCommand).rejects(accessDenied('iam:GetUser', 'user lake-admin'));
    const report = await run();
    const admins = report.checks.find((c) => c.id === 'lake-admins')!;
    expect(admins).toMatchObject({ ok: false, error: { kind: 'environment', code: 'AccessDenied' } });
    expect(admins.evidence).toContain('is not authorized to perform: iam:GetUser');
    expect(admins.fix).toContain(`Allow iam:GetUser, iam:ListMFADevices for ${CALLER.Arn}`);
    expect(report.checks.filter((c) => c.id !== 'lake-admins').every((c) => c.ok === true)).toBe(true);
    expect(report).toMatchObject({ exitCode: 3, counts: { passed: 7, errors: 1 } });
  });

  test.each([
    [
      'lake-formation',
      () =>
        lakeFormation
          .on(GetDataLakeSettingsCommand)
          .rejects(new LakeFormationAccessDenied({ message: 'Insufficient Lake Formation permission(s)', $metadata: {} })),
    ],
    [
      'quotas',
      () =>
        ec2.on(DescribeVpcsCommand).rejects(
          new EC2ServiceException({
            name: 'UnauthorizedOperation',
            $fault: 'client',
            message: 'You are not authorized to perform this operation.',
            $metadata: {},
          }),
        ),
    ],
    [
      'drift',
      () =>
        s3
          .on(HeadObjectCommand)
          .rejects(
            new S3ServiceException({ name: 'Forbidden', $fault: 'client', message: 'UnknownError', $metadata: { httpStatusCode: 403 } }),
          ),
    ],
  ])('a refused %s call is reported on that check only', async (id, refuse) => {
    refuse();
    const report = await run();
    expect(report.checks.filter((c) => c.error).map((c) => [c.id, c.error!.kind])).toEqual([[id, 'environment']]);
    expect(report.exitCode).toBe(3);
  });

  test('a failed check wins over a refused one (exit 1)', async () => {
    iam.on(GetUserCommand).rejects(accessDenied('iam:GetUser', 'user lake-admin'));
    lakeFormation
      .on(GetDataLakeSettingsCommand)
      .resolves({ DataLakeSettings: { ...DEPLOYED_SETTINGS, CreateDatabaseDefaultPermissions: IAM_ALLOWED } });
    expect((await run()).exitCode).toBe(1);
  });

  test('another account: the account check fails and the checks that read the account are skipped, not run', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ ...CALLER, Account: '999988887777', Arn: 'arn:aws:sts::999988887777:assumed-role/unicornhealth-deploy/s' });
    const report = await run();
    expect(report.checks.map((c) => [c.id, c.ok])).toEqual([
      ['account', false],
      ['deploy-role', false],
      ['lake-admins', 'skipped'],
      ['dms-roles', 'skipped'],
      ['quotas', 'skipped'],
      ['rds-ca', 'skipped'],
      ['lake-formation', 'skipped'],
      ['drift', 'skipped'],
    ]);
    expect(iam.calls()).toHaveLength(0);
    expect(report.exitCode).toBe(1);
  });

  test('--skip leaves checks out, and warnings do not fail the run', async () => {
    lakeFormation.on(GetDataLakeSettingsCommand).resolves({ DataLakeSettings: AWS_DEFAULT_SETTINGS });
    const report = await run(['drift', 'quotas']);
    expect(report.checks.filter((c) => c.ok === 'skipped').map((c) => [c.id, c.evidence])).toEqual([
      ['quotas', 'skipped by --skip'],
      ['drift', 'skipped by --skip'],
    ]);
    expect(ec2.calls()).toHaveLength(0);
    expect(report).toMatchObject({ exitCode: 0, counts: { warnings: 1, skipped: 2 } });
  });

  test('no credentials: an environment error before any check', async () => {
    const error = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    sts.on(GetCallerIdentityCommand).rejects(error);
    await expect(run()).rejects.toMatchObject({
      kind: 'environment',
      exitCode: 3,
      message: expect.stringContaining('Could not load credentials'),
    });
  });
});
