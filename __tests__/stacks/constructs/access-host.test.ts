import { prod } from '../../../config/environments';
import { AccessHost, AccessHostProps } from '../../../stacks/constructs/access-host';
import {
  Json,
  SynthesizedStack,
  TEST_ENV,
  TEST_PREFIX,
  mysqlAndAwsApiTargets,
  serviceTrust,
  synthesizeWith,
  testDatabase,
  testKey,
  testNetwork,
} from '../../helpers/synth';

describe('AccessHost', () => {
  const { instanceType, amiSsmParameter } = prod.network.accessHost;
  const build = (props: Partial<AccessHostProps> = {}): SynthesizedStack =>
    synthesizeWith((scope) => {
      new AccessHost(scope, 'access-host', {
        instanceType,
        amiSsmParameter,
        environment: TEST_ENV,
        namePrefix: TEST_PREFIX,
        network: testNetwork(scope),
        database: testDatabase(scope),
        volumeKey: testKey(scope, 'database'),
        ...props,
      });
    });
  const stack = build();
  const hostGroup = stack.ref('aws_security_group', 'access-host', 'id');

  test('has no public address and sits in the network’s first private subnet, with its group and detailed monitoring', () => {
    expect(stack.one('aws_instance')).toMatchObject({
      associate_public_ip_address: false,
      subnet_id: stack.ref('aws_subnet', 'private-us-east-1a', 'id'),
      vpc_security_group_ids: [hostGroup],
      monitoring: true,
      launch_template: { id: stack.ref('aws_launch_template', '', 'id') },
    });
  });

  test('requires IMDSv2 and encrypts an 8 GiB gp3 root volume with the given key by default', () => {
    const template = stack.one('aws_launch_template');
    expect(template.metadata_options).toEqual({
      http_endpoint: 'enabled',
      http_tokens: 'required',
      http_put_response_hop_limit: 1,
      instance_metadata_tags: 'disabled',
    });
    expect(template.block_device_mappings[0].ebs).toEqual({
      encrypted: 'true',
      kms_key_id: stack.ref('aws_kms_key', 'database-key', 'arn'),
      volume_size: 8,
      volume_type: 'gp3',
      delete_on_termination: 'true',
    });
  });

  test('the volume size is an option', () => {
    expect(build({ volumeSizeGiB: 16 }).one('aws_launch_template').block_device_mappings[0].ebs.volume_size).toBe(16);
  });

  test('resolves its AMI through SSM at launch, with no AMI lookup at plan time, and runs the configured type', () => {
    expect(stack.one('aws_launch_template')).toMatchObject({
      image_id: `resolve:ssm:${prod.network.accessHost.amiSsmParameter}`,
      instance_type: prod.network.accessHost.instanceType,
    });
    expect(stack.json.data).not.toHaveProperty('aws_ami');
  });

  test('has no SSH key and no inbound rule at all', () => {
    expect(stack.one('aws_launch_template')).not.toHaveProperty('key_name');
    expect(stack.ingressOf(hostGroup)).toEqual([]);
  });

  test('may reach only MySQL, the interface endpoints and S3, and the database and endpoints admit it', () => {
    expect(stack.egressTargets(hostGroup)).toEqual(mysqlAndAwsApiTargets(stack));
    const admitted = stack.all('aws_vpc_security_group_ingress_rule').filter((r: Json) => r.referenced_security_group_id === hostGroup);
    expect(admitted.map((r: Json) => r.description).sort()).toEqual([
      `Operator port forwarding to MySQL (from ${TEST_PREFIX}-access-host)`,
      `Session Manager agent to AWS APIs (from ${TEST_PREFIX}-access-host)`,
    ]);
  });

  test('its role is the Session Manager core policy only, assumed by EC2 (which documents no source conditions), through a profile', () => {
    const roleName = stack.ref('aws_iam_role', 'access-host', 'name');
    expect(stack.one('aws_iam_role_policy_attachment')).toEqual({
      role: roleName,
      policy_arn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
    });
    expect(stack.all('aws_iam_role_policy').filter((p: Json) => p.role === roleName)).toEqual([]);
    expect(stack.serviceTrustOf('access-host')).toEqual(serviceTrust(['ec2.amazonaws.com']));
    expect(stack.one('aws_iam_instance_profile')).toEqual({ name: `${TEST_PREFIX}-access-host`, role: roleName });
    expect(stack.one('aws_launch_template').iam_instance_profile).toEqual({ arn: stack.ref('aws_iam_instance_profile', '', 'arn') });
  });
});

