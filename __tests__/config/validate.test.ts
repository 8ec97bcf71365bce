import { dev } from '../../config/environments';
import { ConfigError, assertValidConfig } from '../../config/validate';
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
      { migration: { replicationInstanceClass: 't3.micro' } },
      /migration.replicationInstanceClass "t3.micro" is not a DMS instance class/,
    ],
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
  ])('rejects %s', (_case, patch, message) => {
    const config = withConfig(dev, patch);
    expect(() => assertValidConfig(config)).toThrow(ConfigError);
    expect(() => assertValidConfig(config)).toThrow(message);
  });

  test('lists every problem at once, naming the environment', () => {
    const config = withConfig(dev, { accountId: 'x', network: { vpcCidr: 'nonsense' } });
    expect(() => assertValidConfig(config)).toThrow(
      /Invalid configuration for environment "dev":\n {2}- accountId[\s\S]*\n {2}- network.vpcCidr/,
    );
  });
});
