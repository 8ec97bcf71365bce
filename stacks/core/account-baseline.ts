import { EnvironmentConfig } from '../../config/types';
import { AwsEnvironment } from './aws-environment';
import { LAKE_ROLE_SUFFIX, lakeRoleName } from './lake-roles';

/**
 * Names of what an account baseline owns and environment stacks use. Both sides derive them from config with these
 * functions, so an environment stack refers to the baseline's resources without a remote-state lookup or a data
 * source that calls AWS at plan time; the baseline is applied first, so they exist.
 */

/** The customer-managed key that encrypts the account's Data Catalog, by alias (without `alias/`). */
export function catalogKeyAliasName(project: string): string {
  return `${project}-catalog`;
}

/** The lake-admin role of an environment: IAM role names are account-wide, hence the environment in the name. */
export function lakeAdminRoleName(environment: Pick<EnvironmentConfig, 'project' | 'name'>): string {
  return lakeRoleName(`${environment.project}-${environment.name}`, LAKE_ROLE_SUFFIX.lakeAdmin);
}

export function lakeAdminRoleArn(env: AwsEnvironment, environment: Pick<EnvironmentConfig, 'project' | 'name'>): string {
  return `arn:${env.partition}:iam::${env.accountId}:role/${lakeAdminRoleName(environment)}`;
}

/** The IAM group of the people who run the lake; one per account. */
export const LAKE_ADMINISTRATORS_GROUP = 'LakeAdministrators';

/** The roles DMS looks up by these exact names, one per account, and the AWS managed policy each needs. */
export const DMS_ACCOUNT_ROLES = [
  { roleName: 'dms-vpc-role', managedPolicy: 'service-role/AmazonDMSVPCManagementRole' },
  { roleName: 'dms-cloudwatch-logs-role', managedPolicy: 'service-role/AmazonDMSCloudWatchLogsRole' },
] as const;