describe('AccessHost reached through an EC2 Instance Connect Endpoint', () => {
  const { instanceType, amiSsmParameter } = prod.network.accessHost;
  const build = (connection: AccessHostProps['connection']): SynthesizedStack =>
    synthesizeWith((scope) => {
      new AccessHost(scope, 'access-host', {
        instanceType,
        amiSsmParameter,
        connection,
        environment: TEST_ENV,
        namePrefix: TEST_PREFIX,
        network: testNetwork(scope),
        database: testDatabase(scope),
        volumeKey: testKey(scope, 'database'),
      });
    });
  const stack = build('instance-connect-endpoint');
  const hostGroup = stack.ref('aws_security_group', 'access-host_group', 'id');
  const endpointGroup = stack.ref('aws_security_group', 'instance-connect-endpoint', 'id');

  test('Session Manager is the default: no endpoint, and the ssm and ssmmessages interface endpoints', () => {
    for (const defaulted of [build(undefined), build('session-manager')]) {
      expect(defaulted.all('aws_ec2_instance_connect_endpoint')).toEqual([]);
      expect(defaulted.all('aws_vpc_endpoint').map((e: Json) => e.service_name.split('.').pop())).toEqual(
        expect.arrayContaining(['ssm', 'ssmmessages']),
      );
    }
  });

  test('one endpoint in the host’s subnet, with its own group, and the operator’s address not preserved', () => {
    expect(stack.one('aws_ec2_instance_connect_endpoint')).toEqual({
      subnet_id: stack.ref('aws_subnet', 'private-us-east-1a', 'id'),
      security_group_ids: [endpointGroup],
      preserve_client_ip: false,
      tags: { Name: `${TEST_PREFIX}-access-host` },
    });
    expect(stack.one('aws_instance').subnet_id).toBe(stack.ref('aws_subnet', 'private-us-east-1a', 'id'));
  });

  test('the endpoint may open SSH to the host only, and the host admits SSH from the endpoint only', () => {
    expect(stack.ingressOf(endpointGroup)).toEqual([]);
    expect(stack.egressTargets(endpointGroup)).toEqual([[22, hostGroup]]);
    expect(stack.ingressOf(hostGroup)).toEqual([
      expect.objectContaining({ referenced_security_group_id: endpointGroup, ip_protocol: 'tcp', from_port: 22, to_port: 22 }),
    ]);
  });

  test('no ssm or ssmmessages endpoint: the host may reach only MySQL and S3', () => {
    expect(stack.all('aws_vpc_endpoint').map((e: Json) => e.service_name.split('.').pop())).toEqual(['s3']);
    expect(stack.egressTargets(hostGroup)).toEqual(
      [
        [3306, stack.ref('aws_security_group', 'database_mysql', 'id')],
        [443, stack.ref('aws_vpc_endpoint', 'endpoint-s3', 'prefix_list_id')],
      ].sort(),
    );
  });

  test('no role, no instance profile, no Session Manager policy: nothing on the host calls AWS', () => {
    // The test network's flow-log role is the only role in the stack.
    expect(stack.all('aws_iam_role').map((r: Json) => r.name)).toEqual([`${TEST_PREFIX}-vpc-flow-logs`]);
    expect(stack.all('aws_iam_role_policy_attachment').filter((a: Json) => String(a.policy_arn).includes('SSM'))).toEqual([]);
    expect(stack.all('aws_iam_instance_profile')).toEqual([]);
    expect(stack.one('aws_launch_template')).not.toHaveProperty('iam_instance_profile');
  });

  test('keeps IMDSv2, the encrypted root volume, no public address and no key pair', () => {
    const template = stack.one('aws_launch_template');
    expect(template.metadata_options).toMatchObject({ http_tokens: 'required', http_put_response_hop_limit: 1 });
    expect(template.block_device_mappings[0].ebs).toMatchObject({
      encrypted: 'true',
      kms_key_id: stack.ref('aws_kms_key', 'database-key', 'arn'),
    });
    expect(template).not.toHaveProperty('key_name');
    expect(stack.one('aws_instance').associate_public_ip_address).toBe(false);
  });
});
