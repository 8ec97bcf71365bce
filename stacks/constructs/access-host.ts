import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { AwsEnvironment } from '../core/aws-environment';
import { policyDocument, serviceTrustStatement } from '../core/policy-document';
import { ServiceSecurityGroup } from './service-security-group';

export interface AccessHostProps {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  readonly vpcId: string;
  /** A private subnet; the host has no public address. */
  readonly subnetId: string;
  readonly instanceType: string;
  /** Public SSM parameter naming the AMI, resolved by EC2 at launch (no AMI lookup at plan time). */
  readonly amiSsmParameter: string;
  /** Key that encrypts the root volume. */
  readonly volumeKeyArn: string;
  /** @default 8 */
  readonly volumeSizeGiB?: number;
}

/**
 * An operator's way into the private database without opening it: a small instance with no public address, no
 * SSH and no inbound rule at all, reached only through SSM Session Manager port forwarding. IMDSv2 only, root
 * volume encrypted with a customer-managed key.
 */
export class AccessHost extends Construct {
  readonly instance: Instance;
  readonly securityGroup: ServiceSecurityGroup;

  constructor(scope: Construct, id: string, props: AccessHostProps) {
    super(scope, id);
    const name = `${props.namePrefix}-access-host`;
    const { partition } = props.environment;

    this.securityGroup = new ServiceSecurityGroup(this, 'access-host', {
      vpcId: props.vpcId,
      name,
      description: 'SSM port-forwarding host: no inbound rules; egress to named services only',
    });

    const role = new IamRole(this, 'role', {
      name,
      description: 'Session Manager agent on the database access host',
      assumeRolePolicy: policyDocument(this, 'trust', [serviceTrustStatement('ec2.amazonaws.com', props.environment.accountId)]).json,
    });
    new IamRolePolicyAttachment(this, 'session-manager-core', {
      role: role.name,
      policyArn: `arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
    });
    const profile = new IamInstanceProfile(this, 'profile', { name, role: role.name });

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
            kmsKeyId: props.volumeKeyArn,
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
      subnetId: props.subnetId,
      vpcSecurityGroupIds: [this.securityGroup.id],
      associatePublicIpAddress: false,
      monitoring: true,
      tags: { Name: name },
    });
  }
}
