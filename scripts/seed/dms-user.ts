import { randomBytes, randomUUID } from 'node:crypto';
import mysql, { Connection, RowDataPacket } from 'mysql2/promise';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
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
  /**
   * Logs in as the DMS user with its new password over TLS, as DMS will, and throws if that fails; it must never
   * print the password. @default a login to the server of `connection` with its host, port and TLS settings (and a
   * refusal to start when `connection` does not use TLS, since the user requires it)
   */
  readonly verifyLogin?: (username: string, password: string) => Promise<void>;
}

export interface DmsUserResult {
  readonly username: string;
  readonly secretArn: string;
  /** The version of the secret that now carries AWSCURRENT. */
  readonly versionId: string;
  readonly grants: string[];
}

/** The steps of a Secrets Manager rotation (createSecret, setSecret, testSecret, finishSecret), as done here. */
export type DmsUserStep = 'read' | 'stage' | 'apply' | 'verify' | 'promote';

const STEP_TEXT: Record<DmsUserStep, string> = {
  read: 'reading the current DMS secret and MySQL user',
  stage: 'staging the new password as AWSPENDING',
  apply: 'setting the new password and grants in MySQL',
  verify: 'logging in as the DMS user with the new password over TLS',
  promote: 'moving AWSCURRENT to the new version',
};

/** Provisioning failed at `step`; the message says what changed and what was restored. Never holds a password. */
export class DmsUserError extends Error {
  override name = 'DmsUserError';
  constructor(
    readonly step: DmsUserStep,
    message: string,
    /** The failure's own code or name (a MySQL error code, an AWS exception name), for callers that classify it. */
    readonly code?: string,
  ) {
    super(message);
  }
}

const AWSCURRENT = 'AWSCURRENT';
const AWSPENDING = 'AWSPENDING';

interface CurrentSecret {
  readonly versionId: string;
  /** The credentials DMS uses now, when the secret holds a username and password. */
  readonly username?: string;
  readonly password?: string;
}

const errorText = (error: unknown): string => {
  const failure = error as { name?: string; message?: string };
  return failure?.message ? `${failure.name && failure.name !== 'Error' ? `${failure.name}: ` : ''}${failure.message}` : String(error);
};
const errorCode = (error: unknown): string | undefined => {
  const failure = error as { code?: string; name?: string };
  return failure?.code ?? failure?.name;
};

/** The AWSCURRENT version, or undefined for a secret that has no value yet (the first provisioning). */
async function readCurrentSecret(secrets: SecretsManagerClient, secretArn: string): Promise<CurrentSecret | undefined> {
  let response;
  try {
    response = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: AWSCURRENT }));
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
  let credentials: { username?: unknown; password?: unknown } = {};
  try {
    credentials = JSON.parse(response.SecretString ?? '{}') as typeof credentials;
  } catch {
    // Not JSON: it holds no credentials DMS could be using, so there is nothing to restore from it.
  }
  return {
    versionId: response.VersionId!,
    username: typeof credentials.username === 'string' ? credentials.username : undefined,
    password: typeof credentials.password === 'string' ? credentials.password : undefined,
  };
}

