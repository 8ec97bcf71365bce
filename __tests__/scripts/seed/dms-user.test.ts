import type { RowDataPacket } from 'mysql2/promise';
import { mockClient } from 'aws-sdk-client-mock';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { provisionDmsUser } from '../../../scripts/seed/dms-user';
import { freshDatabase, useLocalMariadb } from '../../helpers/mariadb';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:unicornhealth-dev-dms-source-AbCdEf';

describe('DMS source user', () => {
  const server = useLocalMariadb();
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => secrets.reset());

  const grantsOf = async (user: string): Promise<string[]> => {
    const [rows] = await server.admin().query<RowDataPacket[]>(`SHOW GRANTS FOR '${user}'@'%'`);
    return rows.map((r) => String(Object.values(r)[0]));
  };

  test('gets exactly SELECT on the clinic database and the replication privileges, TLS required', async () => {
    const database = await freshDatabase(server.admin());
    secrets.on(PutSecretValueCommand).resolves({ ARN: SECRET_ARN, VersionId: 'v1' });
    await server.admin().query(`GRANT INSERT ON ${database}.* TO 'dms_reader'@'%' IDENTIFIED BY 'stale-password'`);
    await provisionDmsUser({
      connection: server.admin(), database, endpoint: { host: 'db.example.internal', port: 3306 }, secretArn: SECRET_ARN,
      secrets: new SecretsManagerClient({ region: 'us-east-1' }),
    });
    const grants = await grantsOf('dms_reader');
    expect(grants).toHaveLength(2);
    expect(grants[0]).toMatch(/^GRANT (REPLICATION SLAVE, (BINLOG MONITOR|REPLICATION CLIENT)|(BINLOG MONITOR|REPLICATION CLIENT), REPLICATION SLAVE|REPLICATION SLAVE, REPLICATION CLIENT) ON \*\.\* TO `dms_reader`@`%`.*REQUIRE SSL/);
    expect(grants[1]).toBe(`GRANT SELECT ON \`${database}\`.* TO \`dms_reader\`@\`%\``);
    expect(grants.join('\n')).not.toMatch(/INSERT|ALL PRIVILEGES|GRANT OPTION/);
  });

  test('writes host, port, username and a generated password to the secret, and never returns it', async () => {
    const database = await freshDatabase(server.admin());
    secrets.on(PutSecretValueCommand).resolves({ ARN: SECRET_ARN, VersionId: 'v2' });
    const result = await provisionDmsUser({
      connection: server.admin(), database, username: 'dms_source', endpoint: { host: 'db.example.internal', port: 3306 },
      secretArn: SECRET_ARN, secrets: new SecretsManagerClient({ region: 'us-east-1' }),
    });
    const call = secrets.commandCalls(PutSecretValueCommand)[0].args[0].input;
    expect(call.SecretId).toBe(SECRET_ARN);
    const stored = JSON.parse(call.SecretString!);
    expect(stored).toMatchObject({ engine: 'mysql', host: 'db.example.internal', port: 3306, username: 'dms_source', dbname: database });
    expect(stored.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(JSON.stringify(result)).not.toContain(stored.password);
    const probe = await server.db().connect();
    await probe.end();
    const { default: mysql } = await import('mysql2/promise');
    const asDms = await mysql.createConnection({ host: server.db().host, port: server.db().port, user: 'dms_source', password: stored.password }).catch((e: Error) => e);
    expect(asDms).toBeInstanceOf(Error);
    expect(String(asDms)).toMatch(/Access denied/);
  });

  test('a failed secret write is reported, not swallowed', async () => {
    const database = await freshDatabase(server.admin());
    secrets.on(PutSecretValueCommand).rejects(Object.assign(new Error('User is not authorized to perform secretsmanager:PutSecretValue'), { name: 'AccessDeniedException' }));
    await expect(
      provisionDmsUser({
        connection: server.admin(), database, endpoint: { host: 'h', port: 3306 }, secretArn: SECRET_ARN,
        secrets: new SecretsManagerClient({ region: 'us-east-1' }),
      }),
    ).rejects.toThrow(/not authorized/);
  });
});
