import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeAddressesCommand, EC2Client, Tag, paginateDescribeVpcEndpoints, paginateDescribeVpcs } from '@aws-sdk/client-ec2';
import { GetRoleCommand, GetUserCommand, IAMClient, paginateListAttachedRolePolicies, paginateListMFADevices } from '@aws-sdk/client-iam';
import { DataLakePrincipal, GetDataLakeSettingsCommand, LakeFormationClient, PrincipalPermissions } from '@aws-sdk/client-lakeformation';
import { Certificate, RDSClient, paginateDescribeCertificates } from '@aws-sdk/client-rds';
import { RedshiftServerlessClient, paginateListNamespaces, paginateListWorkgroups } from '@aws-sdk/client-redshift-serverless';
import { HeadBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ServiceQuotasClient,
  paginateListServiceQuotas,
} from '@aws-sdk/client-service-quotas';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { EnvironmentError, ErrorKind, asCliError } from '../cli/errors';
import { PlanRunner, describeSummary, parsePlanSummary, planError } from './plan';
import { DMS_ACCOUNT_ROLES, PreflightTarget } from './target';

/** Every check, by the short id `--skip` takes, in the order they run. */
export const CHECK_IDS = ['account', 'deploy-role', 'lake-admins', 'dms-roles', 'quotas', 'rds-ca', 'lake-formation', 'drift'] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/** Passed, failed, or neither: a warning (worth reading, not blocking) or skipped (with the reason as evidence). */
export type CheckStatus = boolean | 'skipped' | 'warning';

export interface CheckResult {
  readonly id: CheckId;
  readonly title: string;
  readonly ok: CheckStatus;
  /** What was found: the numbers, names and values the verdict rests on. */
  readonly evidence: string;
  /** On failure or warning: exactly what to do. */
  readonly fix?: string;
  /** The check could not run: AWS refused the call or could not be reached (`environment`), or answered unexpectedly. */
  readonly error?: { readonly kind: ErrorKind; readonly code?: string; readonly message: string };
}

/** The SDK clients the checks call, each made with `clientSettings(region)` (SDK retries, no loop of our own). */
export interface PreflightClients {
  readonly sts: STSClient;
  readonly iam: IAMClient;
  readonly ec2: EC2Client;
  readonly serviceQuotas: ServiceQuotasClient;
  readonly rds: RDSClient;
  readonly lakeFormation: LakeFormationClient;
  readonly redshiftServerless: RedshiftServerlessClient;
  /** S3 in the state bucket's region. */
  readonly stateS3: S3Client;
}

export interface Identity {
  readonly account: string;
  readonly arn: string;
  readonly userId: string;
}

export interface CheckContext {
  readonly target: PreflightTarget;
  readonly clients: PreflightClients;
  readonly identity: Identity;
  readonly runPlan: PlanRunner;
  /** Whether a local file exists (the synthesized stack). */
  readonly exists: (path: string) => boolean;
  readonly now: Date;
}

type Check = (ctx: CheckContext) => CheckResult | Promise<CheckResult>;

const TITLES: Record<CheckId, string> = {
  account: "credentials are for the environment's account",
  'deploy-role': 'caller is the configured deploy role',
  'lake-admins': 'lake administrators exist and have MFA',
  'dms-roles': 'DMS account roles with their managed policies',
  quotas: 'service quotas leave room for the stack',
  'rds-ca': 'RDS certificate authority is offered and valid',
  'lake-formation': 'Lake Formation: no IAMAllowedPrincipals, configured admins',
  drift: 'deployed stack matches its Terraform state',
};

/** IAM actions each check calls, named in the fix when AWS refuses one. */
const ACTIONS: Record<CheckId, readonly string[]> = {
  account: ['sts:GetCallerIdentity'],
  'deploy-role': ['sts:GetCallerIdentity'],
  'lake-admins': ['iam:GetUser', 'iam:ListMFADevices'],
  'dms-roles': ['iam:GetRole', 'iam:ListAttachedRolePolicies'],
  quotas: [
    'servicequotas:GetServiceQuota',
    'servicequotas:GetAWSDefaultServiceQuota',
    'servicequotas:ListServiceQuotas',
    'ec2:DescribeVpcs',
    'ec2:DescribeVpcEndpoints',
    'ec2:DescribeAddresses',
    'redshift-serverless:ListNamespaces',
    'redshift-serverless:ListWorkgroups',
  ],
  'rds-ca': ['rds:DescribeCertificates'],
  'lake-formation': ['lakeformation:GetDataLakeSettings'],
  drift: ['s3:ListBucket', 's3:GetObject', 'and the read permissions terraform plan needs'],
};

