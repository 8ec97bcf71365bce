import { dev, prod } from '../../../config/environments';
import { Json, ref, synthesize, withConfig } from '../../helpers/synth';

describe('Network', () => {
  const stack = synthesize(dev);
  const withNat = synthesize(withConfig(dev, { network: { internetEgress: 'nat-gateway' } }));
  const withHost = synthesize(prod);

  test('one private subnet per configured AZ, carved from the VPC CIDR, with no public addresses', () => {
    const subnets = stack.all('aws_subnet');
    expect(subnets.map((s: Json) => s.availability_zone)).toEqual(dev.network.availabilityZones);
    subnets.forEach((s: Json, index: number) => {
      expect(s.map_public_ip_on_launch).toBe(false);
      expect(s.cidr_block).toBe(`\${cidrsubnet("${dev.network.vpcCidr}", 4, ${index})}`);
    });
    expect(stack.one('aws_vpc')).toMatchObject({ cidr_block: dev.network.vpcCidr, enable_dns_hostnames: true });
  });

  test('by default there is no internet or NAT gateway and no route to the internet', () => {
    for (const type of ['aws_internet_gateway', 'aws_nat_gateway', 'aws_eip', 'aws_route']) {
      expect(stack.all(type)).toHaveLength(0);
    }
  });

  test('a NAT gateway is an explicit option: one public NAT subnet without auto-assigned addresses', () => {
    expect(withNat.all('aws_nat_gateway')).toHaveLength(1);
    expect(withNat.all('aws_internet_gateway')).toHaveLength(1);
    const natSubnet = withNat.one('aws_subnet', 'nat-public');
    expect(natSubnet.map_public_ip_on_launch).toBe(false);
    expect(natSubnet.cidr_block).toBe(`\${cidrsubnet("${dev.network.vpcCidr}", 4, 15)}`);
    const privateDefault = withNat.one('aws_route', 'private-default-route');
    expect(privateDefault.nat_gateway_id).toBe(ref('aws_nat_gateway', withNat.idOf('aws_nat_gateway'), 'id'));
  });

  test('an S3 gateway endpoint on the private route table', () => {
    const s3 = stack.one('aws_vpc_endpoint', 'endpoint-s3');
    expect(s3).toMatchObject({ service_name: 'com.amazonaws.us-east-1.s3', vpc_endpoint_type: 'Gateway' });
    expect(s3.route_table_ids).toEqual([ref('aws_route_table', stack.idOf('aws_route_table'), 'id')]);
  });

  test.each(['secretsmanager', 'kms', 'sts', 'logs'])(
    'an interface endpoint for %s in every private subnet with its security group',
    (service) => {
      const endpoint = stack.one('aws_vpc_endpoint', `endpoint-${service}_`);
      expect(endpoint).toMatchObject({
        service_name: `com.amazonaws.us-east-1.${service}`,
        vpc_endpoint_type: 'Interface',
        private_dns_enabled: true,
      });
      expect(endpoint.subnet_ids).toHaveLength(dev.network.availabilityZones.length);
      expect(endpoint.security_group_ids).toEqual([ref('aws_security_group', stack.idOf('aws_security_group', 'endpoints'), 'id')]);
    },
  );

  test('Session Manager endpoints exist only with the access host', () => {
    for (const service of ['ssm', 'ssmmessages', 'ec2messages']) {
      expect(Object.keys(stack.resources('aws_vpc_endpoint')).some((id) => id.includes(`endpoint-${service}_`))).toBe(false);
      expect(withHost.one('aws_vpc_endpoint', `endpoint-${service}_`).vpc_endpoint_type).toBe('Interface');
    }
  });

  test('the default security group is managed with no rules', () => {
    const closed = stack.one('aws_default_security_group');
    expect(closed.vpc_id).toBe(ref('aws_vpc', stack.idOf('aws_vpc'), 'id'));
    expect(closed).not.toHaveProperty('ingress');
    expect(closed).not.toHaveProperty('egress');
  });

  test('flow logs record ALL traffic into a KMS-encrypted group kept at least 365 days', () => {
    const flowLog = stack.one('aws_flow_log');
    expect(flowLog).toMatchObject({ traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs' });
    const group = stack.one('aws_cloudwatch_log_group', 'flow-log-group');
    expect(flowLog.log_destination).toBe(ref('aws_cloudwatch_log_group', stack.idOf('aws_cloudwatch_log_group', 'flow-log-group'), 'arn'));
    expect(group.kms_key_id).toBe(ref('aws_kms_key', stack.idOf('aws_kms_key', 'logs-key'), 'arn'));
    expect(group.retention_in_days).toBeGreaterThanOrEqual(365);
  });

  test('the flow-log role trusts only VPC Flow Logs of this account and writes only its group', () => {
    const trust = stack.statement(stack.one('aws_iam_role', 'flow-log-role').assume_role_policy, 'TrustedService');
    expect(trust.principals).toEqual([{ type: 'Service', identifiers: ['vpc-flow-logs.amazonaws.com'] }]);
    expect(trust.condition).toContainEqual({ test: 'StringEquals', variable: 'aws:SourceAccount', values: [dev.accountId] });
    const write = stack.statement(stack.one('aws_iam_role_policy', 'flow-log').policy, 'WriteFlowLogGroup');
    expect(write.resources.every((r: string) => r.includes('aws_cloudwatch_log_group'))).toBe(true);
  });

  test.each([
    ['dev', stack],
    ['prod', withHost],
    ['dev with NAT', withNat],
  ])('%s: every security-group rule has a description, names a group or prefix list, and never an open range', (_name, synthesized) => {
    const rules = [...synthesized.all('aws_vpc_security_group_ingress_rule'), ...synthesized.all('aws_vpc_security_group_egress_rule')];
    for (const rule of rules) {
      expect(rule.description).toMatch(/\w{4,}/);
      expect(rule.referenced_security_group_id ?? rule.prefix_list_id).toBeDefined();
      expect(rule).not.toHaveProperty('cidr_ipv4');
      expect(rule).not.toHaveProperty('cidr_ipv6');
    }
    expect(synthesized.text).not.toMatch(/"0\.0\.0\.0\/0"[\s\S]{0,200}ingress|::\/0/);
    for (const group of synthesized.all('aws_security_group')) {
      expect(group).not.toHaveProperty('ingress');
      expect(group).not.toHaveProperty('egress');
    }
  });
});
