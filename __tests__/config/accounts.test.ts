import {
  accountRoleArn,
  accounts,
  baselineStateKey,
  environmentStateKey,
  nonprodAccount,
  prodAccount,
  stateBucketName,
} from '../../config/accounts';
import { dev, environments, prod } from '../../config/environments';
import { accountProblems, platformProblems } from '../../config/validate';

describe('the accounts', () => {
  test.each(accounts.map((a) => [a.name, a] as const))('%s is valid', (_name, account) => {
    expect(accountProblems(account)).toEqual([]);
  });

  test('dev and prod live in two accounts, each declared once', () => {
    expect(dev.account).toBe(nonprodAccount.name);
    expect(prod.account).toBe(prodAccount.name);
    expect(new Set(accounts.map((a) => a.id)).size).toBe(accounts.length);
  });

  test('what follows from an account id is derived: the state bucket and the role ARNs', () => {
    expect(stateBucketName('unicornhealth', '111111111111')).toBe('unicornhealth-tfstate-111111111111');
    expect(nonprodAccount.stateBackend).toEqual({ bucket: 'unicornhealth-tfstate-111111111111', region: 'us-east-1' });
    expect(accountRoleArn(prodAccount, 'unicornhealth-deploy')).toBe('arn:aws:iam::222222222222:role/unicornhealth-deploy');
  });

  test('the baseline and each environment keep their state under their own key of the account’s bucket', () => {
    expect(baselineStateKey(nonprodAccount)).toBe('unicornhealth/account/terraform.tfstate');
    expect(environmentStateKey(dev)).toBe('unicornhealth/dev/terraform.tfstate');
  });

  test('a baseline is tagged with its account, never with an environment (the policy checks tell baselines by it)', () => {
    for (const account of accounts) {
      expect(account.tags.Account).toBe(account.name);
      expect(account.tags).not.toHaveProperty('Environment');
    }
  });

  test('the accounts and environments together are valid', () => {
    expect(platformProblems({ accounts, environments })).toEqual([]);
  });
});
