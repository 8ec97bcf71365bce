import { Construct } from 'constructs';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';

export interface ServiceSecurityGroupProps {
  readonly vpc: Vpc;
  /** Security group name, also its Name tag. */
  readonly name: string;
  readonly description: string;
}

/**
 * The security group of one service. It starts with no rules at all (Terraform removes AWS's default allow-all
 * egress); every rule is added as a pair that names the other group, so traffic is allowed between two services
 * on one port and never from an address range.
 */
export class ServiceSecurityGroup extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly id: string;
  private readonly name: string;

  constructor(scope: Construct, id: string, props: ServiceSecurityGroupProps) {
    super(scope, id);
    this.name = props.name;
    this.securityGroup = new SecurityGroup(this, 'group', {
      name: props.name,
      description: props.description,
      vpcId: props.vpc.id,
      revokeRulesOnDelete: true,
      tags: { Name: props.name },
    });
    this.id = this.securityGroup.id;
  }

  /** Lets `client` open TCP connections to this group on `port`: ingress here, egress there. */
  allowTcpFrom(client: ServiceSecurityGroup, port: number, purpose: string): void {
    new VpcSecurityGroupIngressRule(this, `from-${client.node.id}-${port}`, {
      securityGroupId: this.id,
      referencedSecurityGroupId: client.id,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description: `${purpose} (from ${client.name})`,
    });
    new VpcSecurityGroupEgressRule(client, `to-${this.node.id}-${port}`, {
      securityGroupId: client.id,
      referencedSecurityGroupId: this.id,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description: `${purpose} (to ${this.name})`,
    });
  }

  /** Lets this group reach a managed prefix list (for example the S3 gateway endpoint's) on `port`. */
  allowTcpToPrefixList(prefixListId: string, port: number, purpose: string): void {
    new VpcSecurityGroupEgressRule(this, `to-prefix-list-${port}`, {
      securityGroupId: this.id,
      prefixListId,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description: purpose,
    });
  }
}
