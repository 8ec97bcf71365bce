import { Construct } from 'constructs';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { AccessHostConfig } from '../../config/types';
import { AwsEnvironment } from '../core/aws-environment';
import { ServiceRole } from '../core/service-role';
import { CustomerManagedKey } from './customer-managed-key';
import { Database } from './database';
import { Network } from './network';
import { ServiceSecurityGroup } from './service-security-group';

export interface AccessHostProps extends Omit<AccessHostConfig, 'enabled'> {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  /** The host sits in the network's first private subnet, with no public address. */
  readonly network: Network;
  /** The database operators forward a port to. */
  readonly database: Database;
  /** Key that encrypts the root volume. */
  readonly volumeKey: CustomerManagedKey;
  /** @default 8 */
  readonly volumeSizeGiB?: number;
}

/**
 * An operator's way into the private database without opening it: a small instance with no public address, no
 * SSH and no inbound rule at all, reached only through SSM Session Manager port forwarding. IMDSv2 only, root
 * volume encrypted with a customer-managed key. It may reach MySQL, the interface endpoints and S3, nothing else.
 */
export class AccessHost extends Construct {
  readonly instance: Instance;
  readonly securityGroup: ServiceSecurityGroup;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: AccessHostProps) {
    super(scope, id);
    const name = `${props.namePrefix}-access-host`;

    this.securityGroup = new ServiceSecurityGroup(this, 'access-host', {
      vpc: props.network.vpc,
      name,
      description: 'SSM port-forwarding host: no inbound rules; egress to named services only',
    });
    props.database.allowMysqlFrom(this.securityGroup, 'Operator port forwarding to MySQL');
    props.network.allowHttpsToAwsApis(this.securityGroup, {
      endpoints: 'Session Manager agent to AWS APIs',
      s3: 'Agent and package updates from S3',
    });

    this.role = new ServiceRole(this, 'role', {
      environment: props.environment,
      roleName: name,
      description: 'Session Manager agent on the database access host',
      trust: { kind: 'services', services: ['ec2'] },
      managedPolicies: ['AmazonSSMManagedInstanceCore'],
    });
    const profile = new IamInstanceProfile(this, 'profile', { name, role: this.role.name });

    const template = new LaunchTemplate(this, 'template', {
      name,
      description: 'Database access host: IMDSv2, encrypted root volume, no public address',
      imageId: `resolve:ssm:${props.amiSsmParameter}`,
      instanceType: props.instanceType,
      iamInstanceProfile: { arn: profile.arn },
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpTokens: 'required',
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: 'disabled',
      },
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          ebs: {
            encrypted: 'true',
            kmsKeyId: props.volumeKey.arn,
            volumeSize: props.volumeSizeGiB ?? 8,
            volumeType: 'gp3',
            deleteOnTermination: 'true',
          },
        },
      ],
      tagSpecifications: [{ resourceType: 'volume', tags: { Name: name } }],
    });

    this.instance = new Instance(this, 'instance', {
      launchTemplate: { id: template.id, version: template.latestVersion.toString() },
      subnetId: props.network.privateSubnetIds[0],
      vpcSecurityGroupIds: [this.securityGroup.id],
      associatePublicIpAddress: false,
      monitoring: true,
      tags: { Name: name },
    });
  }
}