/** Checks that read account resources: meaningless in another account, so skipped when the account check fails. */
const NEEDS_THE_ACCOUNT: ReadonlySet<CheckId> = new Set(['lake-admins', 'dms-roles', 'quotas', 'rds-ca', 'lake-formation', 'drift']);

const result = (id: CheckId, ok: CheckStatus, evidence: string, fix?: string): CheckResult => ({
  id,
  title: TITLES[id],
  ok,
  evidence,
  ...(fix ? { fix } : {}),
});

const errorName = (error: unknown): string | undefined => (error as { name?: string } | undefined)?.name;
const httpStatus = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

/** A documentation-placeholder account id: one digit repeated (111111111111) or 123456789012. */
export const isPlaceholderAccount = (id: string): boolean => /^(\d)\1{11}$/.test(id) || id === '123456789012';

/** Who is calling: one STS call up front. Without an answer nothing else can run, so it is an environment error. */
export async function callerIdentity(sts: STSClient): Promise<Identity> {
  try {
    const { Account, Arn, UserId } = await sts.send(new GetCallerIdentityCommand({}));
    if (!Account || !Arn) throw new Error('STS GetCallerIdentity returned no account');
    return { account: Account, arn: Arn, userId: UserId ?? '' };
  } catch (error) {
    const failure = asCliError(error);
    throw new EnvironmentError(
      `cannot reach AWS with the current credentials: ${failure.message} (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, for the deploy role)`,
      { code: failure.details?.code ?? errorName(error) },
      { cause: error },
    );
  }
}

export const checkAccount: Check = ({ target, identity }) => {
  const configured = target.accountId;
  const where = `credentials are for ${identity.account} (${identity.arn})`;
  if (!/^\d{12}$/.test(configured) || isPlaceholderAccount(configured)) {
    return result(
      'account',
      false,
      `${target.environment}'s accountId ${configured} is ${isPlaceholderAccount(configured) ? 'a documentation placeholder' : 'not a 12-digit account id'}; ${where}`,
      `Set ${target.environment}'s accountId in the config (config/environments.ts, or config/accounts.ts where accounts are explicit) to the real account id; the provider's allowed_account_ids refuses any other account.`,
    );
  }
  if (identity.account !== configured) {
    return result(
      'account',
      false,
      `${where}; ${target.environment} deploys to ${configured}`,
      `Use credentials for account ${configured} (for example AWS_PROFILE of a profile that assumes ${target.deployRoleArn}), or correct ${target.environment}'s accountId if ${identity.account} is the right account.`,
    );
  }
  return result('account', true, `${where}, the account of ${target.environment}`);
};

const ROLE_ARN = /^arn:[^:]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const ASSUMED_ROLE_ARN = /^arn:[^:]+:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;

export const checkDeployRole: Check = ({ target, identity }) => {
  const expected = ROLE_ARN.exec(target.deployRoleArn);
  if (!expected) {
    return result(
      'deploy-role',
      false,
      `governance.deployRoleArn "${target.deployRoleArn}" is not an IAM role ARN`,
      'Set governance.deployRoleArn to the ARN of the role that deploys (arn:aws:iam::<account>:role/<name>); Lake Formation admins are users or roles, never groups.',
    );
  }
  const [, roleAccount, roleName] = expected;
  const assume = `aws sts assume-role --role-arn ${target.deployRoleArn} --role-session-name preflight (or a profile with role_arn = ${target.deployRoleArn})`;
  const why =
    'Terraform makes Lake Formation grants, which only a Lake Formation admin may make, and the settings name this role as admin.';
  const caller = ASSUMED_ROLE_ARN.exec(identity.arn);
  if (!caller) {
    const kind = /:root$/.test(identity.arn) ? 'the root user' : /:user\//.test(identity.arn) ? 'an IAM user' : 'not an assumed role';
    return result('deploy-role', false, `caller ${identity.arn} is ${kind}, not ${roleName}`, `Run as the deploy role: ${assume}. ${why}`);
  }
  const [, callerAccount, callerRole, session] = caller;
  if (callerRole !== roleName || callerAccount !== roleAccount) {
    return result(
      'deploy-role',
      false,
      `caller is role ${callerRole} in ${callerAccount} (session ${session}); the deploy role is ${roleName} in ${roleAccount}`,
      `Run as the deploy role: ${assume}. ${why}`,
    );
  }
  return result('deploy-role', true, `caller ${identity.arn} is the deploy role ${roleName}`);
};

