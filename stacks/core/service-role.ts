import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { AwsEnvironment } from './aws-environment';
import { NamedStatement, PolicyStatement, policyDocument } from './policy-document';
import { ServicePrincipalTrust, TRUSTED_SERVICES, TrustedService } from './trusted-services';

// The table of trusted services lives in trusted-services.ts (no cdktf), where the policy rules read it too.
export { TRUSTED_SERVICES } from './trusted-services';
export type { TrustedService } from './trusted-services';

/** Who may assume a role. */
export type RoleTrust =
  /** AWS services, each bound by the conditions it documents (`TRUSTED_SERVICES`). */
  | { readonly kind: 'services'; readonly services: readonly TrustedService[] }
  /** People: account roots or role ARNs whose IAM policies let them assume the role. */
  | {
      readonly kind: 'principals';
      readonly principalArns: readonly string[];
      /**
       * Require MFA, used no longer ago than this many seconds.
       * @default no MFA condition
       */
      readonly mfaMaxAgeSeconds?: number;
    };

export interface InlinePolicy {
  readonly name: string;
  readonly statements: readonly NamedStatement[];
}

export interface ServiceRoleProps {
  readonly environment: AwsEnvironment;
  readonly roleName: string;
  readonly description: string;
  readonly trust: RoleTrust;
  /**
   * The role's inline policy; a role whose permissions depend on resources made later adds it with
   * `addInlinePolicy`.
   * @default no inline policy
   */
  readonly inlinePolicy?: InlinePolicy;
  /**
   * AWS managed policies by their path under `arn:<partition>:iam::aws:policy/`, for example
   * `service-role/AmazonDMSVPCManagementRole`.
   * @default []
   */
  readonly managedPolicies?: readonly string[];
  /**
   * Longest session, in seconds.
   * @default IAM's default of one hour
   */
  readonly maxSessionDurationSeconds?: number;
}

/**
 * An IAM role and the policies that make it usable: its trust policy (a service bound by the conditions that
 * service documents, or named principals with optional MFA), at most one inline policy of named statements, and
 * AWS managed policies. The role keeps the Terraform address of this construct, so wrapping a role moves nothing.
 */
export class ServiceRole extends Construct {
  readonly role: IamRole;
  readonly arn: string;
  readonly name: string;
  private readonly roleName: string;
  private readonly attachments: { readonly attachment: IamRolePolicyAttachment; readonly policyArn: string }[];
  private inlinePolicy?: IamRolePolicy;

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    const env = props.environment;
    // CDKTF leaves "Default" out of logical ids, so the role's Terraform address is this construct's path: wrapping
    // an existing role in a ServiceRole of the same id does not replace it.
    this.role = new IamRole(this, 'Default', {
      name: props.roleName,
      description: props.description,
      maxSessionDuration: props.maxSessionDurationSeconds,
      assumeRolePolicy: policyDocument(this, 'trust', [trustStatement(env, props.trust)]).json,
    });
    this.arn = this.role.arn;
    this.name = this.role.name;
    this.roleName = props.roleName;
    this.attachments = (props.managedPolicies ?? []).map((path) => {
      const policyArn = `arn:${env.partition}:iam::aws:policy/${path}`;
      return { attachment: new IamRolePolicyAttachment(this, path.split('/').pop()!, { role: this.role.name, policyArn }), policyArn };
    });
    if (props.inlinePolicy) this.addInlinePolicy(props.inlinePolicy);
  }

  /**
   * Adds the role's one inline policy. Its construct id follows the role's (`analyst-role` → `analyst-policy`), so
   * its Terraform address reads as the role's policy.
   */
  addInlinePolicy(policy: InlinePolicy): IamRolePolicy {
    if (this.inlinePolicy) throw new Error(`${this.node.path} already has its inline policy`);
    const id = `${this.node.id.replace(/-role$/, '')}-policy`;
    this.inlinePolicy = new IamRolePolicy(this, id, {
      role: this.role.name,
      name: policy.name,
      policy: policyDocument(this, `${id}-document`, policy.statements).json,
    });
    return this.inlinePolicy;
  }

  /**
   * Adopts a role that already exists under this name: Terraform imports it and its managed-policy attachments
   * (import blocks, Terraform 1.5+) and manages them from then on, where creating it would fail with
   * EntityAlreadyExists. Import ids: the role name, and `<role>/<policy ARN>` for an attachment
   * (https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/iam_role_policy_attachment#import).
   */
  importExisting(): void {
    this.role.importFrom(this.roleName);
    for (const { attachment, policyArn } of this.attachments) attachment.importFrom(`${this.roleName}/${policyArn}`);
  }

  /** The role with its policies, for `dependsOn` of resources that check the role's permissions when created. */
  get dependables(): ITerraformDependable[] {
    return [this.role, ...this.attachments.map((a) => a.attachment), ...(this.inlinePolicy ? [this.inlinePolicy] : [])];
  }
}

function trustStatement(env: AwsEnvironment, trust: RoleTrust): PolicyStatement {
  if (trust.kind === 'principals') {
    const mfa = trust.mfaMaxAgeSeconds;
    return {
      sid: mfa === undefined ? 'TrustedPrincipals' : 'TrustedPrincipalsWithMfa',
      effect: 'Allow',
      actions: ['sts:AssumeRole'],
      principals: [{ type: 'AWS', identifiers: [...trust.principalArns] }],
      condition:
        mfa === undefined
          ? undefined
          : [
              { test: 'Bool', variable: 'aws:MultiFactorAuthPresent', values: ['true'] },
              { test: 'NumericLessThan', variable: 'aws:MultiFactorAuthAge', values: [String(mfa)] },
            ],
    };
  }
  const [first, ...others] = trust.services.map((service) => TRUSTED_SERVICES[service] as ServicePrincipalTrust);
  if (!first) throw new Error('a service role trusts at least one service');
  const conditions = first.conditions(env);
  if (others.some((other) => JSON.stringify(other.conditions(env)) !== JSON.stringify(conditions))) {
    throw new Error(`${trust.services.join(', ')} document different conditions; trust them with separate roles`);
  }
  return {
    sid: 'TrustedService',
    effect: 'Allow',
    actions: ['sts:AssumeRole'],
    principals: [{ type: 'Service', identifiers: [first, ...others].map((s) => s.principal(env)) }],
    condition: conditions.length > 0 ? conditions : undefined,
  };
}
