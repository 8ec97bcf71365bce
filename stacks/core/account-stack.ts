import { Construct } from 'constructs';
import { Annotations, LocalBackend, S3Backend } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { StateBackendConfig } from '../../config/types';
import { accountIdWarnings } from '../../config/validate';
import { ReadableStack } from './readable-stack';
import { PROVIDER_LOCK_FILE } from './provider-lock';
import { StackFile } from './stack-file';

export interface AccountStackProps {
  /** The declared account (`AccountConfig.name`) the stack deploys to, for messages that say where to change it. */
  readonly accountName: string;
  /** The only account the stack may be applied to (`allowed_account_ids`). */
  readonly accountId: string;
  readonly region: string;
  /** Tags on every taggable resource (`default_tags`). */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * The account's state bucket.
   * @default a local state file named after the stack
   */
  readonly stateBackend?: StateBackendConfig;
  /** Where this stack's state lives in the account's bucket; every stack of an account has its own key. */
  readonly stateKey: string;
}

/**
 * A stack bound to one AWS account: its provider refuses any other account, and its state has its own key in the
 * account's state bucket, so the stacks of one account never share a state. A placeholder account id synthesizes
 * (tests and offline plans use them) but with a warning naming the id and where to set the real one.
 */
export class AccountStack extends ReadableStack {
  constructor(scope: Construct, id: string, props: AccountStackProps) {
    super(scope, id);
    for (const warning of accountIdWarnings(`stack ${id}`, props.accountId, `config/accounts.ts (account "${props.accountName}")`)) {
      Annotations.of(this).addWarning(warning);
    }
    new AwsProvider(this, 'aws', {
      region: props.region,
      allowedAccountIds: [props.accountId],
      defaultTags: [{ tags: { ...props.tags } }],
    });
    new StackFile(this, 'provider-lock-file', {
      source: PROVIDER_LOCK_FILE,
      fileName: PROVIDER_LOCK_FILE,
      whenMissing: 'restore it from git (git checkout -- .terraform.lock.hcl)',
    });
    if (!props.stateBackend) {
      new LocalBackend(this, { path: `terraform.${id}.tfstate` });
      return;
    }
    new S3Backend(this, {
      bucket: props.stateBackend.bucket,
      key: props.stateKey,
      region: props.stateBackend.region,
      encrypt: true,
      kmsKeyId: props.stateBackend.kmsKeyId,
    });
    // cdktf 0.21 predates the S3 backend's native lock file; DynamoDB locking is deprecated.
    this.addOverride('terraform.backend.s3.use_lockfile', true);
  }
}
