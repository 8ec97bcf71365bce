import type { DataAwsIamPolicyDocumentStatementCondition } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DMS_ACCOUNT_ROLES } from './account-baseline';
import { AwsEnvironment } from './aws-environment';

/*
 * Which AWS services the platform's roles trust, and the confused-deputy conditions each one documents sending
 * with sts:AssumeRole. Plain data, without cdktf: `ServiceRole` writes trust policies from it, and the policy rule
 * UH-AWS-IAM-001 checks every role of a stack (ServiceRole's or not) against it.
 */

type PolicyCondition = DataAwsIamPolicyDocumentStatementCondition;

export interface ServicePrincipalTrust {
  /** The principal the service assumes the role as. */
  readonly principal: (env: AwsEnvironment) => string;
  /**
   * The confused-deputy conditions the service documents sending with `sts:AssumeRole`. A condition on a key the
   * service does not send never matches, and the service could not assume the role at all, so a service that
   * documents none gets none.
   */
  readonly conditions: (env: AwsEnvironment) => PolicyCondition[];
  /**
   * Roles, by name, that this entry is for, where one principal needs different conditions for different roles.
   * @default every role that trusts the principal and is not named by another entry
   */
  readonly roleNames?: readonly string[];
  /** Where the service documents its principal and conditions. */
  readonly sources: readonly string[];
}

const sourceAccount = (env: AwsEnvironment): PolicyCondition => ({
  test: 'StringEquals',
  variable: 'aws:SourceAccount',
  values: [env.accountId],
});
const sourceArnLike = (arn: string): PolicyCondition => ({ test: 'ArnLike', variable: 'aws:SourceArn', values: [arn] });
const undocumented = (): PolicyCondition[] => [];

const REDSHIFT_ROLE_RESTRICTION = 'https://docs.aws.amazon.com/redshift/latest/mgmt/authorizing-redshift-service-database-users.html';
const DMS_CONFUSED_DEPUTY = 'https://docs.aws.amazon.com/dms/latest/userguide/cross-service-confused-deputy-prevention.html';

/** DMS (3.4.7 and later) sends aws:SourceAccount and aws:SourceArn of its resources when it assumes a role. */
const dmsResourcesOfThisAccount = (env: AwsEnvironment): PolicyCondition[] => [
  sourceAccount(env),
  sourceArnLike(`arn:${env.partition}:dms:${env.region}:${env.accountId}:*`),
];

