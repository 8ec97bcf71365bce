import { connect } from 'node:net';
import mysql, { Connection, ConnectionOptions } from 'mysql2/promise';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { EnvironmentError, UsageError } from '../cli/errors';

/** TLS modes with the meaning of the mysql client's `--ssl-mode`. */
export const SSL_MODES = ['DISABLED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface MysqlTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly sslMode: SslMode;
  /** PEM bundle of trusted CAs (the RDS bundle for RDS); needed by VERIFY_CA and VERIFY_IDENTITY. */
  readonly caPem?: string;
  /**
   * Name the server certificate must carry when it differs from `host`: connecting to a Session Manager port
   * forward on 127.0.0.1 while verifying the certificate of the real RDS endpoint.
   */
  readonly tlsServername?: string;
}

/** The `--ssl-mode` value parser: any case, one of `SSL_MODES`. */
export function parseSslMode(value: string): SslMode {
  const mode = value.toUpperCase();
  if (!(SSL_MODES as readonly string[]).includes(mode)) throw new InvalidArgumentError(`"${value}" is not one of ${SSL_MODES.join(', ')}.`);
  return mode as SslMode;
}

/** mysql2 options for a target: TLS per mode, LOAD DATA LOCAL from streams only, dates as text. */
export function connectionOptions(target: MysqlTarget): ConnectionOptions {
  const verify = target.sslMode === 'VERIFY_CA' || target.sslMode === 'VERIFY_IDENTITY';
  if (verify && !target.caPem) {
    throw new UsageError(`--ssl-mode ${target.sslMode} needs the server's CA bundle (--ca-bundle FILE)`);
  }
  const ssl =
    target.sslMode === 'DISABLED'
      ? undefined
      : {
          ...(target.caPem ? { ca: target.caPem } : {}),
          rejectUnauthorized: verify,
          verifyIdentity: target.sslMode === 'VERIFY_IDENTITY',
          minVersion: 'TLSv1.2',
        };
  const forwarded = target.tlsServername && target.tlsServername !== target.host;
  return {
    // mysql2 verifies the certificate against `host`; through a port forward that is the real endpoint name,
    // while the socket goes to the forwarded address.
    host: forwarded ? target.tlsServername : target.host,
    port: target.port,
    ...(forwarded ? { stream: () => connect(target.port, target.host) } : {}),
    user: target.user,
    password: target.password,
    database: target.database,
    ssl,
    dateStrings: true,
    decimalNumbers: false,
    supportBigNumbers: true,
    multipleStatements: false,
    connectTimeout: 15_000,
  };
}

/** Connects to a target; a server that cannot be reached or refuses the login is an environment error naming it. */
export async function connectMysql(target: MysqlTarget): Promise<Connection> {
  const options = connectionOptions(target);
  try {
    return await mysql.createConnection(options);
  } catch (error) {
    const failure = error as Error & { code?: string };
    throw new EnvironmentError(
      `cannot connect to MySQL at ${target.host}:${target.port} as ${target.user}: ${failure.message}`,
      { code: failure.code },
      { cause: error },
    );
  }
}