export const checkLakeAdministrators: Check = async ({ target, clients }) => {
  const users = target.lakeAdministratorUsers;
  if (users.length === 0) {
    return result(
      'lake-admins',
      'warning',
      'governance.lakeAdministratorUsers is empty: nobody can assume the lake-admin role',
      'Name the existing IAM users who run the lake in governance.lakeAdministratorUsers.',
    );
  }
  const missing: string[] = [];
  const withoutMfa: string[] = [];
  const found: string[] = [];
  for (const user of users) {
    try {
      await clients.iam.send(new GetUserCommand({ UserName: user }));
    } catch (error) {
      if (errorName(error) !== 'NoSuchEntityException' && errorName(error) !== 'NoSuchEntity') throw error;
      missing.push(user);
      continue;
    }
    const pages = await collect(paginateListMFADevices({ client: clients.iam }, { UserName: user }));
    const devices = pages.reduce((n, page) => n + (page.MFADevices?.length ?? 0), 0);
    if (devices === 0) withoutMfa.push(user);
    found.push(`${user}: ${devices} MFA device${devices === 1 ? '' : 's'}`);
  }
  const evidence = [...found, ...missing.map((user) => `${user}: no such IAM user`)].join('; ');
  const fixes = [
    ...(missing.length > 0
      ? [
          `Create the IAM user${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (aws iam create-user --user-name ${missing[0]}) or remove ${missing.length > 1 ? 'them' : 'it'} from governance.lakeAdministratorUsers: the LakeAdministrators membership refuses unknown users.`,
        ]
      : []),
    ...(withoutMfa.length > 0
      ? [
          `Assign an MFA device to ${withoutMfa.join(', ')} (IAM console > Users > ${withoutMfa[0]} > Security credentials > Assign MFA device): LakeAdministrators may assume the lake-admin role only with MFA.`,
        ]
      : []),
  ];
  return result('lake-admins', fixes.length === 0, evidence, fixes.join(' ') || undefined);
};

/** The stack that owns the account-wide singletons, for fix texts. */
const baseline = (target: PreflightTarget): string =>
  `${target.singletons.owner === 'account-baseline' ? 'the account baseline stack' : 'the environment stack'} ${target.singletons.stack}`;

export const checkDmsRoles: Check = async ({ target, clients }) => {
  const missing: string[] = [];
  const withoutPolicy: { role: string; policyArn: string }[] = [];
  const found: string[] = [];
  for (const { role, policy } of DMS_ACCOUNT_ROLES) {
    let arn: string;
    try {
      arn = (await clients.iam.send(new GetRoleCommand({ RoleName: role }))).Role?.Arn ?? '';
    } catch (error) {
      if (errorName(error) !== 'NoSuchEntityException' && errorName(error) !== 'NoSuchEntity') throw error;
      missing.push(role);
      continue;
    }
    const pages = await collect(paginateListAttachedRolePolicies({ client: clients.iam }, { RoleName: role }));
    const attached = pages.flatMap((page) => page.AttachedPolicies ?? []);
    const has = attached.some((p) => p.PolicyName === policy || (p.PolicyArn ?? '').endsWith(`/${policy}`));
    const partition = /^arn:([^:]+):/.exec(arn)?.[1] ?? 'aws';
    if (!has) withoutPolicy.push({ role, policyArn: `arn:${partition}:iam::aws:policy/service-role/${policy}` });
    found.push(`${role}: ${has ? policy : `${attached.map((p) => p.PolicyName).join(', ') || 'no managed policy'}, not ${policy}`}`);
  }
  const evidence = [...found, ...missing.map((role) => `${role}: missing`)].join('; ');
  if (withoutPolicy.length > 0) {
    return result(
      'dms-roles',
      false,
      evidence,
      `${withoutPolicy.map((w) => `aws iam attach-role-policy --role-name ${w.role} --policy-arn ${w.policyArn}`).join('; ')} ` +
        '(DMS looks these roles up by name and needs exactly these policies).',
    );
  }
  if (missing.length === 0) return result('dms-roles', true, evidence);
  if (target.dmsRolesCreatedBy === 'environment-stack') {
    return result('dms-roles', true, `${evidence}; ${target.stackName} creates them on deploy (migration.createServiceRoles)`);
  }
  return result(
    'dms-roles',
    false,
    evidence,
    target.dmsRolesCreatedBy === 'account-baseline'
      ? `Deploy ${baseline(target)} first: it creates ${missing.join(' and ')} (account-wide roles DMS looks up by name), then the environment stack.`
      : `Nothing creates ${missing.join(' and ')} (migration.createServiceRoles is false): set it true so ${target.stackName} creates them, or deploy the account baseline stack that owns them first.`,
  );
};

