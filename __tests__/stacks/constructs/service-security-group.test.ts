import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { ServiceSecurityGroup } from '../../../stacks/constructs/service-security-group';
import { synthesizeWith } from '../../helpers/synth';

describe('ServiceSecurityGroup', () => {
  const stack = synthesizeWith((scope) => {
    const vpc = new Vpc(scope, 'vpc', { cidrBlock: '10.0.0.0/16' });
    const server = new ServiceSecurityGroup(scope, 'mysql', { vpc, name: 'uh-test-mysql', description: 'MySQL' });
    const client = new ServiceSecurityGroup(scope, 'dms', { vpc, name: 'uh-test-dms', description: 'DMS' });
    server.allowTcpFrom(client, 3306, 'Full load');
    client.allowTcpToPrefixList('pl-123', 443, 'Writes to S3');
  });
  const group = (name: string): string => stack.ref('aws_security_group', `${name}_`, 'id');

  test('a group is named and tagged, in its VPC, and starts without a single rule', () => {
    expect(stack.one('aws_security_group', 'mysql_')).toEqual({
      name: 'uh-test-mysql',
      description: 'MySQL',
      vpc_id: stack.ref('aws_vpc', '', 'id'),
      revoke_rules_on_delete: true,
      tags: { Name: 'uh-test-mysql' },
    });
    for (const group of stack.all('aws_security_group')) {
      expect(group).not.toHaveProperty('ingress');
      expect(group).not.toHaveProperty('egress');
    }
  });

  test('allowTcpFrom adds the pair: ingress on the server from the client and egress on the client to the server', () => {
    expect(stack.one('aws_vpc_security_group_ingress_rule', 'mysql_from-dms-3306')).toEqual({
      security_group_id: group('mysql'),
      referenced_security_group_id: group('dms'),
      ip_protocol: 'tcp',
      from_port: 3306,
      to_port: 3306,
      description: 'Full load (from uh-test-dms)',
    });
    expect(stack.one('aws_vpc_security_group_egress_rule', 'dms_to-mysql-3306')).toEqual({
      security_group_id: group('dms'),
      referenced_security_group_id: group('mysql'),
      ip_protocol: 'tcp',
      from_port: 3306,
      to_port: 3306,
      description: 'Full load (to uh-test-mysql)',
    });
  });

  test('allowTcpToPrefixList adds egress to the prefix list only', () => {
    expect(stack.one('aws_vpc_security_group_egress_rule', 'to-prefix-list-443')).toEqual({
      security_group_id: group('dms'),
      prefix_list_id: 'pl-123',
      ip_protocol: 'tcp',
      from_port: 443,
      to_port: 443,
      description: 'Writes to S3',
    });
    expect(stack.all('aws_vpc_security_group_ingress_rule')).toHaveLength(1);
  });

  test('no rule opens an address range', () => {
    for (const rule of [...stack.all('aws_vpc_security_group_ingress_rule'), ...stack.all('aws_vpc_security_group_egress_rule')]) {
      expect(rule).not.toHaveProperty('cidr_ipv4');
      expect(rule).not.toHaveProperty('cidr_ipv6');
    }
  });
});
