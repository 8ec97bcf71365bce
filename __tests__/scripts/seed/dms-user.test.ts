/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import type { RowDataPacket } from 'mysql2/promise';
import { mockClient } from 'aws-sdk-client-mock';
import {
  GetSecretValueCommand,
  GetSecretValueCommandInput,
  InternalServiceError,
  InvalidParameterException,
  PutSecretValueCommand,
  PutSecretValueCommandInput,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
  UpdateSecretVersionStageCommandInput,
} from '@aws-sdk/client-secrets-manager';
import { DmsUserError, DmsUserOptions, provisionDmsUser } from '../../../scripts/seed/dms-user';
import { connectOverTls, freshDatabase, useLocalMariadb } from '../../helpers/mariadb';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:unicornhealth-dev-dms-source-AbCdEf';
const SECRET_NAME = 'unicornhealth-dev-dms-source';
const metadata = { httpStatusCode: 400, requestId: 'b6f5c8d2-0000-4000-8000-000000000000' };

interface StoredCredentials {
  readonly username: string;
  readonly password: string;
  readonly [field: string]: unknown;
}

/** The fake's answer as the SDK gives it: a promise, rejected when the service refuses. */
const answer = <T>(work: () => T): Promise<T> => new Promise((resolve) => resolve(work()));

/**
 * One Secrets Manager secret with the service's rules for versions and staging labels: a label sits on one version
 * at a time, the first version of a secret always gets AWSCURRENT, moving AWSCURRENT needs the version it leaves
 * and moves AWSPREVIOUS there, and a secret without a value answers GetSecretValue with ResourceNotFoundException.
 */
class FakeSecret {
  readonly versions = new Map<string, { readonly secretString: string; stages: string[] }>();

  versionWith(stage: string): string | undefined {
    return [...this.versions].find(([, version]) => version.stages.includes(stage))?.[0];
  }

  credentials(stage = 'AWSCURRENT'): StoredCredentials {
    return JSON.parse(this.versions.get(this.versionWith(stage)!)!.secretString) as StoredCredentials;
  }

  get(input: GetSecretValueCommandInput) {
    const versionId = input.VersionId ?? this.versionWith(input.VersionStage ?? 'AWSCURRENT');
    if (!versionId) {
      throw new ResourceNotFoundException({
        message: `Secrets Manager can't find the specified secret value for staging label: ${input.VersionStage ?? 'AWSCURRENT'}`,
        $metadata: metadata,
      });
    }
    const version = this.versions.get(versionId)!;
    return {
      ARN: SECRET_ARN,
      Name: SECRET_NAME,
      VersionId: versionId,
      SecretString: version.secretString,
      VersionStages: [...version.stages],
    };
  }

  put(input: PutSecretValueCommandInput) {
    const versionId = input.ClientRequestToken!;
    const stages = [...(input.VersionStages ?? ['AWSCURRENT'])];
    if (this.versions.size === 0 && !stages.includes('AWSCURRENT')) stages.push('AWSCURRENT');
    for (const stage of stages) {
      const holder = this.versionWith(stage);
      if (holder) this.detach(stage, holder, versionId);
    }
    this.versions.set(versionId, { secretString: input.SecretString!, stages });
    return { ARN: SECRET_ARN, Name: SECRET_NAME, VersionId: versionId, VersionStages: [...stages] };
  }

  update(input: UpdateSecretVersionStageCommandInput) {
    const stage = input.VersionStage!;
    const holder = this.versionWith(stage);
    if (holder && holder !== input.MoveToVersionId && holder !== input.RemoveFromVersionId) {
      throw new InvalidParameterException({
        message: `The staging label ${stage} is currently attached to version ${holder}, but you have specified ${input.RemoveFromVersionId} to remove it from.`,
        $metadata: metadata,
      });
    }
    if (holder && holder !== input.MoveToVersionId) this.detach(stage, holder, input.MoveToVersionId);
    if (input.MoveToVersionId && holder !== input.MoveToVersionId) this.versions.get(input.MoveToVersionId)!.stages.push(stage);
    return { ARN: SECRET_ARN, Name: SECRET_NAME };
  }

  private detach(stage: string, versionId: string, movingTo: string | undefined): void {
    const version = this.versions.get(versionId)!;
    version.stages = version.stages.filter((s) => s !== stage);
    if (stage === 'AWSCURRENT' && movingTo) {
      for (const other of this.versions.values()) other.stages = other.stages.filter((s) => s !== 'AWSPREVIOUS');
      version.stages.push('AWSPREVIOUS');
    }
  }
}

const accessDenied = (action: string): SecretsManagerServiceException =>
  new SecretsManagerServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: metadata,
    message: `User: arn:aws:sts::111111111111:assumed-role/seed/cli is not authorized to perform: secretsmanager:${action} on resource: ${SECRET_ARN} because no identity-based policy allows the secretsmanager:${action} action`,
  });

