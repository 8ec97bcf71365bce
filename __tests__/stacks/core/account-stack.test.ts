import { AnnotationMetadataEntryType, Testing } from 'cdktf';
import { AccountStack, AccountStackProps } from '../../../stacks/core/account-stack';
import { SynthesizedStack } from '../../helpers/synth';

describe('AccountStack', () => {
  const props: AccountStackProps = {
    accountName: 'nonprod',
    accountId: '111111111111',
    region: 'us-east-1',
    tags: { Project: 'UnicornHealth' },
    stateBackend: { bucket: 'unicornhealth-tfstate-111111111111', region: 'us-east-1' },
    stateKey: 'unicornhealth/test/terraform.tfstate',
  };
  const build = (overrides: Partial<AccountStackProps> = {}): SynthesizedStack =>
    new SynthesizedStack(new AccountStack(Testing.app(), 'uh-test', { ...props, ...overrides }));
  const warningsOf = (synthesized: SynthesizedStack): string[] =>
    synthesized.stack.node.metadata.filter((m) => m.type === String(AnnotationMetadataEntryType.WARN)).map((m) => String(m.data));

  test('a placeholder account id synthesizes, with a warning that names the id and where to set the real one', () => {
    expect(warningsOf(build())).toEqual([
      expect.stringMatching(
        /^stack uh-test uses the placeholder account id 111111111111: set the real 12-digit id in config\/accounts.ts \(account "nonprod"\)/,
      ),
    ]);
    expect(warningsOf(build({ accountId: '123456789012' }))).toHaveLength(1);
    expect(warningsOf(build({ accountId: '710928374651' }))).toEqual([]);
  });

  test('the provider may only be applied to the account, in its region, and tags everything', () => {
    expect(build().json.provider.aws).toEqual([
      { region: 'us-east-1', allowed_account_ids: ['111111111111'], default_tags: [{ tags: { Project: 'UnicornHealth' } }] },
    ]);
  });

  test('state lives under the stack’s own key in the account’s bucket, encrypted, with the native lock file', () => {
    expect(build().json.terraform.backend).toEqual({
      s3: {
        bucket: 'unicornhealth-tfstate-111111111111',
        key: 'unicornhealth/test/terraform.tfstate',
        region: 'us-east-1',
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  test('a KMS key for the state objects is passed to the backend', () => {
    const backend = build({ stateBackend: { ...props.stateBackend!, kmsKeyId: 'alias/tfstate' } }).json.terraform.backend;
    expect(backend.s3.kms_key_id).toBe('alias/tfstate');
  });

  test('without a state bucket the state is a local file named after the stack', () => {
    expect(build({ stateBackend: undefined }).json.terraform.backend).toEqual({ local: { path: 'terraform.uh-test.tfstate' } });
  });
});
