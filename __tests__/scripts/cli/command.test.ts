import { Option } from '@commander-js/extra-typings';
import { CommandIo, defineCommand, runCli, runCommand } from '../../../scripts/cli/command';
import { EnvironmentError, InputError } from '../../../scripts/cli/errors';
import { integer } from '../../../scripts/cli/options';
import { COMMANDS } from '../../../scripts/commands';
import { runInProcess } from '../../helpers/cli';

function captureIo(): CommandIo & { out: () => string; err: () => string } {
  let stdout = '';
  let stderr = '';
  return {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    out: () => stdout,
    err: () => stderr,
  };
}

const ran: unknown[] = [];
const probe = defineCommand({
  name: 'probe',
  description: 'a command for the tests',
  options: (command) =>
    command
      .addOption(new Option('--count <n>', 'how many').default(3).argParser(integer({ min: 1, max: 10 })))
      .addOption(new Option('--fail <kind>', 'how to fail').choices(['check', 'input', 'environment', 'crash'] as const)),
  async run(options) {
    ran.push(options);
    if (options.fail === 'input') throw new InputError('data.csv is a folder');
    if (options.fail === 'environment') throw new EnvironmentError('MariaDB is not installed');
    if (options.fail === 'crash') throw new TypeError('cannot read properties of undefined');
    return { ok: options.fail !== 'check', json: { count: options.count }, text: `counted ${options.count}` };
  },
});

describe('the top-level handler', () => {
  beforeEach(() => (ran.length = 0));

  test.each([
    [['--cont', '4'], /unknown option '--cont'; did you mean --count\?/],
    [['--count'], /argument missing/],
    [['--count', 'abc'], /"abc" is not a whole number/],
    [['--count', '0'], /0 is outside 1\.\.10/],
    [['--count', '2.5'], /"2.5" is not a whole number/],
    [['--fail', 'loudly'], /Allowed choices are check, input, environment, crash/],
    [['extra'], /too many arguments/],
  ])('%j is a usage error (exit 2) and the command never runs', async (argv, message) => {
    const io = captureIo();
    expect(await runCommand(probe, argv, io)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.out()).toBe('');
    expect(ran).toEqual([]);
  });

  test.each([
    [[], 0, /counted 3/],
    [['--fail', 'check'], 1, /counted 3/],
    [['--fail', 'input'], 2, /data\.csv is a folder/],
    [['--fail', 'environment'], 3, /MariaDB is not installed/],
    [['--fail', 'crash'], 1, /cannot read properties of undefined/],
  ])('%j exits %i', async (argv, code, message) => {
    const io = captureIo();
    expect(await runCommand(probe, argv, io)).toBe(code);
    expect(io.out() + io.err()).toMatch(message);
    expect(io.err()).not.toMatch(/\n\s+at /);
  });

  test('--debug adds the stack trace of an unexpected error', async () => {
    const io = captureIo();
    expect(await runCommand(probe, ['--fail', 'crash', '--debug'], io)).toBe(1);
    expect(io.err()).toMatch(/TypeError: cannot read properties of undefined\n\s+at /);
  });

  test.each([[[]], [['--fail', 'check']], [['--fail', 'environment']], [['--count', 'abc']], [['--nope']]])(
    'with --json, stdout holds exactly one JSON document (%j)',
    async (argv) => {
      const io = captureIo();
      const code = await runCommand(probe, [...argv, '--json'], io);
      const document = JSON.parse(io.out()) as { ok: boolean; command: string; error?: { kind: string; exitCode: number } };
      expect(document.command).toBe('probe');
      expect(document.ok).toBe(code === 0);
      if (document.error) expect(document.error.exitCode).toBe(code);
    },
  );

  test('help is generated from the declared options and lists the exit codes', async () => {
    const io = captureIo();
    expect(await runCommand(probe, ['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/Usage: npm run probe -- \[options\]/);
    expect(io.out()).toMatch(/--count <n>\s+how many \(default: 3\)/);
    expect(io.out()).toMatch(/Exit codes: 0 success, 1 a check or rule failed, 2 usage or input error, 3 environment error/);
  });

  test('an unknown command names the closest one', async () => {
    const io = captureIo();
    expect(await runCli(COMMANDS, ['sed', '--help'], io)).toBe(2);
    expect(io.err()).toMatch(/unknown command "sed"; did you mean seed\?/);
  });
});

/** Every tool refuses an unknown flag, naming the closest known one, before it touches anything. */
describe.each(COMMANDS.map((c) => c.name))('npm run %s', (name) => {
  test('refuses an unknown flag with exit 2, as text and as JSON', async () => {
    const text = await runInProcess(name, ['--jsn']);
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/unknown option '--jsn'; did you mean --json\?/);
    const json = await runInProcess(name, ['--no-such-flag', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { kind: 'usage', exitCode: 2 } });
  });

  test('--help describes the command and its exit codes', async () => {
    const { code, stdout } = await runInProcess(name, ['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`Usage: npm run ${name} -- `));
    expect(stdout).toMatch(/Exit codes: 0 success/);
  });
});

/** The numbers and values the review found accepted silently; each must now be a usage error naming the flag. */
test.each([
  ['seed', ['--max-errors', 'abc'], '--max-errors'],
  ['seed', ['--max-errors', '0'], '--max-errors'],
  ['seed', ['--port', 'abc'], '--port'],
  ['seed', ['--password', 'hunter2'], 'passwords are never flags'],
  ['seed', ['--load-method', 'fast'], '--load-method'],
  ['seed', ['--dir', '/no/such/folder'], '--dir'],
  ['smoke', ['--timeout', 'abc'], '--timeout'],
  ['smoke', ['--concurrency', '0'], '--concurrency'],
  ['smoke', ['--only', 'dms,lakes'], 'unknown "lakes"'],
  ['generate-seed', ['--out', 'x', '--scale', '-1'], '--scale'],
  ['generate-seed', ['--out', 'x', '--scale', '1e9'], '--scale'],
  ['generate-seed', ['--out', 'x', '--seed', 'abc'], '--seed'],
  ['local', ['--mysql-url', 'mysql://root:secret@127.0.0.1/x'], 'process list'],
  ['policy', ['--plan', 'missing.json'], 'missing.json does not exist'],
  ['policy', ['--stacks', '__tests__', '--plan', 'package.json'], '--plan'],
  ['plan-summary', ['--plan', 'dev=missing.json'], 'missing.json does not exist'],
])('npm run %s %j exits 2 naming the problem', async (name, args, expected) => {
  const { code, stderr } = await runInProcess(name, args);
  expect(code).toBe(2);
  expect(stderr).toContain(expected);
});
