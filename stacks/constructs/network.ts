import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Route } from '@cdktf/provider-aws/lib/route';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { NetworkConfig } from '../../config/types';
import { SUBNET_NEWBITS } from '../../config/validate';
import { AwsEnvironment } from '../core/aws-environment';
import { allow } from '../core/policy-document';
import { ServiceRole } from '../core/service-role';
import { CustomerManagedKey } from './customer-managed-key';
import { ServiceSecurityGroup } from './service-security-group';

/** Why a client service calls AWS APIs, written into its security-group rules' descriptions. */
export interface AwsApiPurposes {
  /**
   * The interface endpoints the client calls, by short service name (`INTERFACE_ENDPOINTS_OF`); the network creates
   * each on the first client that needs it, so the endpoints follow what is deployed.
   */
  readonly services: readonly string[];
  /** What the client does through the interface endpoints. */
  readonly endpoints: string;
  /** What the client does with S3 through the gateway endpoint. */
  readonly s3: string;
}

export interface NetworkProps
  extends
    Omit<NetworkConfig, 'accessHost' | 'internetEgress' | 'interfaceEndpointAzCount'>,
    Partial<Pick<NetworkConfig, 'internetEgress' | 'interfaceEndpointAzCount'>> {
  readonly environment: AwsEnvironment;
  /** Prefix of every resource name, for example `unicornhealth-dev`. */
  readonly namePrefix: string;
  /** Key that encrypts the flow-log group. */
  readonly logsKey: CustomerManagedKey;
  readonly flowLogRetentionDays: number;
}

