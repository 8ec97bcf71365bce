import { dev, prod } from '../../../config/environments';
import { Json, ref, synthesize } from '../../helpers/synth';

describe('AccessHost', () => {
  const off = synthesize(dev);
  const on = synthesize(prod);

  test('is off by default (dev) and on by config (prod)', () => {
    expect(dev.network.accessHost.enabled).toBe(false);
    expect(off.all('aws_instance')).toHaveLength(0);
    expect(off.outputs().access_host_instance_id.value).toBe('');
    expect(on.all('aws_instance')).toHaveLength(1);
    expect(on.outputs().access_host_instance_id.value).toBe(ref('aws_instance', on.idOf('aws_instance'), 'id'));
  });

  test('has no public address and sits in a private subnet', () => {
    const instance = on.one('aws_instance');
    expect(instance.associate_public_ip_address).toBe(false);
    expect(instance.subnet_id).toMatch(/aws_subnet\.network_private-/);
  });

  test('requires IMDSv2 and encrypts its root volume with a customer-managed key', () => {
    const template = on.one('aws_launch_template');
    expect(template.metadata_options).toMatchObject({ http_tokens: 'required', http_put_response_hop_limit: 1 });
    expect(template.block_device_mappings[0].ebs).toMatchObject({
      encrypted: 'true',
      kms_key_id: ref('aws_kms_key', on.idOf('aws_kms_key', 'database-key'), 'arn'),
    });
  });

  test('resolves its AMI through SSM at launch, with no AMI lookup at plan time', () => {
    expect(on.one('aws_launch_template').image_id).toBe(`resolve:ssm:${prod.network.accessHost.amiSsmParameter}`);
    expect(on.json.data).not.toHaveProperty('aws_ami');
  });

  test('has no SSH key and no inbound rule at all', () => {
    expect(on.one('aws_launch_template')).not.toHaveProperty('key_name');
    const hostGroup = ref('aws_security_group', on.idOf('aws_security_group', 'access-host'), 'id');
    expect(on.all('aws_vpc_security_group_ingress_rule').filter((r: Json) => r.security_group_id === hostGroup)).toEqual([]);
  });

  test('may reach only MySQL, the interface endpoints and S3', () => {
    const hostGroup = ref('aws_security_group', on.idOf('aws_security_group', 'access-host'), 'id');
    const egress = on.all('aws_vpc_security_group_egress_rule').filter((r: Json) => r.security_group_id === hostGroup);
    expect(egress.map((r: Json) => r.to_port).sort()).toEqual([3306, 443, 443]);
    expect(egress.map((r: Json) => r.referenced_security_group_id ?? r.prefix_list_id).sort()).toEqual(
      [
        ref('aws_security_group', on.idOf('aws_security_group', 'database_mysql'), 'id'),
        ref('aws_security_group', on.idOf('aws_security_group', 'endpoints'), 'id'),
        ref('aws_vpc_endpoint', on.idOf('aws_vpc_endpoint', 'endpoint-s3'), 'prefix_list_id'),
      ].sort(),
    );
  });

  test('its role is the Session Manager core policy only, assumed by EC2 of this account', () => {
    const hostRole = ref('aws_iam_role', on.idOf('aws_iam_role', 'access-host'), 'name');
    expect(
      on
        .all('aws_iam_role_policy_attachment')
        .filter((a: Json) => a.role === hostRole)
        .map((a: Json) => a.policy_arn),
    ).toEqual(['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore']);
    const trust = on.statement(on.one('aws_iam_role', 'access-host').assume_role_policy, 'TrustedService');
    expect(trust.principals).toEqual([{ type: 'Service', identifiers: ['ec2.amazonaws.com'] }]);
  });
});