/**
 * The quotas the stack can run into, by Service Quotas code. Sources: "Amazon VPC quotas"
 * (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html) for vpc/L-F678F1CE (VPCs per Region,
 * default 5) and vpc/L-29B6F2EB (Interface VPC endpoints per VPC, default 50); "Amazon EC2 service quotas"
 * (https://docs.aws.amazon.com/general/latest/gr/ec2-service.html) for ec2/L-0263D0A3 (EC2-VPC Elastic IPs, default 5);
 * "Quotas and limits in Amazon Redshift" (https://docs.aws.amazon.com/redshift/latest/mgmt/amazon-redshift-limits.html)
 * for the Redshift Serverless namespaces and workgroups (default 25 each; codes as listed by
 * `aws service-quotas list-service-quotas --service-code redshift-serverless`). A code Service Quotas does not know
 * is looked up by name instead, so a renamed code degrades to a lookup, not a failure.
 */
export const QUOTAS = {
  vpcs: { service: 'vpc', code: 'L-F678F1CE', name: 'VPCs per Region', pattern: /^VPCs per Region$/i },
  interfaceEndpoints: {
    service: 'vpc',
    code: 'L-29B6F2EB',
    name: 'Interface VPC endpoints per VPC',
    pattern: /^Interface VPC endpoints per VPC$/i,
  },
  elasticIps: { service: 'ec2', code: 'L-0263D0A3', name: 'EC2-VPC Elastic IPs', pattern: /^EC2-VPC Elastic IPs$/i },
  serverlessNamespaces: {
    service: 'redshift-serverless',
    code: 'L-96772D74',
    name: 'Redshift Serverless namespaces',
    pattern: /namespaces/i,
  },
  serverlessWorkgroups: {
    service: 'redshift-serverless',
    code: 'L-51089E7F',
    name: 'Redshift Serverless workgroups',
    pattern: /workgroups/i,
  },
} as const;

type QuotaSpec = (typeof QUOTAS)[keyof typeof QUOTAS];

/** The account's value of a quota: the applied value, else the AWS default, else the quota of that name. */
async function quotaValue(client: ServiceQuotasClient, spec: QuotaSpec): Promise<number | undefined> {
  const key = { ServiceCode: spec.service, QuotaCode: spec.code };
  for (const lookup of [() => client.send(new GetServiceQuotaCommand(key)), () => client.send(new GetAWSDefaultServiceQuotaCommand(key))]) {
    try {
      const value = (await lookup()).Quota?.Value;
      if (value !== undefined) return value;
    } catch (error) {
      if (errorName(error) !== 'NoSuchResourceException') throw error;
    }
  }
  for await (const page of paginateListServiceQuotas({ client }, { ServiceCode: spec.service })) {
    const quota = (page.Quotas ?? []).find((q) => spec.pattern.test(q.QuotaName ?? ''));
    if (quota?.Value !== undefined) return quota.Value;
  }
  return undefined;
}

interface QuotaUse {
  readonly spec: QuotaSpec;
  readonly used: number;
  /** What the stack would add to `used`. */
  readonly adds: number;
  readonly limit?: number;
  readonly scope?: string;
}

const nameTag = (tags: readonly Tag[] | undefined): string | undefined => tags?.find((t) => t.Key === 'Name')?.Value;