/** SHOW GRANTS of an account without its password hash, or undefined when the account does not exist. */
async function grantsOf(connection: Connection, account: string): Promise<string[] | undefined> {
  try {
    const [rows] = await connection.query<RowDataPacket[]>(`SHOW GRANTS FOR ${account}`);
    return rows.map((r) => String(Object.values(r)[0]).replace(/IDENTIFIED BY PASSWORD '[^']*'/, 'IDENTIFIED BY PASSWORD <redacted>'));
  } catch (error) {
    if ((error as { code?: string }).code === 'ER_NONEXISTING_GRANT') return undefined;
    throw error;
  }
}

/** The default check: the admin connection's server, host, port and TLS settings, logged in as the DMS user. */
function loginLike(connection: Connection): (username: string, password: string) => Promise<void> {
  const { host, port, ssl } = connection.config;
  return async (user, password) => {
    // `stream` is how a connection through a port forward reaches the server while `host` names the certificate.
    const login = await mysql.createConnection({
      host,
      port,
      ssl,
      stream: connection.config.stream as unknown,
      user,
      password,
      connectTimeout: 15_000,
    });
    await login.end();
  };
}

/**
 * Creates or updates the MySQL user DMS reads with (a fresh generated password, TLS required, exactly SELECT on the
 * clinic database plus the two replication privileges) in the order of a Secrets Manager rotation, so that DMS is
 * never left with credentials that do not work:
 * 1. read the AWSCURRENT credentials (none yet: the first provisioning);
 * 2. stage the new ones as a version labelled AWSPENDING;
 * 3. set the new password and the grants in MySQL;
 * 4. log in with the new password over TLS;
 * 5. move AWSCURRENT to the new version.
 * When a step after 2 fails, the previous MySQL password (from AWSCURRENT) is put back, AWSCURRENT stays where it was
 * and the error says what changed and what was restored. The password is never printed, logged or returned.
 */
export async function provisionDmsUser(options: DmsUserOptions): Promise<DmsUserResult> {
  const { connection, secrets, secretArn } = options;
  const username = options.username ?? 'dms_reader';
  if (!/^[a-z][a-z0-9_]{2,31}$/.test(username)) throw new Error(`--dms-user "${username}" must be 3-32 lower-case letters, digits or _`);
  if (!options.verifyLogin && !connection.config.ssl) {
    throw new DmsUserError(
      'verify',
      `DMS user ${username} not provisioned: it requires TLS and this connection does not use TLS, so its login cannot be checked. Nothing was changed.`,
    );
  }
  const verifyLogin = options.verifyLogin ?? loginLike(connection);
  const account = `${connection.escape(username)}@'%'`;
  const password = randomBytes(24).toString('base64url');
  // Every password this run handles; error texts (a MySQL error quotes its statement) are scrubbed of them.
  const passwords = [password];
  const failed = (step: DmsUserStep, error: unknown, consequences: string): DmsUserError => {
    const cause = errorText(error).replace(/\.?$/, '.');
    const message = `DMS user ${username} not provisioned: ${STEP_TEXT[step]} failed: ${cause} ${consequences[0].toUpperCase()}${consequences.slice(1)}.`;
    return new DmsUserError(
      step,
      passwords.reduce((hidden, secret) => hidden.replaceAll(secret, '<redacted>'), message),
      errorCode(error),
    );
  };

  let current: CurrentSecret | undefined;
  let grantsBefore: string[] | undefined;
  try {
    current = await readCurrentSecret(secrets, secretArn);
    grantsBefore = await grantsOf(connection, account);
  } catch (error) {
    throw failed('read', error, 'nothing was changed');
  }
  const previousPassword = current?.username === username ? current.password : undefined;
  if (previousPassword) passwords.push(previousPassword);

  const versionId = randomUUID();
  try {
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: secretArn,
        ClientRequestToken: versionId,
        VersionStages: [AWSPENDING],
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
  } catch (error) {
    throw failed('stage', error, 'nothing was changed: MySQL and the DMS secret are as they were');
  }

  let step: DmsUserStep = 'apply';
  try {
    await connection.query(`CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${connection.escape(password)} REQUIRE SSL`);
    await connection.query(`ALTER USER ${account} IDENTIFIED BY ${connection.escape(password)} REQUIRE SSL`);
    await connection.query(`REVOKE ALL PRIVILEGES, GRANT OPTION FROM ${account}`);
    await connection.query(`GRANT SELECT ON ${quoteIdentifier(options.database)}.* TO ${account}`);
    await connection.query(`GRANT ${DMS_GLOBAL_PRIVILEGES.join(', ')} ON *.* TO ${account}`);
    step = 'verify';
    await verifyLogin(username, password);
    step = 'promote';
    await secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretArn,
        VersionStage: AWSCURRENT,
        MoveToVersionId: versionId,
        RemoveFromVersionId: current?.versionId,
      }),
    );
  } catch (error) {
    // A promotion whose reply was lost may still have happened (and its retry then fails, the label having moved).
    const promoted = step === 'promote' && (await readCurrentSecret(secrets, secretArn).catch(() => undefined))?.versionId === versionId;
    if (!promoted) {
      const consequences = await undo({ options, username, account, current, previousPassword, grantsBefore, versionId });
      throw failed(step, error, consequences);
    }
  }
  return { username, secretArn, versionId, grants: (await grantsOf(connection, account)) ?? [] };
}

/** Puts MySQL back as DMS knows it and withdraws the staged version; returns what changed and what was restored. */
async function undo(state: {
  readonly options: DmsUserOptions;
  readonly username: string;
  readonly account: string;
  readonly current: CurrentSecret | undefined;
  readonly previousPassword: string | undefined;
  readonly grantsBefore: string[] | undefined;
  readonly versionId: string;
}): Promise<string> {
  const { options, username, account, current, previousPassword, grantsBefore, versionId } = state;
  const { connection } = options;
  const notes: string[] = [];

  if (!current) {
    notes.push(
      `the DMS secret had no value, so Secrets Manager made the staged version ${versionId} its first AWSCURRENT: its credentials failed this run and must not be relied on until --dms-user succeeds`,
    );
  } else {
    notes.push(`the DMS secret was not updated (AWSCURRENT is still version ${current.versionId})`);
  }
  try {
    await options.secrets.send(
      new UpdateSecretVersionStageCommand({ SecretId: options.secretArn, VersionStage: AWSPENDING, RemoveFromVersionId: versionId }),
    );
  } catch (error) {
    notes.push(`the staged version ${versionId} keeps its AWSPENDING label (removing it failed: ${errorText(error)})`);
  }

  let restored = false;
  try {
    if (!grantsBefore) {
      await connection.query(`DROP USER IF EXISTS ${account}`);
      notes.push(`the MySQL user ${username}, new in this run, was dropped`);
    } else if (previousPassword) {
      await connection.query(`ALTER USER ${account} IDENTIFIED BY ${connection.escape(previousPassword)}`);
      restored = true;
      notes.push(`the MySQL password of ${username} was restored`);
      const grantsAfter = await grantsOf(connection, account);
      if (JSON.stringify(grantsAfter) !== JSON.stringify(grantsBefore)) {
        notes.push(`its grants are now ${(grantsAfter ?? []).join('; ')} (they were ${grantsBefore.join('; ')})`);
      }
    } else {
      notes.push(`the MySQL password of ${username} was changed and cannot be restored: the DMS secret held no password for ${username}`);
    }
  } catch (error) {
    notes.push(`putting MySQL back failed (${errorText(error)}): the MySQL password of ${username} may be the new one`);
  }

  if (current && (restored || current.username !== username)) notes.push('DMS keeps working with the previous credentials');
  return notes.join('; ');
}
