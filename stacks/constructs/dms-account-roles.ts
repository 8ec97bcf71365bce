import { Construct } from 'constructs';
import { AccountConfig } from '../../config/types';
import { DMS_ACCOUNT_ROLES } from '../core/account-baseline';
import { AwsEnvironment } from '../core/aws-environment';
import { ServiceRole } from '../core/service-role';

export interface DmsAccountRolesProps extends Pick<AccountConfig, 'importExistingDmsRoles'> {
  readonly environment: AwsEnvironment;
}

/**
 * The roles DMS looks up by fixed names, once per account, and which must exist before replication subnet groups and
 * instances are created (https://docs.aws.amazon.com/dms/latest/userguide/security-iam.html#CHAP_Security.APIRole):
 * `dms-vpc-role` (DMS manages the network interfaces with it) and `dms-cloudwatch-logs-role` (task logs). The account
 * baseline creates both before any environment stack; created in the same apply as a subnet group, IAM propagation
 * made that apply fail intermittently with "dms-vpc-role is not configured properly"
 * (https://github.com/aws/aws-cdk/issues/7632), and a second environment stack in the account failed with
 * EntityAlreadyExists. An account that already has them imports them (`importExistingDmsRoles`).
 */
export class DmsAccountRoles extends Construct {
  readonly roles: readonly ServiceRole[];

  constructor(scope: Construct, id: string, props: DmsAccountRolesProps) {
    super(scope, id);
    this.roles = DMS_ACCOUNT_ROLES.map(({ roleName, managedPolicy }) => {
      const role = new ServiceRole(this, roleName, {
        environment: props.environment,
        roleName,
        description: 'Account-level role DMS requires under this exact name',
        trust: { kind: 'services', services: ['dms-account-roles'] },
        managedPolicies: [managedPolicy],
      });
      if (props.importExistingDmsRoles) role.importExisting();
      return role;
    });
  }
}
