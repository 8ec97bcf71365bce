import { Network, NetworkProps } from '../../../stacks/constructs/network';
import { ServiceSecurityGroup } from '../../../stacks/constructs/service-security-group';
import {
  Json,
  SynthesizedStack,
  TEST_ENV,
  TEST_PREFIX,
  fromTestAccount,
  serviceTrust,
  synthesizeWith,
  testKey,
  testNetwork,
} from '../../helpers/synth';

describe('Network', () => {
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const build = (props: Partial<NetworkProps>): SynthesizedStack =>
    synthesizeWith(
      (scope) =>
        new Network(scope, 'network', {
          environment: TEST_ENV,
          namePrefix: TEST_PREFIX,
          vpcCidr: '10.30.0.0/18',
          availabilityZones: zones.slice(0, 2),
          logsKey: testKey(scope, 'logs'),
          flowLogRetentionDays: 731,
          ...props,
        }),
    );
  const stack = synthesizeWith((scope) => testNetwork(scope));
  const withNat = build({ internetEgress: 'nat-gateway' });
  /** A network whose one client calls `services`, with interface endpoints in `azCount` AZs. */
  const withClient = (services: readonly string[], azCount?: number): SynthesizedStack =>
    synthesizeWith((scope) => {
      const network = new Network(scope, 'network', {
        environment: TEST_ENV,
        namePrefix: TEST_PREFIX,
        vpcCidr: '10.30.0.0/18',
        availabilityZones: zones,
        interfaceEndpointAzCount: azCount,
        logsKey: testKey(scope, 'logs'),
        flowLogRetentionDays: 731,
      });
      const client = new ServiceSecurityGroup(scope, 'client', { vpc: network.vpc, name: 'uh-test-client', description: 'Client' });
      network.allowHttpsToAwsApis(client, { services, endpoints: 'Reads secrets', s3: 'Writes objects' });
    });
  const withSessionManager = withClient(['ssm', 'ssmmessages'], 1);
  const endpointServices = (synthesized: SynthesizedStack): string[] =>
    synthesized
      .all('aws_vpc_endpoint')
      .map((e: Json) => e.service_name.replace('com.amazonaws.us-east-1.', ''))
      .sort();

  test('a VPC with DNS, and one private subnet per AZ carved from its CIDR, with no public addresses', () => {
    expect(stack.one('aws_vpc')).toEqual({
      cidr_block: '10.20.0.0/16',
      enable_dns_hostnames: true,
      enable_dns_support: true,
      tags: { Name: TEST_PREFIX },
    });
    const subnets = stack.all('aws_subnet');
    expect(subnets.map((s: Json) => s.availability_zone)).toEqual(zones);
    subnets.forEach((s: Json, index: number) => {
      expect(s).toMatchObject({ map_public_ip_on_launch: false, tags: { Tier: 'private' } });
      expect(s.cidr_block).toBe(`\${cidrsubnet("10.20.0.0/16", 4, ${index})}`);
    });
    expect(stack.all('aws_route_table_association')).toHaveLength(zones.length);
  });

  test('by default there is no internet or NAT gateway and no route to the internet', () => {
    for (const type of ['aws_internet_gateway', 'aws_nat_gateway', 'aws_eip', 'aws_route']) expect(stack.all(type)).toHaveLength(0);
  });

  test('a NAT gateway is an explicit option: one public NAT subnet without auto-assigned addresses, routed from the private subnets', () => {
    expect(withNat.all('aws_nat_gateway')).toHaveLength(1);
    expect(withNat.all('aws_internet_gateway')).toHaveLength(1);
    expect(withNat.one('aws_subnet', 'nat-public')).toMatchObject({
      map_public_ip_on_launch: false,
      availability_zone: 'us-east-1a',
      cidr_block: '${cidrsubnet("10.30.0.0/18", 4, 15)}',
    });
    expect(withNat.one('aws_route', 'private-default-route')).toEqual({
      route_table_id: withNat.ref('aws_route_table', 'private-routes', 'id'),
      destination_cidr_block: '0.0.0.0/0',
      nat_gateway_id: withNat.ref('aws_nat_gateway', '', 'id'),
    });
  });

  test('an S3 gateway endpoint on the private route table', () => {
    expect(stack.one('aws_vpc_endpoint', 'endpoint-s3')).toMatchObject({
      service_name: 'com.amazonaws.us-east-1.s3',
      vpc_endpoint_type: 'Gateway',
      route_table_ids: [stack.ref('aws_route_table', '', 'id')],
    });
  });

  test('no interface endpoint until a client calls a service: only the free S3 gateway', () => {
    expect(endpointServices(stack)).toEqual(['s3']);
  });

  test('a client gets the endpoints of the services it calls, in every private subnet by default, behind the endpoint group', () => {
    const secrets = withClient(['secretsmanager']);
    const endpoint = secrets.one('aws_vpc_endpoint', 'network_endpoint-secretsmanager');
    expect(endpoint).toMatchObject({ vpc_endpoint_type: 'Interface', private_dns_enabled: true });
    expect(endpoint.subnet_ids).toEqual(zones.map((az) => secrets.ref('aws_subnet', `private-${az}`, 'id')));
    expect(endpoint.security_group_ids).toEqual([secrets.ref('aws_security_group', 'endpoints', 'id')]);
  });

  test('two clients of one service share its endpoint', () => {
    const shared = synthesizeWith((scope) => {
      const network = testNetwork(scope);
      for (const name of ['a', 'b']) {
        const client = new ServiceSecurityGroup(scope, name, { vpc: network.vpc, name: `uh-test-${name}`, description: name });
        network.allowHttpsToAwsApis(client, { services: ['glue'], endpoints: `${name} reads the catalog`, s3: `${name} reads` });
      }
    });
    expect(endpointServices(shared)).toEqual(['glue', 's3']);
    expect(shared.all('aws_vpc_security_group_ingress_rule')).toHaveLength(2);
  });

  test('the interface endpoints follow the clients, in as many AZs as configured', () => {
    expect(endpointServices(withSessionManager)).toEqual(['s3', 'ssm', 'ssmmessages']);
    for (const endpoint of withSessionManager.all('aws_vpc_endpoint').filter((e: Json) => e.vpc_endpoint_type === 'Interface')) {
      expect(endpoint.subnet_ids).toEqual([withSessionManager.ref('aws_subnet', 'private-us-east-1a', 'id')]);
    }
  });

  test('the default security group is managed with no rules', () => {
    const closed = stack.one('aws_default_security_group');
    expect(closed).toEqual({ vpc_id: stack.ref('aws_vpc', '', 'id'), tags: { Name: `${TEST_PREFIX}-default-closed` } });
  });

  test('flow logs record ALL traffic every minute into a log group encrypted with the logs key and kept as configured', () => {
    expect(stack.one('aws_flow_log')).toMatchObject({
      traffic_type: 'ALL',
      log_destination_type: 'cloud-watch-logs',
      log_destination: stack.ref('aws_cloudwatch_log_group', 'flow-log-group', 'arn'),
      iam_role_arn: stack.ref('aws_iam_role', 'flow-log-role', 'arn'),
      max_aggregation_interval: 60,
    });
    expect(stack.one('aws_cloudwatch_log_group')).toEqual({
      name: `/${TEST_PREFIX}/vpc-flow-logs`,
      kms_key_id: stack.ref('aws_kms_key', 'logs-key', 'arn'),
      retention_in_days: 365,
    });
    expect(withNat.one('aws_cloudwatch_log_group').retention_in_days).toBe(731);
  });

  test('the flow-log role trusts VPC Flow Logs for this account’s flow logs only, and writes only its group', () => {
    expect(stack.serviceTrustOf('flow-log-role')).toEqual(
      serviceTrust(['vpc-flow-logs.amazonaws.com'], fromTestAccount(`arn:aws:ec2:us-east-1:${TEST_ENV.accountId}:vpc-flow-log/*`)),
    );
    const group = stack.ref('aws_cloudwatch_log_group', '', 'arn');
    expect(stack.statement(stack.one('aws_iam_role_policy').policy, 'WriteFlowLogGroup')).toMatchObject({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [group, `${group}:*`],
    });
  });

  test('allowHttpsToAwsApis lets a client into the endpoints and out to S3 on 443, with the purposes as descriptions', () => {
    const withClient = synthesizeWith((scope) => {
      const network = testNetwork(scope);
      const client = new ServiceSecurityGroup(scope, 'client', { vpc: network.vpc, name: 'uh-test-client', description: 'Client' });
      network.allowHttpsToAwsApis(client, { services: ['secretsmanager'], endpoints: 'Reads secrets', s3: 'Writes objects' });
    });
    const client = withClient.ref('aws_security_group', 'client', 'id');
    expect(withClient.one('aws_vpc_security_group_ingress_rule')).toMatchObject({
      security_group_id: withClient.ref('aws_security_group', 'endpoints', 'id'),
      referenced_security_group_id: client,
      to_port: 443,
      description: 'Reads secrets (from uh-test-client)',
    });
    expect(withClient.all('aws_vpc_security_group_egress_rule').map((r: Json) => [r.to_port, r.description])).toEqual([
      [443, `Reads secrets (to ${TEST_PREFIX}-vpc-endpoints)`],
      [443, 'Writes objects'],
    ]);
    expect(withClient.one('aws_vpc_security_group_egress_rule', 'prefix-list').prefix_list_id).toBe(
      withClient.ref('aws_vpc_endpoint', 'endpoint-s3', 'prefix_list_id'),
    );
  });
});