export const checkQuotas: Check = async ({ target, clients }) => {
  const uses: QuotaUse[] = [];
  const sq = clients.serviceQuotas;

  const vpcs = (await collect(paginateDescribeVpcs({ client: clients.ec2 }, {}))).flatMap((page) => page.Vpcs ?? []);
  const ours = vpcs.find((vpc) => nameTag(vpc.Tags) === target.stackName);
  uses.push({ spec: QUOTAS.vpcs, used: vpcs.length, adds: ours ? 0 : 1, limit: await quotaValue(sq, QUOTAS.vpcs) });

  const wanted = new Set(target.network.interfaceEndpoints.map((service) => `com.amazonaws.${target.region}.${service}`));
  const endpoints = ours?.VpcId
    ? (
        await collect(
          paginateDescribeVpcEndpoints(
            { client: clients.ec2 },
            {
              Filters: [
                { Name: 'vpc-id', Values: [ours.VpcId] },
                { Name: 'vpc-endpoint-type', Values: ['Interface'] },
              ],
            },
          ),
        )
      ).flatMap((page) => page.VpcEndpoints ?? [])
    : [];
  const present = endpoints.filter((e) => wanted.has(e.ServiceName ?? '')).length;
  uses.push({
    spec: QUOTAS.interfaceEndpoints,
    used: endpoints.length,
    adds: wanted.size - present,
    limit: await quotaValue(sq, QUOTAS.interfaceEndpoints),
    scope: ours?.VpcId ?? `the new ${target.stackName} VPC`,
  });

  if (target.network.natGateway) {
    const { Addresses } = await clients.ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'domain', Values: ['vpc'] }] }));
    const addresses = Addresses ?? [];
    const natAddress = addresses.some((a) => nameTag(a.Tags) === `${target.stackName}-nat`);
    uses.push({
      spec: QUOTAS.elasticIps,
      used: addresses.length,
      adds: natAddress ? 0 : 1,
      limit: await quotaValue(sq, QUOTAS.elasticIps),
    });
  }

  if (target.warehouseName) {
    const name = target.warehouseName;
    const namespaces = (await collect(paginateListNamespaces({ client: clients.redshiftServerless }, {}))).flatMap(
      (p) => p.namespaces ?? [],
    );
    const workgroups = (await collect(paginateListWorkgroups({ client: clients.redshiftServerless }, {}))).flatMap(
      (p) => p.workgroups ?? [],
    );
    uses.push({
      spec: QUOTAS.serverlessNamespaces,
      used: namespaces.length,
      adds: namespaces.some((n) => n.namespaceName === name) ? 0 : 1,
      limit: await quotaValue(sq, QUOTAS.serverlessNamespaces),
    });
    uses.push({
      spec: QUOTAS.serverlessWorkgroups,
      used: workgroups.length,
      adds: workgroups.some((w) => w.workgroupName === name) ? 0 : 1,
      limit: await quotaValue(sq, QUOTAS.serverlessWorkgroups),
    });
  }

  const describe = (u: QuotaUse): string =>
    `${u.spec.name}${u.scope ? ` in ${u.scope}` : ''} (${u.spec.service}/${u.spec.code}): ${u.used} used + ${u.adds} new of ${u.limit ?? 'unknown'}`;
  const over = uses.filter((u) => u.limit !== undefined && u.adds > 0 && u.used + u.adds > u.limit);
  const unknown = uses.filter((u) => u.limit === undefined);
  const evidence = uses.map(describe).join('; ');
  if (over.length > 0) {
    return result(
      'quotas',
      false,
      evidence,
      over
        .map(
          (u) =>
            `${u.spec.name}: free ${u.used + u.adds - u.limit!} or request an increase before deploying: aws service-quotas request-service-quota-increase --region ${target.region} --service-code ${u.spec.service} --quota-code ${u.spec.code} --desired-value ${u.used + u.adds}`,
        )
        .join('; '),
    );
  }
  if (unknown.length > 0) {
    return result(
      'quotas',
      'warning',
      evidence,
      `Service Quotas returned no value for ${unknown.map((u) => `${u.spec.service}/${u.spec.code}`).join(', ')}: look them up in the Service Quotas console before deploying.`,
    );
  }
  return result('quotas', true, evidence);
};

const DAY_MS = 24 * 3600 * 1000;
/** A CA that expires sooner than this is a warning: rotate before the servers' certificates stop verifying. */
export const CA_EXPIRY_WARNING_DAYS = 180;

/** The CA bundles `npm run seed` and `npm run smoke` verify the RDS server with (`--ca-bundle`). */
export const caBundles = (region: string): { regional: string; global: string } => ({
  regional: `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`,
  global: 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem',
});

