import {
  DMS_ACCOUNT_ROLES,
  LAKE_ADMINISTRATORS_GROUP,
  catalogKeyAliasName,
  lakeAdminRoleArn,
  lakeAdminRoleName,
} from '../../../stacks/core/account-baseline';
import { awsEnvironment } from '../../../stacks/core/aws-environment';

describe('names of the account baseline’s resources', () => {
  const environment = { project: 'unicornhealth', name: 'staging' };

  test('the catalog key is one per project and account, named by its alias', () => {
    expect(catalogKeyAliasName('unicornhealth')).toBe('unicornhealth-catalog');
  });

  test('each environment has its own lake-admin role: IAM role names are account-wide', () => {
    expect(lakeAdminRoleName(environment)).toBe('unicornhealth-staging-lake-admin');
    expect(lakeAdminRoleArn(awsEnvironment('111111111111', 'us-gov-west-1'), environment)).toBe(
      'arn:aws-us-gov:iam::111111111111:role/unicornhealth-staging-lake-admin',
    );
  });

  test('the names AWS fixes for one account: LakeAdministrators, and the roles DMS looks up with their managed policies', () => {
    expect(LAKE_ADMINISTRATORS_GROUP).toBe('LakeAdministrators');
    expect(DMS_ACCOUNT_ROLES).toEqual([
      { roleName: 'dms-vpc-role', managedPolicy: 'service-role/AmazonDMSVPCManagementRole' },
      { roleName: 'dms-cloudwatch-logs-role', managedPolicy: 'service-role/AmazonDMSCloudWatchLogsRole' },
    ]);
  });
});