/**
 * A VPC whose data services live in private subnets only. AWS APIs are reached through VPC endpoints, an interface
 * endpoint for each service a client in the VPC calls (in `interfaceEndpointAzCount` AZs); the default security group
 * is closed; every packet is recorded in VPC flow logs.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly privateSubnets: Subnet[];
  readonly privateSubnetIds: string[];
  readonly privateRouteTable: RouteTable;
  readonly flowLogGroup: CloudwatchLogGroup;
  readonly flowLogRole: ServiceRole;
  /** Security group of the interface endpoints; clients are let in with `allowHttpsToAwsApis`. */
  private readonly endpointSecurityGroup: ServiceSecurityGroup;
  /** Prefix list of the S3 gateway endpoint, for HTTPS egress rules to S3. */
  private readonly s3PrefixListId: string;
  /** Interface endpoints by short service name, created as clients ask for them. */
  readonly interfaceEndpoints = new Map<string, VpcEndpoint>();
  /** The private subnets that hold the interface endpoints' network interfaces. */
  private readonly endpointSubnetIds: string[];
  private readonly props: NetworkProps;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.props = props;
    const { environment: env, namePrefix } = props;

    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: props.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: namePrefix },
    });

    new DefaultSecurityGroup(this, 'default-security-group', {
      vpcId: this.vpc.id,
      tags: { Name: `${namePrefix}-default-closed` },
    });

    this.privateRouteTable = new RouteTable(this, 'private-routes', {
      vpcId: this.vpc.id,
      tags: { Name: `${namePrefix}-private` },
    });
    this.privateSubnets = props.availabilityZones.map((az, index) => {
      const subnet = new Subnet(this, `private-${az}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: Fn.cidrsubnet(props.vpcCidr, SUBNET_NEWBITS, index),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${namePrefix}-private-${az}`, Tier: 'private' },
      });
      new RouteTableAssociation(this, `private-${az}-routes`, {
        subnetId: subnet.id,
        routeTableId: this.privateRouteTable.id,
      });
      return subnet;
    });
    this.privateSubnetIds = this.privateSubnets.map((s) => s.id);

    if ((props.internetEgress ?? 'vpc-endpoints-only') === 'nat-gateway') {
      this.addNatGateway(props);
    }

    const s3 = new VpcEndpoint(this, 'endpoint-s3', {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${env.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: [this.privateRouteTable.id],
      tags: { Name: `${namePrefix}-s3` },
    });
    this.s3PrefixListId = s3.prefixListId;

    this.endpointSecurityGroup = new ServiceSecurityGroup(this, 'endpoints', {
      vpc: this.vpc,
      name: `${namePrefix}-vpc-endpoints`,
      description: 'Interface VPC endpoints: HTTPS from the services of this VPC only',
    });
    this.endpointSubnetIds = this.privateSubnetIds.slice(0, props.interfaceEndpointAzCount ?? props.availabilityZones.length);

    this.flowLogGroup = new CloudwatchLogGroup(this, 'flow-log-group', {
      name: `/${namePrefix}/vpc-flow-logs`,
      retentionInDays: props.flowLogRetentionDays,
      kmsKeyId: props.logsKey.arn,
    });
    this.flowLogRole = new ServiceRole(this, 'flow-log-role', {
      environment: env,
      roleName: `${namePrefix}-vpc-flow-logs`,
      description: 'Lets VPC Flow Logs write to its log group',
      trust: { kind: 'services', services: ['vpc-flow-logs'] },
      inlinePolicy: {
        name: 'write-flow-log-group',
        statements: [
          allow(
            'WriteFlowLogGroup',
            ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            [this.flowLogGroup.arn, `${this.flowLogGroup.arn}:*`],
          ),
        ],
      },
    });
    new FlowLog(this, 'flow-log', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: this.flowLogRole.arn,
      maxAggregationInterval: 60,
      tags: { Name: `${namePrefix}-all-traffic` },
    });
  }

  /**
   * Lets `client` call AWS APIs over HTTPS: through the interface endpoints, whose group admits it, and to S3
   * through the gateway endpoint's prefix list.
   */
  allowHttpsToAwsApis(client: ServiceSecurityGroup, purposes: AwsApiPurposes): void {
    for (const service of purposes.services) this.interfaceEndpoint(service);
    if (purposes.services.length > 0) this.endpointSecurityGroup.allowTcpFrom(client, 443, purposes.endpoints);
    client.allowTcpToPrefixList(this.s3PrefixListId, 443, purposes.s3);
  }

  /** The interface endpoint of a service, created on first use with private DNS, in the endpoint subnets. */
  private interfaceEndpoint(service: string): VpcEndpoint {
    const existing = this.interfaceEndpoints.get(service);
    if (existing) return existing;
    const endpoint = new VpcEndpoint(this, `endpoint-${service}`, {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${this.props.environment.region}.${service}`,
      vpcEndpointType: 'Interface',
      privateDnsEnabled: true,
      subnetIds: this.endpointSubnetIds,
      securityGroupIds: [this.endpointSecurityGroup.id],
      tags: { Name: `${this.props.namePrefix}-${service}` },
    });
    this.interfaceEndpoints.set(service, endpoint);
    return endpoint;
  }

  /** One small public subnet holding a NAT gateway; the private route table sends internet traffic to it. */
  private addNatGateway(props: NetworkProps): void {
    const { namePrefix } = props;
    const lastSubnetIndex = 2 ** SUBNET_NEWBITS - 1;
    const igw = new InternetGateway(this, 'internet-gateway', {
      vpcId: this.vpc.id,
      tags: { Name: namePrefix },
    });
    const publicSubnet = new Subnet(this, 'nat-public', {
      vpcId: this.vpc.id,
      availabilityZone: props.availabilityZones[0],
      cidrBlock: Fn.cidrsubnet(props.vpcCidr, SUBNET_NEWBITS, lastSubnetIndex),
      mapPublicIpOnLaunch: false,
      tags: { Name: `${namePrefix}-nat-public`, Tier: 'public-nat-only' },
    });
    const publicRoutes = new RouteTable(this, 'nat-public-routes', {
      vpcId: this.vpc.id,
      tags: { Name: `${namePrefix}-nat-public` },
    });
    new Route(this, 'nat-public-default-route', {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.id,
    });
    new RouteTableAssociation(this, 'nat-public-association', {
      subnetId: publicSubnet.id,
      routeTableId: publicRoutes.id,
    });
    const eip = new Eip(this, 'nat-address', { domain: 'vpc', tags: { Name: `${namePrefix}-nat` } });
    const nat = new NatGateway(this, 'nat-gateway', {
      allocationId: eip.allocationId,
      subnetId: publicSubnet.id,
      tags: { Name: namePrefix },
      dependsOn: [igw],
    });
    new Route(this, 'private-default-route', {
      routeTableId: this.privateRouteTable.id,
      destinationCidrBlock: '0.0.0.0/0',
      natGatewayId: nat.id,
    });
  }
}
