import { mockClient } from 'aws-sdk-client-mock';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { LakeFormationClient } from '@aws-sdk/client-lakeformation';
import { RDSClient } from '@aws-sdk/client-rds';
import { RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import { S3Client } from '@aws-sdk/client-s3';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { STSClient } from '@aws-sdk/client-sts';

/** The account the preflight tests check, and the deploy role's session in it that runs the checks. */
export const PREFLIGHT_ACCOUNT = '111122223333';
export const PREFLIGHT_CALLER = {
  Account: PREFLIGHT_ACCOUNT,
  Arn: `arn:aws:sts::${PREFLIGHT_ACCOUNT}:assumed-role/unicornhealth-deploy/session`,
  UserId: 'AROAEXAMPLEID:session',
};

/** Mocks of every AWS client preflight calls; `reset` clears the answers of all of them. */
export function mockPreflightClients() {
  const mocks = {
    sts: mockClient(STSClient),
    iam: mockClient(IAMClient),
    ec2: mockClient(EC2Client),
    quotas: mockClient(ServiceQuotasClient),
    rds: mockClient(RDSClient),
    lakeFormation: mockClient(LakeFormationClient),
    redshift: mockClient(RedshiftServerlessClient),
    s3: mockClient(S3Client),
  };
  return { ...mocks, reset: (): void => Object.values(mocks).forEach((mock) => mock.reset()) };
}