describe('DMS source user', () => {
  const server = useLocalMariadb();
  const secrets = mockClient(SecretsManagerClient);
  let secret: FakeSecret;
  let users = 0;
  let username: string;
  beforeEach(() => {
    secrets.reset();
    secret = new FakeSecret();
    secrets.on(GetSecretValueCommand).callsFake((input: GetSecretValueCommandInput) => answer(() => secret.get(input)));
    secrets.on(PutSecretValueCommand).callsFake((input: PutSecretValueCommandInput) => answer(() => secret.put(input)));
    secrets
      .on(UpdateSecretVersionStageCommand)
      .callsFake((input: UpdateSecretVersionStageCommandInput) => answer(() => secret.update(input)));
    users += 1;
    username = `dms_test_${users}`;
  });

  const loginOverTls = async (user: string, password: string, database?: string): Promise<string> => {
    const connection = await connectOverTls(server.db(), user, password, database);
    const [rows] = await connection.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_version'");
    await connection.end();
    return String(rows[0].Value);
  };
  const grantsOf = async (user: string): Promise<string[]> => {
    const [rows] = await server.admin().query<RowDataPacket[]>(`SHOW GRANTS FOR '${user}'@'%'`);
    return rows.map((r) => String(Object.values(r)[0]));
  };
  const provision = (database: string, overrides: Partial<DmsUserOptions> = {}) =>
    provisionDmsUser({
      connection: server.admin(),
      database,
      username,
      endpoint: { host: 'db.example.internal', port: 3306 },
      secretArn: SECRET_ARN,
      secrets: new SecretsManagerClient({ region: 'us-east-1' }),
      verifyLogin: async (user, password) => {
        await loginOverTls(user, password);
      },
      ...overrides,
    });
  const failure = async (attempt: Promise<unknown>): Promise<DmsUserError> => {
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DmsUserError);
    return error as DmsUserError;
  };
  const stagedPasswords = (): string[] =>
    secrets.commandCalls(PutSecretValueCommand).map((call) => (JSON.parse(call.args[0].input.SecretString!) as StoredCredentials).password);

  test('first provisioning: the secret gets a first version, and the user logs in with its password over TLS', async () => {
    const database = await freshDatabase(server.admin());
    const result = await provision(database);

    const { password, ...connection } = secret.credentials();
    expect(connection).toEqual({ engine: 'mysql', host: 'db.example.internal', port: 3306, username, dbname: database });
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(secret.versionWith('AWSCURRENT')).toBe(result.versionId);
    const put = secrets.commandCalls(PutSecretValueCommand)[0].args[0].input;
    expect(put).toMatchObject({ SecretId: SECRET_ARN, ClientRequestToken: result.versionId, VersionStages: ['AWSPENDING'] });
    expect(await loginOverTls(username, password, database)).toMatch(/^TLSv1\.[23]$/);
    expect(JSON.stringify(result)).not.toContain(password);
  });

  test('gets exactly SELECT on the clinic database and the replication privileges, TLS required', async () => {
    const database = await freshDatabase(server.admin());
    await server.admin().query(`GRANT INSERT ON ${database}.* TO '${username}'@'%' IDENTIFIED BY 'stale-password'`);
    await provision(database);
    const grants = await grantsOf(username);
    expect(grants).toHaveLength(2);
    expect(grants[0]).toMatch(
      new RegExp(
        `^GRANT (REPLICATION SLAVE, (BINLOG MONITOR|REPLICATION CLIENT)|(BINLOG MONITOR|REPLICATION CLIENT), REPLICATION SLAVE) ON \\*\\.\\* TO \`${username}\`@\`%\`.*REQUIRE SSL`,
      ),
    );
    expect(grants[1]).toBe(`GRANT SELECT ON \`${database}\`.* TO \`${username}\`@\`%\``);
    expect(grants.join('\n')).not.toMatch(/INSERT|ALL PRIVILEGES|GRANT OPTION/);
  });

  test('a rotation whose promotion fails keeps the old password working and AWSCURRENT on the old version', async () => {
    const database = await freshDatabase(server.admin());
    const first = await provision(database);
    const oldPassword = secret.credentials().password;
    const grantsBefore = await grantsOf(username);
    secrets
      .on(UpdateSecretVersionStageCommand, { VersionStage: 'AWSCURRENT' })
      .rejects(new InternalServiceError({ message: 'An error occurred (InternalServiceError) on the server side.', $metadata: metadata }));

    const error = await failure(provision(database));
    const newPassword = stagedPasswords()[1];
    expect(error.step).toBe('promote');
    expect(error.message).toContain(`server side. The DMS secret was not updated (AWSCURRENT is still version ${first.versionId})`);
    expect(error.message).toContain(`the MySQL password of ${username} was restored`);
    expect(error.message).toContain('DMS keeps working with the previous credentials');
    expect(`${error.message}\n${error.stack}`).not.toContain(oldPassword);
    expect(`${error.message}\n${error.stack}`).not.toContain(newPassword);

    expect(secret.versionWith('AWSCURRENT')).toBe(first.versionId);
    expect(secret.credentials().password).toBe(oldPassword);
    expect(secret.versionWith('AWSPENDING')).toBeUndefined();
    expect(await loginOverTls(username, oldPassword, database)).toMatch(/^TLSv1/);
    await expect(loginOverTls(username, newPassword)).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    expect(await grantsOf(username)).toEqual(grantsBefore);
  });

  test('a promotion that took effect although its reply was lost counts as done', async () => {
    const database = await freshDatabase(server.admin());
    await provision(database);
    secrets.on(UpdateSecretVersionStageCommand, { VersionStage: 'AWSCURRENT' }).callsFake((input: UpdateSecretVersionStageCommandInput) =>
      answer(() => {
        secret.update(input);
        throw new InternalServiceError({ message: 'An error occurred (InternalServiceError) on the server side.', $metadata: metadata });
      }),
    );

    const second = await provision(database);
    expect(secret.versionWith('AWSCURRENT')).toBe(second.versionId);
    expect(await loginOverTls(username, secret.credentials().password)).toMatch(/^TLSv1/);
  });

  test('a failure at staging changes nothing in MySQL nor in the secret', async () => {
    const database = await freshDatabase(server.admin());
    const first = await provision(database);
    const oldPassword = secret.credentials().password;
    const grantsBefore = await grantsOf(username);
    secrets.on(PutSecretValueCommand).rejects(accessDenied('PutSecretValue'));

    const error = await failure(provision(database));
    expect(error.step).toBe('stage');
    expect(error.code).toBe('AccessDeniedException');
    expect(error.message).toMatch(/not authorized to perform: secretsmanager:PutSecretValue/);
    expect(error.message).toMatch(/PutSecretValue action\. Nothing was changed: MySQL and the DMS secret are as they were\.$/);
    expect(error.message).not.toContain(oldPassword);
    expect(secret.versionWith('AWSCURRENT')).toBe(first.versionId);
    expect(secret.versions.size).toBe(1);
    expect(await grantsOf(username)).toEqual(grantsBefore);
    expect(await loginOverTls(username, oldPassword)).toMatch(/^TLSv1/);
    expect(secrets.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(1);
  });

  test('a first provisioning whose login check fails drops the user it created and never shows the password', async () => {
    const database = await freshDatabase(server.admin());
    const error = await failure(
      provision(database, {
        verifyLogin: (user, password) => Promise.reject(new Error(`Access denied for user '${user}' using password '${password}'`)),
      }),
    );
    const newPassword = stagedPasswords()[0];
    expect(error.step).toBe('verify');
    expect(error.message).toContain("using password '<redacted>'");
    expect(`${error.message}\n${error.stack}`).not.toContain(newPassword);
    expect(error.message).toContain(`the MySQL user ${username}, new in this run, was dropped`);
    expect(error.message).toContain('The DMS secret had no value');
    expect(error.message).not.toContain('DMS keeps working');
    await expect(grantsOf(username)).rejects.toMatchObject({ code: 'ER_NONEXISTING_GRANT' });
    expect(secret.versionWith('AWSPENDING')).toBeUndefined();
  });

  test('a secret that cannot be read stops everything before any change', async () => {
    const database = await freshDatabase(server.admin());
    secrets.on(GetSecretValueCommand).rejects(accessDenied('GetSecretValue'));
    const error = await failure(provision(database));
    expect(error.step).toBe('read');
    expect(error.message).toMatch(/Nothing was changed\.$/);
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    await expect(grantsOf(username)).rejects.toMatchObject({ code: 'ER_NONEXISTING_GRANT' });
  });

  test('without a login check of its own, it checks over the TLS settings of the connection it was given', async () => {
    const database = await freshDatabase(server.admin());
    const plain = await failure(provision(database, { verifyLogin: undefined }));
    expect(plain.message).toMatch(/requires TLS and this connection does not use TLS.*Nothing was changed\.$/);
    expect(secrets.calls()).toHaveLength(0);

    const overTls = await connectOverTls(server.db(), server.db().user, server.db().password);
    try {
      await provision(database, { connection: overTls, verifyLogin: undefined });
    } finally {
      await overTls.end();
    }
    expect(await loginOverTls(username, secret.credentials().password)).toMatch(/^TLSv1/);
  });
});
