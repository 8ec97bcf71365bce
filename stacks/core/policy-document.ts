import { Construct } from 'constructs';
import { AwsEnvironment, regionalServiceName } from './aws-environment';
import {
  DataAwsIamPolicyDocument,
  DataAwsIamPolicyDocumentStatement,
  DataAwsIamPolicyDocumentStatementCondition,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';

export type PolicyStatement = DataAwsIamPolicyDocumentStatement;
export type PolicyCondition = DataAwsIamPolicyDocumentStatementCondition;
/** A policy statement with a Sid, so a reviewer and the policy checks can name it. */
export type NamedStatement = PolicyStatement & { readonly sid: string };

/**
 * An IAM policy document rendered by Terraform's local `aws_iam_policy_document` data source: structured and
 * readable in the synthesized JSON, computed without calling AWS.
 */
export function policyDocument(scope: Construct, id: string, statements: readonly PolicyStatement[]): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, { statement: [...statements] });
}

/** Condition that limits a KMS permission to use through the named services (`kms:ViaService`). */
export function throughServices(env: AwsEnvironment, ...services: string[]): PolicyCondition[] {
  return [{ test: 'StringEquals', variable: 'kms:ViaService', values: services.map((s) => regionalServiceName(env, s)) }];
}

/** An Allow statement of an identity policy: the principal is whoever holds the policy. */
export function allow(sid: string, actions: string[], resources: string[], condition?: PolicyCondition[]): NamedStatement {
  return { sid, effect: 'Allow', actions, resources, condition };
}

/** A Deny statement of a resource policy that binds every principal, the account's own included. */
export function denyEveryone(sid: string, actions: string[], resources: string[], condition: PolicyCondition[]): NamedStatement {
  return { sid, effect: 'Deny', principals: [{ type: '*', identifiers: ['*'] }], actions, resources, condition };
}

/** Refuses `actions` on `resources` over plain HTTP, to everyone. */
export function denyInsecureTransport(actions: string[], resources: string[]): NamedStatement {
  return denyEveryone('DenyInsecureTransport', actions, resources, [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }]);
}

/**
 * Lets a role ask Lake Formation for temporary credentials to the registered location. The action has no resource
 * type, so `*` is the only resource; what the credentials reach is decided by the role's Lake Formation grants.
 */
export function lakeFormationDataAccess(): NamedStatement {
  return allow('LakeFormationCredentials', ['lakeformation:GetDataAccess'], ['*']);
}

/**
 * What every client of the encrypted Data Catalog (crawler, readers, admins) needs of its key, through Glue only:
 * https://docs.aws.amazon.com/glue/latest/dg/set-up-encryption.html ("any client that accesses or writes to an
 * encrypted catalog ... kms:GenerateDataKey, kms:Decrypt, kms:Encrypt"), as Athena repeats for its users
 * (https://docs.aws.amazon.com/athena/latest/ug/access-encrypted-data-glue-data-catalog.html).
 */
export const CATALOG_KEY_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];

/**
 * Use of the account's Data Catalog key, which the account baseline (another stack) owns, named by its alias. The key
 * id is random, so an environment stack cannot derive its ARN, and an alias ARN in `Resource` only governs alias
 * operations; IAM names the key as any key of this account and region whose aliases include this one
 * (`kms:ResourceAliases`, multi-valued, hence `ForAnyValue`):
 * https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html and
 * https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html. The baseline creates the alias
 * before any environment stack is applied; alias changes take up to five minutes to reach authorization.
 * @param aliasName the alias without its `alias/` prefix
 */
export function catalogKeyThroughGlue(env: AwsEnvironment, aliasName: string): NamedStatement {
  return allow(
    'CatalogKeyThroughGlue',
    CATALOG_KEY_ACTIONS,
    [`arn:${env.partition}:kms:${env.region}:${env.accountId}:key/*`],
    [
      { test: 'ForAnyValue:StringEquals', variable: 'kms:ResourceAliases', values: [`alias/${aliasName}`] },
      ...throughServices(env, 'glue'),
    ],
  );
}
