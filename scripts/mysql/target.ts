import { readFileSync } from 'node:fs';
import { $ } from 'zx';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MysqlTarget, parseSslMode } from './connection';

/** `terraform output -json`: every output by name. */
export type Outputs = Record<string, { value: unknown }>;

/** A mistake in how the command was called or configured (exit 2), as opposed to a failed load (exit 1). */
export class UsageError extends Error {}

/**
 * The Terraform outputs of an environment: `--outputs FILE` (saved `terraform output -json`), or `terraform output
 * -json` of the synthesized stack of `--env` (default dev).
 */
export async function readTerraformOutputs(flags: {
  readonly outputs?: string;
  readonly env?: string;
  readonly [flag: string]: unknown;
}): Promise<Outputs> {
  if (flags.outputs) return JSON.parse(readFileSync(flags.outputs, 'utf8')) as Outputs;
  const stack = `cdktf.out/stacks/unicornhealth-${flags.env ?? 'dev'}`;
  const result = await $({ quiet: true, nothrow: true })`terraform -chdir=${stack} output -json`;
  if (result.exitCode !== 0)
    throw new UsageError(`cannot read Terraform outputs of ${stack}: ${result.stderr.trim() || 'run npm run synth and deploy first'}`);
  return JSON.parse(result.stdout) as Outputs;
}

export function output(outputs: Outputs, name: string): string {
  const value = outputs[name]?.value;
  if (value === undefined || value === '') throw new UsageError(`Terraform output ${name} is missing`);
  return String(value);
}

export interface TargetFlags {
  readonly host?: string;
  readonly port?: string;
  readonly user?: string;
  readonly database?: string;
  readonly password?: string;
  readonly 'ssl-mode'?: string;
  readonly 'ca-bundle'?: string;
  readonly 'tls-servername'?: string;
  readonly 'tunnel-host'?: string;
  readonly [flag: string]: unknown;
}

/**
 * Where to load: any MySQL given by flags (password from MYSQL_PWD only), or by default the environment's RDS,
 * named by the Terraform outputs, with the master credentials from Secrets Manager and TLS verified for the real
 * endpoint name even through a port forward.
 */
export async function resolveTarget<F extends TargetFlags>(
  flags: F,
  /** Builds the Secrets Manager client, in the environment's region when the outputs name it. */
  secrets: (region?: string) => SecretsManagerClient,
  readOutputs: (flags: F) => Promise<Outputs>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ target: MysqlTarget; outputs?: Outputs }> {
  const sslMode = parseSslMode(flags['ssl-mode'] ?? 'VERIFY_IDENTITY');
  const caPem = flags['ca-bundle'] ? readFileSync(flags['ca-bundle'], 'utf8') : undefined;
  if (flags.password !== undefined) throw new UsageError('passwords are never flags: set MYSQL_PWD');
  if (flags.host) {
    for (const flag of ['user', 'database'] as const) if (!flags[flag]) throw new UsageError(`--host needs --${flag}`);
    return {
      target: {
        host: flags.host,
        port: Number(flags.port ?? 3306),
        user: flags.user!,
        database: flags.database!,
        password: env.MYSQL_PWD ?? '',
        sslMode,
        caPem,
        tlsServername: flags['tls-servername'],
      },
    };
  }
  const outputs = await readOutputs(flags);
  const region = outputs.region?.value ? String(outputs.region.value) : undefined;
  const secret = await secrets(region).send(new GetSecretValueCommand({ SecretId: output(outputs, 'rds_master_secret_arn') }));
  const credentials = JSON.parse(secret.SecretString ?? '{}') as { username?: string; password?: string };
  if (!credentials.username || !credentials.password) throw new UsageError('the master secret has no username/password');
  const endpoint = output(outputs, 'rds_endpoint');
  return {
    outputs,
    target: {
      host: flags['tunnel-host'] ?? endpoint,
      port: Number(flags.port ?? output(outputs, 'rds_port')),
      user: credentials.username,
      password: credentials.password,
      database: output(outputs, 'rds_database_name'),
      sslMode,
      caPem,
      tlsServername: flags['tls-servername'] ?? endpoint,
    },
  };
}