/** The services roles of this platform trust: each one's principal and the conditions its documentation gives. */
export const TRUSTED_SERVICES = {
  /** "We recommend that you use the aws:SourceAccount and aws:SourceArn condition keys"; the source is the flow log. */
  'vpc-flow-logs': {
    principal: () => 'vpc-flow-logs.amazonaws.com',
    conditions: (env) => [sourceAccount(env), sourceArnLike(`arn:${env.partition}:ec2:${env.region}:${env.accountId}:vpc-flow-log/*`)],
    sources: ['https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html'],
  },
  /**
   * DMS endpoints' service access roles. The S3 target prerequisites name `dms.amazonaws.com` as the trusted
   * entity (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Target.S3.html#CHAP_Target.S3.Prerequisites).
   */
  dms: {
    principal: () => 'dms.amazonaws.com',
    conditions: dmsResourcesOfThisAccount,
    sources: [DMS_CONFUSED_DEPUTY, 'https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Target.S3.html#CHAP_Target.S3.Prerequisites'],
  },
  /**
   * The regional principal DMS uses for endpoint roles: the Secrets Manager access role must trust it, and an S3
   * target's role trusts it beside `dms.amazonaws.com`.
   */
  'dms-regional': {
    principal: (env) => `dms.${env.region}.amazonaws.com`,
    conditions: dmsResourcesOfThisAccount,
    sources: [DMS_CONFUSED_DEPUTY, 'https://docs.aws.amazon.com/dms/latest/userguide/security_iam_secretsmanager.html'],
  },
  /**
   * The account-level `dms-vpc-role` and `dms-cloudwatch-logs-role`. With the confused-deputy conditions DMS stops
   * delivering task logs (an upstream limitation); AWS's own knowledge-center article gives the trust without them.
   */
  'dms-account-roles': {
    principal: () => 'dms.amazonaws.com',
    conditions: undocumented,
    roleNames: DMS_ACCOUNT_ROLES.map((role) => role.roleName),
    sources: [
      'https://github.com/terraform-aws-modules/terraform-aws-dms/issues/84',
      'https://repost.aws/knowledge-center/dms-cloudwatch-logs-not-appearing',
    ],
  },
  /**
   * Instance profiles: EC2 documents no source keys for the instance's role session, and aws:SourceAccount is in the
   * request context only when a service calls on a resource's behalf. AWS Support keeps no public list of the
   * services that send it; EC2 and Glue roles are the known exceptions.
   */
  ec2: {
    principal: () => 'ec2.amazonaws.com',
    conditions: undocumented,
    sources: [
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount',
      'https://github.com/prowler-cloud/prowler/issues/2810',
    ],
  },
  /** The crawler prerequisites ask only for trust of the Glue principal. */
  glue: {
    principal: () => 'glue.amazonaws.com',
    conditions: undocumented,
    sources: ['https://docs.aws.amazon.com/glue/latest/dg/crawler-prereqs.html', 'https://github.com/prowler-cloud/prowler/issues/2810'],
  },
  /** The registration-role requirements give the trust without conditions. */
  lakeformation: {
    principal: () => 'lakeformation.amazonaws.com',
    conditions: undocumented,
    sources: ['https://docs.aws.amazon.com/lake-formation/latest/dg/registration-role.html'],
  },
  /** Redshift (provisioned and Serverless) is narrowed with sts:ExternalId (database users), not with source keys. */
  redshift: {
    principal: () => 'redshift.amazonaws.com',
    conditions: undocumented,
    sources: [REDSHIFT_ROLE_RESTRICTION],
  },
  'redshift-serverless': {
    principal: () => 'redshift-serverless.amazonaws.com',
    conditions: undocumented,
    sources: [REDSHIFT_ROLE_RESTRICTION],
  },
  /**
   * State machines' execution roles: Step Functions documents aws:SourceArn of the state machines of the account
   * (`stateMachine:*`) and aws:SourceAccount for the trust policy.
   */
  states: {
    principal: () => 'states.amazonaws.com',
    conditions: (env) => [sourceAccount(env), sourceArnLike(`arn:${env.partition}:states:${env.region}:${env.accountId}:stateMachine:*`)],
    sources: ['https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html#prevent-cross-service-confused-deputy'],
  },
  /**
   * Schedules' execution roles: EventBridge Scheduler sends aws:SourceAccount, and as aws:SourceArn the ARN of the
   * schedule group the schedule belongs to (the change of September 2023 in the guide's history).
   */
  scheduler: {
    principal: () => 'scheduler.amazonaws.com',
    conditions: (env) => [
      sourceAccount(env),
      sourceArnLike(`arn:${env.partition}:scheduler:${env.region}:${env.accountId}:schedule-group/*`),
    ],
    sources: [
      'https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role',
      'https://docs.aws.amazon.com/scheduler/latest/UserGuide/doc-history.html',
    ],
  },
} satisfies Record<string, ServicePrincipalTrust>;

export type TrustedService = keyof typeof TRUSTED_SERVICES;

/**
 * The documented trust of a service principal for a role: the entry for that role by name if one names it, else
 * the principal's general entry. Undefined for a principal the table does not know.
 */
export function documentedTrust(env: AwsEnvironment, principal: string, roleName: string): ServicePrincipalTrust | undefined {
  const entries: ServicePrincipalTrust[] = Object.values(TRUSTED_SERVICES).filter((entry) => entry.principal(env) === principal);
  return entries.find((entry) => entry.roleNames?.includes(roleName)) ?? entries.find((entry) => entry.roleNames === undefined);
}
