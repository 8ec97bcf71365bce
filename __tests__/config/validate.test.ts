import { nonprodAccount, prodAccount } from '../../config/accounts';
import { dev, prod } from '../../config/environments';
import {
  ConfigError,
  DMS_CHANGE_BATCH_MINUTES,
  PlatformConfig,
  accountIdWarnings,
  accountProblems,
  assertValidConfig,
  isPlaceholderAccountId,
  assertValidPlatform,
  configProblems,
  platformProblems,
  rateMinutes,
} from '../../config/validate';
import { CDC_MAX_BATCH_INTERVAL_SECONDS } from '../../stacks/constructs/migration';
import { withConfig } from '../helpers/synth';

describe('environment configuration', () => {
  test.each([
    ['a CIDR that is not one', { network: { vpcCidr: '10.20.0.0/33' } }, /network.vpcCidr "10.20.0.0\/33" is not an IPv4 CIDR/],
    ['a CIDR with host bits', { network: { vpcCidr: '10.20.1.0/16' } }, /has host bits set; the network address is 10.20.0.0\/16/],
    ['a public CIDR', { network: { vpcCidr: '8.8.0.0/16' } }, /is not in a private range/],
    ['a CIDR too small for the subnets', { network: { vpcCidr: '10.20.0.0/24' } }, /must have a prefix from \/16 to \/20/],
    ['one AZ', { network: { availabilityZones: ['us-east-1a'] } }, /lists 1 AZ\(s\); at least 2 are needed/],
    ['duplicate AZs', { network: { availabilityZones: ['us-east-1a', 'us-east-1a'] } }, /availabilityZones has duplicates/],
    ['an AZ of another region', { network: { availabilityZones: ['us-east-1a', 'eu-west-1b'] } }, /"eu-west-1b" is not an AZ of us-east-1/],
    [
      'an RDS class without the db. prefix',
      { database: { instanceClass: 't4g.micro' } },
      /database.instanceClass "t4g.micro" is not an RDS instance class/,
    ],
    ['an RDS class of unknown size', { database: { instanceClass: 'db.t4g.huge' } }, /is not an RDS instance class/],
    [
      'an access-host type of unknown shape',
      { network: { accessHost: { enabled: true, instanceType: 'nano' } } },
      /accessHost.instanceType "nano" is not an EC2 instance type/,
    ],
    ['storage below the gp3 minimum', { database: { allocatedStorageGiB: 10 } }, /below the gp3 minimum of 20/],
    ['an autoscaling ceiling not above the start', { database: { maxAllocatedStorageGiB: 20 } }, /must exceed allocatedStorageGiB/],
    ['backups shorter than 7 days', { database: { backupRetentionDays: 3 } }, /backupRetentionDays 3 must be from 7 to 35/],
    [
      'a log retention CloudWatch does not offer',
      { logRetentionDays: 500 },
      /logRetentionDays 500 is not a CloudWatch Logs retention value/,
    ],
    ['a log retention under a year', { logRetentionDays: 90 }, /below the 365 days/],
    ['a bad account id', { accountId: '1234' }, /accountId "1234" must be 12 digits/],
    ['a bad region', { region: 'useast1' }, /region "useast1" is not an AWS region name/],
    [
      'force-destroy with deletion protection',
      { storage: { forceDestroyBuckets: true }, database: { deletionProtection: true } },
      /forceDestroyBuckets cannot be true/,
    ],
    ['a bad state bucket name', { stateBackend: { bucket: 'Bad_Bucket', region: 'us-east-1' } }, /stateBackend.bucket "Bad_Bucket"/],
    ['a non-positive budget', { monthlyBudgetUsd: 0 }, /monthlyBudgetUsd 0 must be positive/],
    [
      'a DMS class of unknown shape',
      {
        migration: {
          capacity: { kind: 'instance' as const, replicationInstanceClass: 't3.micro', allocatedStorageGiB: 20, multiAz: false },
        },
      },
      /migration.capacity.replicationInstanceClass "t3.micro" is not a DMS instance class/,
    ],
    [
      'a DMS Serverless capacity that is no DCU count',
      { migration: { capacity: { kind: 'serverless' as const, minCapacityUnits: 3, maxCapacityUnits: 2, multiAz: false } } },
      /minCapacityUnits 3 is not a DMS capacity unit count[\s\S]*minCapacityUnits 3 exceeds maxCapacityUnits 2/,
    ],
    [
      'DMS Serverless with change capture',
      {
        migration: {
          mode: 'full-load-and-cdc' as const,
          capacity: { kind: 'serverless' as const, minCapacityUnits: 1, maxCapacityUnits: 1, multiAz: false },
        },
      },
      /serverless is for full loads only/,
    ],
    [
      'interface endpoints in more AZs than there are',
      { network: { interfaceEndpointAzCount: 4 } },
      /interfaceEndpointAzCount 4 must be a whole number from 1 to the 3/,
    ],
    ['a negative usage', { usage: { releasesPerMonth: -1 } }, /usage.releasesPerMonth -1 must be a number >= 0/],
    [
      'a group as Lake Formation admin',
      { governance: { deployRoleArn: 'arn:aws:iam::111111111111:group/LakeAdministrators' } },
      /never groups/,
    ],
    [
      'an analyst principal that is a user',
      { governance: { analystTrustedPrincipalArns: ['arn:aws:iam::111111111111:user/bob'] } },
      /is not an account root or role ARN/,
    ],
    ['an Athena cutoff below 10 MB', { analytics: { bytesScannedCutoffPerQuery: 1000 } }, /below Athena's 10 MB minimum/],
    ['Redshift base capacity not a multiple of 8', { warehouse: { baseRpu: 12 } }, /warehouse.baseRpu 12 must be 8 to 512 in steps of 8/],
    [
      'a Redshift ceiling below the base',
      { warehouse: { baseRpu: 16, maxRpu: 8 } },
      /warehouse.maxRpu 8 must be a multiple of 8 no lower than baseRpu/,
    ],
    ['no alert address', { alertEmails: [] }, /alertEmails must name at least one address/],
    [
      'a CA bundle that is not a PEM file',
      { migration: { sourceCaBundleFile: 'certs/bundle.crt' } },
      /migration.sourceCaBundleFile "certs\/bundle.crt" must be the path of a PEM file/,
    ],
    [
      'a change log moved to Standard-IA sooner than S3 allows',
      { lake: { changeLog: { infrequentAccessAfterDays: 7 } } },
      /lake.changeLog.infrequentAccessAfterDays 7 is below the 30 days S3 requires before Standard-IA/,
    ],
    [
      'a change log archived less than 30 days after Standard-IA',
      { lake: { changeLog: { infrequentAccessAfterDays: 30, glacierAfterDays: 45 } } },
      /lake.changeLog.glacierAfterDays 45 must be at least 30 days after infrequentAccessAfterDays \(30\)/,
    ],
    [
      'a change log deleted before its last transition',
      { lake: { changeLog: { infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 60 } } },
      /lake.changeLog.expireAfterDays 60 must come after the last storage-class transition \(day 90\)/,
    ],
    [
      'a change log kept a fraction of a day',
      { lake: { changeLog: { expireAfterDays: 400.5 } } },
      /lake.changeLog.expireAfterDays must be a whole number/,
    ],
    [
      'a change log deleted before six years where the data is kept',
      { database: { deletionProtection: true }, storage: { forceDestroyBuckets: false }, lake: { changeLog: { expireAfterDays: 365 } } },
      /lake.changeLog.expireAfterDays 365 deletes the change log, the audit trail of the clinic's data, before six years \(2192 days\) in an environment that keeps its data; set expiryBeforeSixYearsAccepted: true/,
    ],
    [
      'a merge on a cron schedule: the staleness alarm needs a period',
      { lake: { merge: { schedule: 'cron(*/10 * * * ? *)' } } },
      /lake.merge.schedule "cron\(\*\/10 \* \* \* \? \*\)" must be a rate expression/,
    ],
    [
      'a merge rate in a unit Scheduler does not spell so',
      { lake: { merge: { schedule: 'rate(10 minute)' } } },
      /must be a rate expression/,
    ],
    [
      'a merge too rare for one alarm to watch',
      { lake: { merge: { schedule: 'rate(57 hours)' } } },
      /is longer than 3360 minutes: three periods exceed the seven days/,
    ],
    [
      'a maintenance schedule that is no expression',
      { lake: { merge: { maintenanceSchedule: 'daily at 4' } } },
      /lake.merge.maintenanceSchedule "daily at 4" is not an EventBridge Scheduler/,
    ],
    [
      'a merge cutoff below 10 MB',
      { lake: { merge: { bytesScannedCutoffPerQuery: 1000 } } },
      /lake.merge.bytesScannedCutoffPerQuery 1000 is below Athena's 10 MB minimum/,
    ],
    [
      'a freshness target in fractions of a minute',
      { lake: { merge: { freshnessTargetMinutes: 14.5 } } },
      /lake.merge.freshnessTargetMinutes 14.5 must be a whole number of minutes/,
    ],
  ])('rejects %s', (_case, patch, message) => {
    const config = withConfig(dev, patch);
    expect(() => assertValidConfig(config)).toThrow(ConfigError);
    expect(() => assertValidConfig(config)).toThrow(message);
  });

  test('a change log may be kept for ever, or deleted before six years where that is explicitly accepted', () => {
    const keepsData = withConfig(dev, { database: { deletionProtection: true }, storage: { forceDestroyBuckets: false } });
    const withChangeLog = (changeLog: typeof dev.lake.changeLog): typeof dev => ({ ...keepsData, lake: { ...dev.lake, changeLog } });
    expect(configProblems(withChangeLog({ infrequentAccessAfterDays: 30 }))).toEqual([]);
    expect(
      configProblems(withChangeLog({ infrequentAccessAfterDays: 30, expireAfterDays: 365, expiryBeforeSixYearsAccepted: true })),
    ).toEqual([]);
    expect(configProblems(prod)).toEqual([]);
  });

  test('with change capture, a merge schedule that cannot meet the freshness target is refused', () => {
    const config = withConfig(prod, { lake: { merge: { schedule: 'rate(15 minutes)' } } });
    expect(() => assertValidConfig(config)).toThrow(
      /lake.merge.schedule "rate\(15 minutes\)" cannot meet lake.merge.freshnessTargetMinutes 15: a change can wait 1 minute for DMS's change batch and 15 minutes for the next merge/,
    );
  });

  test('with full loads only, the smoke run merges after the load: a daily merge is valid, up to what one alarm can watch', () => {
    expect(dev.migration.mode).toBe('full-load');
    expect(configProblems(withConfig(dev, { lake: { merge: { schedule: 'rate(1 day)' } } }))).toEqual([]);
    expect(configProblems(withConfig(dev, { lake: { merge: { schedule: 'rate(56 hours)' } } }))).toEqual([]);
    expect(configProblems(withConfig(dev, { lake: { merge: { schedule: 'rate(3 days)' } } }))).toEqual([
      'lake.merge.schedule "rate(3 days)" is longer than 3360 minutes: three periods exceed the seven days a CloudWatch alarm can evaluate',
    ]);
  });

  test('a slower merge schedule is valid with a freshness target it can meet', () => {
    expect(configProblems(withConfig(dev, { lake: { merge: { schedule: 'rate(30 minutes)', freshnessTargetMinutes: 45 } } }))).toEqual([]);
  });

  test("the freshness arithmetic counts DMS's change batch as the migration sets it", () => {
    expect(DMS_CHANGE_BATCH_MINUTES * 60).toBe(CDC_MAX_BATCH_INTERVAL_SECONDS);
  });

  test.each([
    ['rate(10 minutes)', 10],
    ['rate(1 minute)', 1],
    ['rate(2 hours)', 120],
    ['rate(1 day)', 1440],
    ['rate(1 minutes)', undefined],
    ['cron(0 * * * ? *)', undefined],
  ])('the schedule %s runs every %p minutes', (expression, minutes) => {
    expect(rateMinutes(expression)).toBe(minutes);
  });

  test('lists every problem at once, naming the environment', () => {
    const config = withConfig(dev, { accountId: 'x', network: { vpcCidr: 'nonsense' } });
    expect(() => assertValidConfig(config)).toThrow(
      /Invalid configuration for environment "dev":\n {2}- accountId[\s\S]*\n {2}- network.vpcCidr/,
    );
  });
});

describe('placeholder account ids: valid, so tests and offline plans run, but warned about at synth', () => {
  test.each([
    ['111111111111', true],
    ['222222222222', true],
    ['123456789012', true],
    ['710928374651', false],
    ['111111111112', false],
  ])('%s is a documentation placeholder: %p', (id, placeholder) => {
    expect(isPlaceholderAccountId(id)).toBe(placeholder);
  });

  test('the shipped accounts are placeholders, and validation still accepts them (the preflight refuses them)', () => {
    expect([nonprodAccount.id, prodAccount.id].every(isPlaceholderAccountId)).toBe(true);
    expect(accountProblems(nonprodAccount)).toEqual([]);
  });

  test('the warning names the placeholder, the file and setting to change, and what refuses it', () => {
    expect(accountIdWarnings('stack unicornhealth-dev', '111111111111', 'config/accounts.ts (account "nonprod")')).toEqual([
      'stack unicornhealth-dev uses the placeholder account id 111111111111: set the real 12-digit id in config/accounts.ts (account "nonprod") before deploying (the provider\'s allowed_account_ids refuses every other account, and npm run preflight fails until it is set)',
    ]);
    expect(accountIdWarnings('stack x', '710928374651', 'anywhere')).toEqual([]);
  });
});

describe('account configuration', () => {
  test.each([
    ['a name with a dash', { name: 'non-prod' }, /name "non-prod" must be 2-12 lower-case letters or digits/],
    ['an id that is not 12 digits', { id: '12345', stateBackend: undefined }, /id "12345" must be 12 digits/],
    ['a bad region', { region: 'east' }, /region "east" is not an AWS region name/],
    ['a deploy role name IAM refuses', { deployRoleName: 'deploy role' }, /deployRoleName "deploy role" is not an IAM role name/],
    ['a plan role name IAM refuses', { planRoleName: 'plan/role' }, /planRoleName "plan\/role" is not an IAM role name/],
    ['an administrator that is not a user name', { lakeAdministratorUsers: ['alice', 'bob smith'] }, /"bob smith" is not an IAM user name/],
    ['an administrator twice', { lakeAdministratorUsers: ['alice', 'alice'] }, /lakeAdministratorUsers has duplicates/],
    [
      'a state bucket of another account',
      { stateBackend: { bucket: 'unicornhealth-tfstate-222222222222', region: 'us-east-1' } },
      /stateBackend.bucket "unicornhealth-tfstate-222222222222" does not derive from the account: its state bucket is "unicornhealth-tfstate-111111111111"/,
    ],
  ])('rejects %s', (_case, patch, message) => {
    expect(accountProblems({ ...nonprodAccount, ...patch })).toEqual([expect.stringMatching(message)]);
  });
});

describe('platform configuration (accounts and environments together)', () => {
  const staging = withConfig(dev, {
    name: 'staging',
    network: { vpcCidr: '10.21.0.0/16' },
    tags: { Environment: 'staging' },
  });
  const problemsWith = (platform: Partial<PlatformConfig>): string[] =>
    platformProblems({ accounts: [nonprodAccount, prodAccount], environments: [dev, staging, prod], ...platform });

  test('two environments in one account with their own VPC ranges are valid', () => {
    expect(problemsWith({})).toEqual([]);
  });

  test.each([
    [
      'two declarations of one account: two baselines would own its singletons',
      { accounts: [nonprodAccount, prodAccount, { ...prodAccount, name: 'prod2', stateBackend: undefined }] },
      /accounts "prod" and "prod2" are both account 222222222222: two baselines would own its Lake Formation settings/,
    ],
    [
      'one account name twice',
      { accounts: [nonprodAccount, prodAccount, { ...prodAccount, id: '333333333333', stateBackend: undefined }] },
      /account name "prod" is declared more than once/,
    ],
    [
      'one environment name twice',
      { environments: [dev, staging, prod, { ...prod, network: { ...prod.network, vpcCidr: '10.40.0.0/16' }, stateBackend: undefined }] },
      /environment name "prod" is declared more than once/,
    ],
    [
      'overlapping VPC ranges in one account',
      { environments: [dev, withConfig(staging, { network: { vpcCidr: '10.20.128.0/20' } }), prod] },
      /environments "dev" \(10.20.0.0\/16\) and "staging" \(10.20.128.0\/20\) share account 111111111111 and their VPC CIDRs overlap/,
    ],
    [
      'a state key taken twice in one bucket',
      { environments: [dev, withConfig(staging, { name: 'account' }), prod] },
      /account "nonprod" and environment "account" would share the state s3:\/\/unicornhealth-tfstate-111111111111\/unicornhealth\/account\/terraform.tfstate/,
    ],
    [
      'an environment in an undeclared account',
      { environments: [dev, { ...staging, account: 'sandbox' }, prod] },
      /environment "staging": account "sandbox" is not declared \(accounts: nonprod, prod\)/,
    ],
    [
      'a deploy role of another account',
      {
        environments: [
          dev,
          withConfig(staging, { governance: { deployRoleArn: 'arn:aws:iam::222222222222:role/unicornhealth-deploy' } }),
          prod,
        ],
      },
      /environment "staging": governance.deployRoleArn "arn:aws:iam::222222222222:role\/unicornhealth-deploy" does not derive from account "nonprod"/,
    ],
    [
      'a state bucket of another account',
      {
        environments: [
          dev,
          withConfig(staging, { stateBackend: { bucket: 'unicornhealth-tfstate-222222222222', region: 'us-east-1' } }),
          prod,
        ],
      },
      /environment "staging": stateBackend.bucket "unicornhealth-tfstate-222222222222" does not derive from account "nonprod"/,
    ],
    [
      'an account id that is not the account’s',
      { environments: [dev, withConfig(staging, { accountId: '222222222222' }), prod] },
      /environment "staging": accountId "222222222222" is not the id of account "nonprod"/,
    ],
    [
      'a region that is not the account’s',
      {
        environments: [
          dev,
          withConfig(staging, { region: 'us-west-2', network: { availabilityZones: ['us-west-2a', 'us-west-2b'] } }),
          prod,
        ],
      },
      /environment "staging": region "us-west-2" is not the region of account "nonprod"/,
    ],
  ])('rejects %s', (_case, platform, message) => {
    expect(problemsWith(platform)).toEqual([expect.stringMatching(message)]);
  });

  test('the same VPC range in two accounts is fine: the VPCs never meet', () => {
    expect(problemsWith({ environments: [dev, staging, withConfig(prod, { network: { vpcCidr: dev.network.vpcCidr } })] })).toEqual([]);
  });

  test('reports every problem at once, each naming its account or environment', () => {
    const platform = {
      accounts: [{ ...nonprodAccount, id: 'x' }, prodAccount],
      environments: [withConfig(dev, { network: { vpcCidr: 'nonsense' } }), prod],
    };
    expect(() => assertValidPlatform(platform)).toThrow(ConfigError);
    expect(() => assertValidPlatform(platform)).toThrow(
      /^Invalid configuration for the platform:\n {2}- account "nonprod": id "x" must be 12 digits\n[\s\S]*- environment "dev": network.vpcCidr "nonsense"[\s\S]*- environment "dev": accountId "111111111111" is not the id of account "nonprod"/,
    );
  });
});
