import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InputError, UsageError } from '../cli/errors';
import { Outputs, output } from '../terraform/outputs';
import { MysqlTarget, SslMode } from './connection';

/** Where the tools connect: options shared by `seed` and `smoke` (see `addTargetOptions`). */
export interface TargetOptions {
  /** Any MySQL/MariaDB by host; the password comes from MYSQL_PWD. */
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly database?: string;
  readonly sslMode: SslMode;
  /** PEM file of trusted CAs. */
  readonly caBundle?: string;
  readonly tlsServername?: string;
  /** Local address of a Session Manager port forward to the environment's RDS. */
  readonly tunnelHost?: string;
}

function readCaBundle(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`--ca-bundle ${path}: ${(error as Error).message}`);
  }
}

/**
 * Where to connect: any MySQL given by `--host` (password from MYSQL_PWD only), or by default the environment's
 * RDS, named by the Terraform outputs, with the master credentials from Secrets Manager and TLS verified for the
 * real endpoint name even through a port forward.
 */
export async function resolveTarget(
  options: TargetOptions,
  /** Builds the Secrets Manager client, in the environment's region when the outputs name it. */
  secrets: (region?: string) => SecretsManagerClient,
  readOutputs: () => Promise<Outputs>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ target: MysqlTarget; outputs?: Outputs }> {
  const caPem = readCaBundle(options.caBundle);
  if (options.host) {
    for (const flag of ['user', 'database'] as const) if (!options[flag]) throw new UsageError(`--host needs --${flag}`);
    return {
      target: {
        host: options.host,
        port: options.port ?? 3306,
        user: options.user!,
        database: options.database!,
        password: env.MYSQL_PWD ?? '',
        sslMode: options.sslMode,
        caPem,
        tlsServername: options.tlsServername,
      },
    };
  }
  const outputs = await readOutputs();
  const region = typeof outputs.region?.value === 'string' ? outputs.region.value : undefined;
  const secretArn = output(outputs, 'rds_master_secret_arn');
  const secret = await secrets(region).send(new GetSecretValueCommand({ SecretId: secretArn }));
  const credentials = JSON.parse(secret.SecretString ?? '{}') as { username?: string; password?: string };
  if (!credentials.username || !credentials.password) throw new InputError(`the master secret ${secretArn} has no username/password`);
  const endpoint = output(outputs, 'rds_endpoint');
  return {
    outputs,
    target: {
      host: options.tunnelHost ?? endpoint,
      port: options.port ?? Number(output(outputs, 'rds_port')),
      user: credentials.username,
      password: credentials.password,
      database: output(outputs, 'rds_database_name'),
      sslMode: options.sslMode,
      caPem,
      tlsServername: options.tlsServername ?? endpoint,
    },
  };
}
