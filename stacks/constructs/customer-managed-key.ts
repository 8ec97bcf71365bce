import { Construct } from 'constructs';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { AwsEnvironment, accountRootArn, regionalServiceName } from '../core/aws-environment';
import { PolicyStatement, policyDocument } from '../core/policy-document';

/** Service principals that use the key directly (not on behalf of an IAM principal), bound by conditions. */
export interface ServicePrincipalKeyUse {
  readonly sid: string;
  /** For example `logs.us-east-1.amazonaws.com`. */
  readonly servicePrincipals: readonly string[];
  readonly actions: readonly string[];
  readonly conditions: PolicyStatement['condition'];
}

export interface CustomerManagedKeyProps {
  readonly environment: AwsEnvironment;
  /** Alias without the `alias/` prefix. */
  readonly alias: string;
  readonly description: string;
  /**
   * Services (short names such as `s3`, `rds`) through which principals of this account may use the key
   * (`kms:ViaService`). Nobody can use the key for cryptography outside these services unless named below.
   * @default []
   */
  readonly usedThroughServices?: readonly string[];
  /**
   * Role ARNs that may use the key directly, for example a role that decrypts a secret client-side.
   * @default []
   */
  readonly usedByRoleArns?: readonly string[];
  /** @default [] */
  readonly servicePrincipalUses?: readonly ServicePrincipalKeyUse[];
  /**
   * Statements appended to the key policy, for example a Deny that narrows who decrypts one bucket's objects.
   * @default []
   */
  readonly additionalStatements?: readonly PolicyStatement[];
  /** @default 30 */
  readonly deletionWindowDays?: number;
}

/** Administration actions the account keeps through IAM; cryptographic use is granted separately and narrowly. */
const KEY_ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];
const KEY_USE_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];
const KEY_GRANT_ACTIONS = ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'];

/**
 * A customer-managed KMS key with yearly rotation and an explicit key policy: the account administers it through
 * IAM, and may use it only through the named services, plus the named roles and service principals.
 */
export class CustomerManagedKey extends Construct {
  readonly key: KmsKey;
  readonly arn: string;

  constructor(scope: Construct, id: string, props: CustomerManagedKeyProps) {
    super(scope, id);
    const env = props.environment;
    const root = accountRootArn(env);
    const viaServices = (props.usedThroughServices ?? []).map((s) => regionalServiceName(env, s));

    const statements: PolicyStatement[] = [
      {
        sid: 'AccountAdministersKeyThroughIam',
        effect: 'Allow',
        principals: [{ type: 'AWS', identifiers: [root] }],
        actions: KEY_ADMIN_ACTIONS,
        resources: ['*'],
      },
    ];
    if (viaServices.length > 0) {
      const throughServices = [
        { test: 'StringEquals', variable: 'kms:CallerAccount', values: [env.accountId] },
        { test: 'StringEquals', variable: 'kms:ViaService', values: viaServices },
      ];
      statements.push(
        {
          sid: 'UseThroughNamedServices',
          effect: 'Allow',
          principals: [{ type: 'AWS', identifiers: [root] }],
          actions: KEY_USE_ACTIONS,
          resources: ['*'],
          condition: throughServices,
        },
        {
          sid: 'GrantsForNamedServiceResources',
          effect: 'Allow',
          principals: [{ type: 'AWS', identifiers: [root] }],
          actions: KEY_GRANT_ACTIONS,
          resources: ['*'],
          condition: [...throughServices, { test: 'Bool', variable: 'kms:GrantIsForAWSResource', values: ['true'] }],
        },
      );
    }
    if (props.usedByRoleArns && props.usedByRoleArns.length > 0) {
      statements.push({
        sid: 'UseByNamedRoles',
        effect: 'Allow',
        principals: [{ type: 'AWS', identifiers: [...props.usedByRoleArns] }],
        actions: KEY_USE_ACTIONS,
        resources: ['*'],
      });
    }
    for (const use of props.servicePrincipalUses ?? []) {
      statements.push({
        sid: use.sid,
        effect: 'Allow',
        principals: [{ type: 'Service', identifiers: [...use.servicePrincipals] }],
        actions: [...use.actions],
        resources: ['*'],
        condition: use.conditions,
      });
    }

    statements.push(...(props.additionalStatements ?? []));
    const policy = policyDocument(this, 'policy', statements);
    this.key = new KmsKey(this, 'key', {
      description: props.description,
      enableKeyRotation: true,
      rotationPeriodInDays: 365,
      deletionWindowInDays: props.deletionWindowDays ?? 30,
      policy: policy.json,
      tags: { Name: props.alias },
    });
    new KmsAlias(this, 'alias', { name: `alias/${props.alias}`, targetKeyId: this.key.keyId });
    this.arn = this.key.arn;
  }
}
