import { createServer, AddressInfo, Socket } from 'node:net';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { EnvironmentError, UsageError } from '../../../scripts/cli/errors';
import { MysqlTarget, SSL_MODES, connectMysql, connectionOptions, parseSslMode } from '../../../scripts/mysql/connection';

const ENDPOINT = 'unicornhealth-dev-mysql.c9akciq32.us-east-1.rds.amazonaws.com';
const TARGET: MysqlTarget = { host: 'h', port: 1, user: 'u', password: '', database: 'd', sslMode: 'VERIFY_IDENTITY', caPem: 'PEM' };

/** A loopback port nothing listens on: one the system just handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return port;
}

describe('--ssl-mode', () => {
  test.each([
    ['disabled', 'DISABLED'],
    ['Required', 'REQUIRED'],
    ['verify_ca', 'VERIFY_CA'],
    ['VERIFY_IDENTITY', 'VERIFY_IDENTITY'],
  ])('%j is accepted in any case as %s', (value, mode) => {
    expect(parseSslMode(value)).toBe(mode);
  });

  test.each(['verify', 'VERIFY-CA', 'PREFERRED', '', 'tls'])('%j is refused, naming the value and the modes', (value) => {
    expect(() => parseSslMode(value)).toThrow(InvalidArgumentError);
    expect(() => parseSslMode(value)).toThrow(`"${value}" is not one of ${SSL_MODES.join(', ')}.`);
  });
});

describe('connection options', () => {
  test.each([
    ['DISABLED', undefined],
    ['REQUIRED', { rejectUnauthorized: false, verifyIdentity: false }],
    ['VERIFY_CA', { rejectUnauthorized: true, verifyIdentity: false }],
    ['VERIFY_IDENTITY', { rejectUnauthorized: true, verifyIdentity: true }],
  ] as const)('--ssl-mode %s maps to the TLS options of the mysql client', (mode, ssl) => {
    const options = connectionOptions({ ...TARGET, sslMode: mode });
    if (ssl) expect(options.ssl).toMatchObject({ ...ssl, ca: 'PEM', minVersion: 'TLSv1.2' });
    else expect(options.ssl).toBeUndefined();
  });

  test('verifying without a CA bundle says which flag is missing', () => {
    expect(() => connectionOptions({ ...TARGET, sslMode: 'VERIFY_CA', caPem: undefined })).toThrow(UsageError);
    expect(() => connectionOptions({ ...TARGET, sslMode: 'VERIFY_CA', caPem: undefined })).toThrow(
      "--ssl-mode VERIFY_CA needs the server's CA bundle (--ca-bundle FILE)",
    );
  });

  test('REQUIRED encrypts without a CA bundle', () => {
    expect(connectionOptions({ ...TARGET, sslMode: 'REQUIRED', caPem: undefined }).ssl).toEqual({
      rejectUnauthorized: false,
      verifyIdentity: false,
      minVersion: 'TLSv1.2',
    });
  });

  test('dates stay text, big numbers exact, one statement per query', () => {
    expect(connectionOptions(TARGET)).toMatchObject({
      host: 'h',
      port: 1,
      user: 'u',
      database: 'd',
      dateStrings: true,
      decimalNumbers: false,
      supportBigNumbers: true,
      multipleStatements: false,
    });
  });

  test('without a port forward the socket goes to the host itself', () => {
    const options = connectionOptions({ ...TARGET, host: ENDPOINT, tlsServername: ENDPOINT });
    expect(options.host).toBe(ENDPOINT);
    expect(options.stream).toBeUndefined();
  });

  test('through a port forward the socket goes to the tunnel while TLS verifies the real endpoint name', async () => {
    const server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const options = connectionOptions({
        ...TARGET,
        host: '127.0.0.1',
        port,
        tlsServername: ENDPOINT,
        caPem: '-----BEGIN CERTIFICATE-----',
      });
      expect(options.host).toBe(ENDPOINT);
      expect(options.port).toBe(port);
      expect(options.ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true });
      expect(typeof options.stream).toBe('function');
      const socket = (options.stream as () => Socket)();
      const peer = await accepted;
      expect(peer.remoteAddress).toMatch(/127\.0\.0\.1$/);
      socket.destroy();
      peer.destroy();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('connectMysql', () => {
  test('a server that is not listening is an environment error naming host:port and the user', async () => {
    const port = await closedPort();
    const connecting = connectMysql({ ...TARGET, host: '127.0.0.1', port, user: 'clinic', sslMode: 'DISABLED' });
    await expect(connecting).rejects.toThrow(EnvironmentError);
    await expect(connecting).rejects.toThrow(`cannot connect to MySQL at 127.0.0.1:${port} as clinic: `);
    await expect(connecting).rejects.toMatchObject({ exitCode: 3, details: { code: 'ECONNREFUSED' } });
  });

  test('a bad TLS setting is refused before any connection is tried', async () => {
    await expect(connectMysql({ ...TARGET, host: '127.0.0.1', sslMode: 'VERIFY_IDENTITY', caPem: undefined })).rejects.toThrow(UsageError);
  });
});