export const checkRdsCa: Check = async ({ target, clients, now }) => {
  const pages = await collect(paginateDescribeCertificates({ client: clients.rds }, {}));
  const certificates: Certificate[] = pages.flatMap((page) => page.Certificates ?? []);
  const defaultCa = pages.find((page) => page.DefaultCertificateForNewLaunches)?.DefaultCertificateForNewLaunches;
  const id = target.rdsCaIdentifier;
  const bundles = caBundles(target.region);
  const verify = `seed and smoke verify the server with --ca-bundle (${bundles.regional}, or ${bundles.global})`;
  const offered = [...new Set(certificates.map((c) => c.CertificateIdentifier).filter(Boolean))].join(', ');
  const ca = certificates.find((c) => c.CertificateIdentifier === id);
  if (!ca) {
    return result(
      'rds-ca',
      false,
      `${target.region} does not offer ${id} (offered: ${offered || 'none'})`,
      `Set the database's caCertIdentifier to a CA ${target.region} offers (aws rds describe-certificates --region ${target.region}); ${verify}.`,
    );
  }
  const till = ca.ValidTill;
  const validity = `${ca.ValidFrom?.toISOString().slice(0, 10) ?? '?'} to ${till?.toISOString().slice(0, 10) ?? '?'}`;
  const evidence = `${id} offered in ${target.region}, valid ${validity}${defaultCa ? ` (default for new launches: ${defaultCa})` : ''}; bundle ${bundles.regional}`;
  if (!till || till.getTime() <= now.getTime()) {
    return result(
      'rds-ca',
      false,
      `${id} expired on ${till?.toISOString().slice(0, 10) ?? 'an unknown date'} (offered: ${offered})`,
      `Move the database to a current CA (caCertIdentifier, for example ${defaultCa ?? 'rds-ca-rsa2048-g1'}) and apply; ${verify}.`,
    );
  }
  const daysLeft = Math.floor((till.getTime() - now.getTime()) / DAY_MS);
  if (daysLeft < CA_EXPIRY_WARNING_DAYS) {
    return result(
      'rds-ca',
      'warning',
      `${evidence}; expires in ${daysLeft} days`,
      `Plan the move to a newer CA (caCertIdentifier) before ${till.toISOString().slice(0, 10)}; ${verify}.`,
    );
  }
  return result('rds-ca', true, evidence);
};

const IAM_ALLOWED_PRINCIPALS = 'IAM_ALLOWED_PRINCIPALS';
const grantsIamAllowedPrincipals = (permissions: readonly PrincipalPermissions[] | undefined): boolean =>
  (permissions ?? []).some((p) => p.Principal?.DataLakePrincipalIdentifier === IAM_ALLOWED_PRINCIPALS);
const principals = (list: readonly DataLakePrincipal[] | undefined): string[] =>
  (list ?? []).map((p) => p.DataLakePrincipalIdentifier ?? '').filter(Boolean);

