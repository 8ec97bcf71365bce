import { Construct } from 'constructs';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { Ec2InstanceConnectEndpoint } from '@cdktf/provider-aws/lib/ec2-instance-connect-endpoint';
import { AccessHostConfig, AccessHostConnection } from '../../config/types';
import { AwsEnvironment } from '../core/aws-environment';
import { accessHostEndpoints } from '../core/interface-endpoints';
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
 * An operator's way into the private database without opening it: a small instance with no public address and no key
 * pair, from which an operator forwards a local port to MySQL. IMDSv2 only, root volume encrypted with a
 * customer-managed key. It may reach MySQL and S3, and with Session Manager the interface endpoints, nothing else.
 *
 * `connection` says how operators reach it:
 * - `session-manager`: SSM Session Manager port forwarding; no inbound rule at all, the `ssm` and `ssmmessages`
 *   endpoints and a role with the Session Manager core policy.
 * - `instance-connect-endpoint`: SSH through an EC2 Instance Connect Endpoint in the same subnet, which IAM gates
 *   (`ec2-instance-connect:OpenTunnel`, `SendSSHPublicKey`) and CloudTrail records, and which bills nothing by the
 *   hour (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/connect-with-ec2-instance-connect-endpoint.html).
 *   The endpoint's group may open TCP 22 to the host's group only, and the host admits 22 from that group only
 *   (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/eice-security-groups.html); EICE forwards only 22 and 3389,
 *   so MySQL is reached by an SSH local forward. The host then has no role at all: nothing on it calls an AWS API
 *   (EC2 Instance Connect reads the pushed key from the instance metadata).
 */
export class AccessHost extends Construct {
  readonly instance: Instance;
  readonly securityGroup: ServiceSecurityGroup;
  readonly connection: AccessHostConnection;
  /** The Session Manager agent's role; none with an EC2 Instance Connect Endpoint. */
  readonly role?: ServiceRole;
  /** The endpoint operators tunnel through with `instance-connect-endpoint`. */
  readonly instanceConnectEndpoint?: Ec2InstanceConnectEndpoint;

  constructor(scope: Construct, id: string, props: AccessHostProps) {
    super(scope, id);
    const name = `${props.namePrefix}-access-host`;
    this.connection = props.connection ?? 'session-manager';
    const sessionManager = this.connection === 'session-manager';
    const subnetId = props.network.privateSubnetIds[0];

    this.securityGroup = new ServiceSecurityGroup(this, 'access-host', {
      vpc: props.network.vpc,
      name,
      description: sessionManager
        ? 'SSM port-forwarding host: no inbound rules; egress to named services only'
        : 'Database access host: SSH only from the EC2 Instance Connect Endpoint; egress to named services only',
    });
    props.database.allowMysqlFrom(this.securityGroup, 'Operator port forwarding to MySQL');
    props.network.allowHttpsToAwsApis(this.securityGroup, {
      services: accessHostEndpoints({ connection: this.connection }),
      endpoints: 'Session Manager agent to AWS APIs',
      s3: sessionManager ? 'Agent and package updates from S3' : 'Package updates from S3',
    });

    let profile: IamInstanceProfile | undefined;
    if (sessionManager) {
      this.role = new ServiceRole(this, 'role', {
        environment: props.environment,
        roleName: name,
        description: 'Session Manager agent on the database access host',
        trust: { kind: 'services', services: ['ec2'] },
        managedPolicies: ['AmazonSSMManagedInstanceCore'],
      });
      profile = new IamInstanceProfile(this, 'profile', { name, role: this.role.name });
    } else {
      const endpointGroup = new ServiceSecurityGroup(this, 'instance-connect-endpoint', {
        vpc: props.network.vpc,
        name: `${name}-eice`,
        description: 'EC2 Instance Connect Endpoint of the access host: no inbound rules (IAM gates the tunnels); SSH to the host only',
      });
      this.securityGroup.allowTcpFrom(endpointGroup, 22, 'SSH through the EC2 Instance Connect Endpoint');
      // The host sees the endpoint's address, not the operator's: the host's rule can then name the endpoint's
      // group, and who connected is in CloudTrail (OpenTunnel, SendSSHPublicKey).
      this.instanceConnectEndpoint = new Ec2InstanceConnectEndpoint(this, 'endpoint', {
        subnetId,
        securityGroupIds: [endpointGroup.id],
        preserveClientIp: false,
        tags: { Name: name },
      });
    }

    const template = new LaunchTemplate(this, 'template', {
      name,
      description: 'Database access host: IMDSv2, encrypted root volume, no public address',
      imageId: `resolve:ssm:${props.amiSsmParameter}`,
      instanceType: props.instanceType,
      ...(profile ? { iamInstanceProfile: { arn: profile.arn } } : {}),
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
      subnetId,
      vpcSecurityGroupIds: [this.securityGroup.id],
      associatePublicIpAddress: false,
      monitoring: true,
      tags: { Name: name },
    });
  }
}
