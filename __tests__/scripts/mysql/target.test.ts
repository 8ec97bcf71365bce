import { mockClient } from 'aws-sdk-client-mock';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InputError, UsageError } from '../../../scripts/cli/errors';
import { resolveTarget } from '../../../scripts/mysql/target';
import { Outputs } from '../../../scripts/terraform/outputs';

const VERIFIED = { sslMode: 'VERIFY_IDENTITY' } as const;

const ENDPOINT = 'unicornhealth-dev-mysql.c9akciq32.us-east-1.rds.amazonaws.com';
const OUTPUTS: Outputs = {
  region: { value: 'eu-central-1' },
  rds_endpoint: { value: ENDPOINT },
  rds_port: { value: 3306 },
  rds_database_name: { value: 'unicornhealth' },
  rds_master_secret_arn: { value: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:rds!db-1234-AbCd' },
};

describe('seed target resolution', () => {
  const secrets = mockClient(SecretsManagerClient);
  const client = (): SecretsManagerClient => new SecretsManagerClient({ region: 'us-east-1' });
  beforeEach(() => secrets.reset());

  test('by default the RDS endpoint and master credentials come from the outputs and Secrets Manager', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'clinic_admin', password: 's3cr3t-from-rds' }) });
    const regions: (string | undefined)[] = [];
    const { target } = await resolveTarget(
      VERIFIED,
      (region) => (regions.push(region), client()),
      async () => OUTPUTS,
      {},
    );
    expect(regions).toEqual(['eu-central-1']);
    expect(target).toMatchObject({
      host: ENDPOINT,
      port: 3306,
      user: 'clinic_admin',
      database: 'unicornhealth',
      sslMode: 'VERIFY_IDENTITY',
      tlsServername: ENDPOINT,
    });
    expect(secrets.commandCalls(GetSecretValueCommand)[0].args[0].input.SecretId).toBe(OUTPUTS.rds_master_secret_arn.value);
  });

  test('through a port forward the target is the tunnel, and TLS is to verify the real endpoint name', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'clinic_admin', password: 'x' }) });
    const { target } = await resolveTarget({ ...VERIFIED, tunnelHost: '127.0.0.1', port: 13306 }, client, async () => OUTPUTS, {});
    expect(target).toMatchObject({ host: '127.0.0.1', port: 13306, tlsServername: ENDPOINT, sslMode: 'VERIFY_IDENTITY' });
  });

  test('a secret without credentials and a missing output are clear errors', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{}' });
    await expect(resolveTarget(VERIFIED, client, async () => OUTPUTS, {})).rejects.toThrow(InputError);
    await expect(resolveTarget(VERIFIED, client, async () => OUTPUTS, {})).rejects.toThrow(
      /the master secret .* has no username\/password/,
    );
    await expect(resolveTarget(VERIFIED, client, async () => ({}), {})).rejects.toThrow(
      'Terraform output rds_master_secret_arn is missing',
    );
  });

  test('Secrets Manager refusing access surfaces its own error', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('not authorized to perform: secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' }));
    await expect(resolveTarget(VERIFIED, client, async () => OUTPUTS, {})).rejects.toThrow(/not authorized/);
  });

  test('any MySQL by flags takes its password from MYSQL_PWD; --host needs --user and --database', async () => {
    const { target } = await resolveTarget(
      { host: 'db.local', user: 'clinic', database: 'clinic', sslMode: 'REQUIRED' },
      client,
      async () => OUTPUTS,
      {
        MYSQL_PWD: 'from-env',
      },
    );
    expect(target).toMatchObject({ host: 'db.local', port: 3306, password: 'from-env', sslMode: 'REQUIRED' });
    await expect(resolveTarget({ host: 'db.local', user: 'u', sslMode: 'REQUIRED' }, client, async () => OUTPUTS)).rejects.toThrow(
      new UsageError('--host needs --database'),
    );
  });
});
