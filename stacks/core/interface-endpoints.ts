import type { AccessHostConfig, EnvironmentConfig } from '../../config/types';

/**
 * The AWS APIs each service in the VPC calls from inside it, by interface endpoint short name. The network creates an
 * endpoint the first time a client asks for its service (`Network.allowHttpsToAwsApis`), so the set follows what is
 * deployed. S3 is reached through the free gateway endpoint by every client.
 *
 * Nothing else in the VPC calls an AWS API: RDS exports its logs and rotates its managed secret, DMS and Redshift
 * write their logs, EC2 encrypts the host's volume, S3 and Secrets Manager call KMS, and Step Functions, Athena and the
 * Glue crawlers run outside the VPC, all from the services' own networks. Hence no KMS, STS or CloudWatch Logs
 * endpoint.
 */
export const INTERFACE_ENDPOINTS_OF = {
  /**
   * DMS (instance or Serverless) reads the source credentials from Secrets Manager, which needs an endpoint from a
   * private subnet (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_VPC_Endpoints.html,
   * https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Serverless.Limitations.html).
   */
  migration: ['secretsmanager'],
  /**
   * Redshift Serverless with enhanced VPC routing queries the lake on its own compute through the VPC: the Glue catalog
   * (https://docs.aws.amazon.com/redshift/latest/dg/c-spectrum-considerations.html) and Lake Formation's credential
   * vending for the governed tables.
   */
  warehouse: ['glue', 'lakeformation'],
  /**
   * The Session Manager agent registers through `ssm` and opens sessions through `ssmmessages`; since SSM Agent
   * 3.3.40.0 it uses `ssmmessages` instead of `ec2messages` whenever it can reach it
   * (https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html,
   * https://dev.classmethod.jp/articles/vpcendpoint-ec2messages-not-required), and the host runs the latest Amazon
   * Linux 2023 image. Only when operators reach the host through Session Manager: an EC2 Instance Connect Endpoint
   * needs no interface endpoint (`accessHostEndpoints`).
   */
  accessHost: ['ssm', 'ssmmessages'],
} as const;

/** The interface endpoints the access host needs for how operators reach it (`network.accessHost.connection`). */
export function accessHostEndpoints(accessHost: Pick<AccessHostConfig, 'connection'>): readonly string[] {
  return (accessHost.connection ?? 'session-manager') === 'session-manager' ? INTERFACE_ENDPOINTS_OF.accessHost : [];
}

/** The interface endpoints an environment's stack creates, in the order its constructs ask for them. */
export function interfaceEndpointServices(config: Pick<EnvironmentConfig, 'network'>): string[] {
  return [
    ...INTERFACE_ENDPOINTS_OF.migration,
    ...INTERFACE_ENDPOINTS_OF.warehouse,
    ...(config.network.accessHost.enabled ? accessHostEndpoints(config.network.accessHost) : []),
  ];
}