export const checkLakeFormation: Check = async ({ target, clients }) => {
  const { DataLakeSettings: settings = {} } = await clients.lakeFormation.send(new GetDataLakeSettingsCommand({}));
  const admins = principals(settings.DataLakeAdmins);
  const onDatabases = grantsIamAllowedPrincipals(settings.CreateDatabaseDefaultPermissions);
  const onTables = grantsIamAllowedPrincipals(settings.CreateTableDefaultPermissions);
  const evidence = [
    `DataLakeAdmins: ${admins.join(', ') || 'none'}`,
    `CreateDatabaseDefaultPermissions: ${principals((settings.CreateDatabaseDefaultPermissions ?? []).map((p) => p.Principal ?? {})).join(', ') || 'empty'}`,
    `CreateTableDefaultPermissions: ${principals((settings.CreateTableDefaultPermissions ?? []).map((p) => p.Principal ?? {})).join(', ') || 'empty'}`,
  ].join('; ');
  if (admins.length === 0 && onDatabases && onTables) {
    return result(
      'lake-formation',
      'warning',
      `${evidence}: still the AWS defaults (nothing has set the Lake Formation settings yet)`,
      `The first deploy of ${baseline(target)} names ${target.lakeFormationAdmins.join(' and ')} as admins and empties both lists; run preflight again after it.`,
    );
  }
  const fixes: string[] = [];
  if (onDatabases || onTables) {
    const lists = [onDatabases && 'CreateDatabaseDefaultPermissions', onTables && 'CreateTableDefaultPermissions']
      .filter(Boolean)
      .join(' and ');
    fixes.push(
      `${lists} grant${onDatabases && onTables ? '' : 's'} IAM_ALLOWED_PRINCIPALS, re-enabled by hand: Terraform cannot see it (the provider drops empty lists). ` +
        'Clear "Use only IAM access control for new databases/tables" in the Lake Formation console (Administration > Data Catalog settings), ' +
        `or: aws lakeformation get-data-lake-settings --region ${target.region} --query DataLakeSettings > settings.json, set both lists to [], ` +
        `aws lakeformation put-data-lake-settings --region ${target.region} --data-lake-settings file://settings.json. ` +
        'Revoke IAM_ALLOWED_PRINCIPALS from databases and tables created meanwhile.',
    );
  }
  const missing = target.lakeFormationAdmins.filter((arn) => !admins.includes(arn));
  if (missing.length > 0) {
    fixes.push(
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not a data-lake admin: deploy ${baseline(target)}, which sets DataLakeAdmins (admins added by hand are removed by that apply).`,
    );
  }
  return result('lake-formation', fixes.length === 0, evidence, fixes.join(' ') || undefined);
};

export const checkDrift: Check = async ({ target, clients, runPlan, exists }) => {
  const state = target.state;
  if (!state)
    return result('drift', 'skipped', `${target.environment} has no stateBackend (local state): drift is checked on the S3 state only`);
  const url = `s3://${state.bucket}/${state.key}`;
  const denied = (error: unknown): boolean =>
    httpStatus(error) === 403 || ['Forbidden', 'AccessDenied', 'AccessDeniedException'].includes(errorName(error) ?? '');
  const accessDenied = (what: string, error: unknown): EnvironmentError =>
    new EnvironmentError(
      `access to ${what} was refused: allow s3:ListBucket and s3:GetObject on it`,
      { code: 'AccessDenied' },
      { cause: error },
    );
  try {
    await clients.stateS3.send(new HeadBucketCommand({ Bucket: state.bucket }));
  } catch (error) {
    if (denied(error)) throw accessDenied(`s3://${state.bucket}`, error);
    if (httpStatus(error) !== 404 && errorName(error) !== 'NotFound' && errorName(error) !== 'NoSuchBucket') throw error;
    return result(
      'drift',
      false,
      `the state bucket s3://${state.bucket} does not exist (${state.region})`,
      `Bootstrap it once per account before the first deploy (README, Deploying, step 1): aws s3api create-bucket --bucket ${state.bucket} --region ${state.region}, then versioning, default encryption and Block Public Access.`,
    );
  }
  try {
    await clients.stateS3.send(new HeadObjectCommand({ Bucket: state.bucket, Key: state.key }));
  } catch (error) {
    if (denied(error)) throw accessDenied(url, error);
    if (httpStatus(error) !== 404 && errorName(error) !== 'NotFound' && errorName(error) !== 'NoSuchKey') throw error;
    return result('drift', 'skipped', `no state at ${url} yet: ${target.stackName} has not been deployed, nothing can drift`);
  }
  if (!exists(join(target.stackDirectory, 'cdk.tf.json'))) {
    return result(
      'drift',
      'skipped',
      `${url} exists, but ${target.stackDirectory} has not been synthesized`,
      'Run npm run synth (and terraform init in that folder), then npm run preflight again to compare the deployed stack with its state.',
    );
  }
  const outcome = await runPlan(target.stackDirectory);
  const command = `terraform -chdir=${target.stackDirectory} plan`;
  if (outcome.exitCode === 0) {
    const outside = /Objects have changed outside of Terraform/.test(outcome.stdout);
    return result(
      'drift',
      true,
      `in sync: ${command} found no changes against ${url}${outside ? ' (some objects changed outside Terraform, with nothing to apply)' : ''}`,
    );
  }
  if (outcome.exitCode === 2) {
    const summary = parsePlanSummary(outcome.stdout);
    const changes = summary ? describeSummary(summary) : 'output values change only';
    return result(
      'drift',
      'warning',
      `${changes} (${command} against ${url})`,
      `Review ${command}: either the code has changes not yet deployed (the next deploy applies them) or someone changed resources by hand (revert it or bring it into the code)${summary && summary.destroy > 0 ? `; ${summary.destroy} to destroy: check npm run plan:summary for stateful resources` : ''}.`,
    );
  }
  const message = planError(outcome);
  const needsInit = /terraform init|Backend initialization required|Required plugins are not installed|Module not installed/i.test(message);
  return result(
    'drift',
    false,
    `${command} failed (exit ${outcome.exitCode}): ${message}`,
    needsInit
      ? `Run terraform -chdir=${target.stackDirectory} init -input=false, then npm run preflight again.`
      : `Fix the error above (run ${command} to see it in full), then npm run preflight again.`,
  );
};

/** The checks in the order they run. */
export const CHECKS: readonly { readonly id: CheckId; readonly run: Check }[] = [
  { id: 'account', run: checkAccount },
  { id: 'deploy-role', run: checkDeployRole },
  { id: 'lake-admins', run: checkLakeAdministrators },
  { id: 'dms-roles', run: checkDmsRoles },
  { id: 'quotas', run: checkQuotas },
  { id: 'rds-ca', run: checkRdsCa },
  { id: 'lake-formation', run: checkLakeFormation },
  { id: 'drift', run: checkDrift },
];

export interface PreflightDependencies {
  readonly target: PreflightTarget;
  readonly clients: PreflightClients;
  readonly runPlan: PlanRunner;
  /** @default fs.existsSync */
  readonly exists?: (path: string) => boolean;
  /** @default the current time */
  readonly now?: Date;
}

export interface PreflightReport {
  readonly environment: string;
  readonly region: string;
  readonly accountId: string;
  readonly caller: Identity;
  readonly checks: readonly CheckResult[];
  readonly counts: {
    readonly passed: number;
    readonly failed: number;
    readonly errors: number;
    readonly warnings: number;
    readonly skipped: number;
  };
  /** 0 every check passed (warnings and skips allowed), 1 a check failed, 3 only AWS refusals kept checks from running. */
  readonly exitCode: 0 | 1 | 3;
}

/** A check that threw: reported as that check's error, so the others still run. */
function errored(id: CheckId, error: unknown, identity: Identity): CheckResult {
  const failure = asCliError(error);
  const code = (failure.details?.code as string | undefined) ?? errorName(error);
  const refused = failure.kind === 'environment';
  return {
    ...result(
      id,
      false,
      `could not check: ${failure.message}`,
      refused
        ? `Allow ${ACTIONS[id].join(', ')} for ${identity.arn} (the deploy role needs them to plan anyway), or run as the deploy role.`
        : 'Run again with --debug for the stack trace; report it if it persists.',
    ),
    error: { kind: failure.kind, message: failure.message, ...(code ? { code } : {}) },
  };
}

/**
 * Runs every check not skipped, in order, each on its own: a check that throws (AWS refuses a call) is reported as
 * that check's error and the others still run. The caller's identity comes first; without it nothing runs.
 */
export async function runPreflight(
  deps: PreflightDependencies,
  options: { readonly skip?: readonly CheckId[]; readonly onCheck?: (id: CheckId, title: string) => void } = {},
): Promise<PreflightReport> {
  const identity = await callerIdentity(deps.clients.sts);
  const ctx: CheckContext = {
    target: deps.target,
    clients: deps.clients,
    identity,
    runPlan: deps.runPlan,
    exists: deps.exists ?? existsSync,
    now: deps.now ?? new Date(),
  };
  const checks: CheckResult[] = [];
  for (const { id, run } of CHECKS) {
    if (options.skip?.includes(id)) {
      checks.push(result(id, 'skipped', 'skipped by --skip'));
      continue;
    }
    const account = checks.find((c) => c.id === 'account');
    if (NEEDS_THE_ACCOUNT.has(id) && account && account.ok === false) {
      checks.push(result(id, 'skipped', `not run: the account check failed (${account.evidence})`));
      continue;
    }
    options.onCheck?.(id, TITLES[id]);
    try {
      checks.push(await run(ctx));
    } catch (error) {
      checks.push(errored(id, error, identity));
    }
  }
  const count = (predicate: (c: CheckResult) => boolean): number => checks.filter(predicate).length;
  const counts = {
    passed: count((c) => c.ok === true),
    failed: count((c) => c.ok === false && !c.error),
    errors: count((c) => c.ok === false && Boolean(c.error)),
    warnings: count((c) => c.ok === 'warning'),
    skipped: count((c) => c.ok === 'skipped'),
  };
  const unexpected = count((c) => c.error !== undefined && c.error.kind !== 'environment');
  const exitCode = counts.failed > 0 || unexpected > 0 ? 1 : counts.errors > 0 ? 3 : 0;
  return {
    environment: deps.target.environment,
    region: deps.target.region,
    accountId: deps.target.accountId,
    caller: identity,
    checks,
    counts,
    exitCode,
  };
}
