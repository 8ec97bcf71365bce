import { Construct } from 'constructs';
import { AwsEnvironment, regionalServiceName } from './aws-environment';
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';

export type PolicyStatement = DataAwsIamPolicyDocumentStatement;

/**
 * An IAM policy document rendered by Terraform's local `aws_iam_policy_document` data source: structured and
 * readable in the synthesized JSON, computed without calling AWS.
 */
export function policyDocument(scope: Construct, id: string, statements: PolicyStatement[]): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, { statement: statements });
}

/** Trust policy for a role assumed by an AWS service on behalf of this account only. */
export function serviceTrustStatement(service: string, accountId: string, sourceArn?: string): PolicyStatement {
  return {
    sid: 'TrustedService',
    effect: 'Allow',
    actions: ['sts:AssumeRole'],
    principals: [{ type: 'Service', identifiers: [service] }],
    condition: [
      { test: 'StringEquals', variable: 'aws:SourceAccount', values: [accountId] },
      ...(sourceArn ? [{ test: 'ArnLike', variable: 'aws:SourceArn', values: [sourceArn] }] : []),
    ],
  };
}

/** Condition that limits a KMS permission to use through the named services (`kms:ViaService`). */
export function throughServices(env: AwsEnvironment, ...services: string[]): NonNullable<PolicyStatement['condition']> {
  return [{ test: 'StringEquals', variable: 'kms:ViaService', values: services.map((s) => regionalServiceName(env, s)) }];
}
