import { randomBytes } from 'node:crypto';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { quoteIdentifier } from '../../contract/mysql';

/** What DMS needs of a MySQL source: read the tables, and read the binary log for change capture. */
export const DMS_GLOBAL_PRIVILEGES = ['REPLICATION CLIENT', 'REPLICATION SLAVE'] as const;

export interface DmsUserOptions {
  readonly connection: Connection;
  readonly database: string;
  /** @default 'dms_reader' */
  readonly username?: string;
  /** Host and port DMS connects to, written into the secret. */
  readonly endpoint: { readonly host: string; readonly port: number };
  readonly secretArn: string;
  readonly secrets: SecretsManagerClient;
}

export interface DmsUserResult {
  readonly username: string;
  readonly secretArn: string;
  readonly grants: string[];
}

/**
 * Creates or updates the MySQL user DMS reads with: a fresh generated password, TLS required, and exactly
 * SELECT on the clinic database plus the two replication privileges. Host, port, username and password go
 * straight into the DMS Secrets Manager secret; the password is never printed, logged or returned.
 */
export async function provisionDmsUser(options: DmsUserOptions): Promise<DmsUserResult> {
  const { connection } = options;
  const username = options.username ?? 'dms_reader';
  if (!/^[a-z][a-z0-9_]{2,31}$/.test(username)) throw new Error(`--dms-user "${username}" must be 3-32 lower-case letters, digits or _`);
  const password = randomBytes(24).toString('base64url');
  const account = `${connection.escape(username)}@'%'`;

  await connection.query(`CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${connection.escape(password)} REQUIRE SSL`);
  await connection.query(`ALTER USER ${account} IDENTIFIED BY ${connection.escape(password)} REQUIRE SSL`);
  await connection.query(`REVOKE ALL PRIVILEGES, GRANT OPTION FROM ${account}`);
  await connection.query(`GRANT SELECT ON ${quoteIdentifier(options.database)}.* TO ${account}`);
  await connection.query(`GRANT ${DMS_GLOBAL_PRIVILEGES.join(', ')} ON *.* TO ${account}`);

  await options.secrets.send(
    new PutSecretValueCommand({
      SecretId: options.secretArn,
      SecretString: JSON.stringify({
        engine: 'mysql',
        host: options.endpoint.host,
        port: options.endpoint.port,
        username,
        password,
        dbname: options.database,
      }),
    }),
  );
  const [rows] = await connection.query<RowDataPacket[]>(`SHOW GRANTS FOR ${account}`);
  return { username, secretArn: options.secretArn, grants: rows.map((r) => String(Object.values(r)[0]).replace(/IDENTIFIED BY PASSWORD '[^']*'/, 'IDENTIFIED BY PASSWORD <redacted>')) };
}
