import { runInProcess } from '../../helpers/cli';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from '@commander-js/extra-typings';
import { addTargetOptions } from '../../../scripts/mysql/options';

/** The shared connection options on a bare command, parsed as a user would type them; commander's errors are thrown. */
function targetCommand() {
  return addTargetOptions(new Command('probe'))
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
}
const parse = (argv: string[]) => targetCommand().parse(argv, { from: 'user' }).opts();

function refusal(argv: string[]): CommanderError {
  try {
    parse(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(CommanderError);
    return error as CommanderError;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('the target options of seed and smoke', () => {
  const dir = mkdtempSync(join(tmpdir(), 'target-options-'));
  const bundle = join(dir, 'global-bundle.pem');
  writeFileSync(bundle, '-----BEGIN CERTIFICATE-----\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('by default: the dev environment, verified TLS, nothing else set', () => {
    expect(parse([])).toEqual({ env: 'dev', sslMode: 'VERIFY_IDENTITY' });
  });

  test('every option parses to its typed value', () => {
    expect(
      parse([
        '--env',
        'prod',
        '--port',
        '13306',
        '--ssl-mode',
        'verify_ca',
        '--ca-bundle',
        bundle,
        '--tls-servername',
        'db.example.com',
        '--tunnel-host',
        '127.0.0.1',
        '--outputs',
        bundle,
      ]),
    ).toEqual({
      env: 'prod',
      port: 13306,
      sslMode: 'VERIFY_CA',
      caBundle: bundle,
      tlsServername: 'db.example.com',
      tunnelHost: '127.0.0.1',
      outputs: bundle,
    });
    expect(parse(['--host', 'db.local', '--user', 'clinic', '--database', 'clinic'])).toMatchObject({
      host: 'db.local',
      user: 'clinic',
      database: 'clinic',
    });
  });

  test('--host and --tunnel-host conflict', () => {
    const error = refusal(['--host', 'db.local', '--tunnel-host', '127.0.0.1']);
    expect(error.code).toBe('commander.conflictingOption');
    expect(error.message).toMatch(/--host <host>.*cannot be used with.*--tunnel-host <host>/);
  });

  test('--password is refused whatever its value: passwords are never flags', () => {
    const error = refusal(['--password', 'hunter2']);
    expect(error.code).toBe('commander.invalidArgument');
    expect(error.message).toContain('passwords are never flags: set MYSQL_PWD.');
  });

  test.each([[[]], [['--json']]])('the refusal never repeats the password (%j)', async (extra) => {
    const { code, stdout, stderr } = await runInProcess('seed', ['--password', 'hunter2', ...extra]);
    expect(code).toBe(2);
    expect(stdout + stderr).toContain('passwords are never flags');
    expect(stdout + stderr).not.toContain('hunter2');
  });

  test('--password is left out of the help', () => {
    expect(targetCommand().helpInformation()).not.toContain('--password');
    expect(targetCommand().helpInformation()).toContain('--tunnel-host <host>');
  });

  test.each([
    ['0', '0 is outside 1..65535.'],
    ['65536', '65536 is outside 1..65535.'],
    ['abc', '"abc" is not a whole number.'],
    ['33.06', '"33.06" is not a whole number.'],
  ])('--port %s is refused: %s', (port, message) => {
    const error = refusal(['--port', port]);
    expect(error.code).toBe('commander.invalidArgument');
    expect(error.message).toContain(message);
  });

  test.each([
    ['1', 1],
    ['65535', 65535],
  ])('--port %s is accepted', (port, expected) => {
    expect(parse(['--port', port]).port).toBe(expected);
  });

  test.each([
    [['--ssl-mode', 'preferred'], '"preferred" is not one of DISABLED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY.'],
    [['--ca-bundle', dir], `${dir} is a folder, not a file.`],
    [['--outputs', join(dir, 'missing.json')], `${join(dir, 'missing.json')} does not exist.`],
  ])('%j is refused: %s', (argv, message) => {
    const error = refusal(argv);
    expect(error.code).toBe('commander.invalidArgument');
    expect(error.message).toContain(message);
  });
});
