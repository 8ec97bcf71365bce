import { CheckFailedError, CliError, EXIT, EnvironmentError, InputError, UsageError, asCliError } from '../../../scripts/cli/errors';

/** An error as Node, mysql2 or the AWS SDK throws it: a message plus a `code` and/or a `name`. */
const thrown = (message: string, fields: { code?: string; name?: string }): Error => Object.assign(new Error(message), fields);

describe('the error kinds', () => {
  test.each([
    ['UsageError', UsageError, 'usage', 2],
    ['InputError', InputError, 'input', 2],
    ['EnvironmentError', EnvironmentError, 'environment', 3],
    ['CheckFailedError', CheckFailedError, 'failed', 1],
  ] as const)('%s has kind %s and exit code %i, its own name, and keeps its details and cause', (name, Kind, kind, exitCode) => {
    const cause = new Error('underneath');
    const error = new Kind('something is wrong', { flag: '--out' }, { cause });
    expect(error).toBeInstanceOf(CliError);
    expect(error).toBeInstanceOf(Error);
    expect(error.kind).toBe(kind);
    expect(error.exitCode).toBe(exitCode);
    expect(error.name).toBe(name);
    expect(error.message).toBe('something is wrong');
    expect(error.details).toEqual({ flag: '--out' });
    expect(error.cause).toBe(cause);
  });

  test('the exit codes are the documented ones', () => {
    expect(EXIT).toEqual({ ok: 0, failed: 1, usage: 2, environment: 3, interrupted: 130 });
  });

  test('an error without details has none', () => {
    expect(new UsageError('bad').details).toBeUndefined();
  });
});

describe('asCliError', () => {
  test.each([
    ['a refused connection (code)', thrown('connect ECONNREFUSED 127.0.0.1:3306', { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    [
      'a refused MySQL login (code)',
      thrown("Access denied for user 'u'@'h'", { code: 'ER_ACCESS_DENIED_ERROR' }),
      'ER_ACCESS_DENIED_ERROR',
    ],
    [
      'missing AWS credentials (name)',
      thrown('Could not load credentials from any providers', { name: 'CredentialsProviderError' }),
      'CredentialsProviderError',
    ],
    [
      'AWS refusing access (name)',
      thrown('not authorized to perform: athena:StartQueryExecution', { name: 'AccessDeniedException' }),
      'AccessDeniedException',
    ],
    [
      'AWS refusing access (code)',
      thrown('not authorized to perform: glue:GetTables', { code: 'AccessDeniedException' }),
      'AccessDeniedException',
    ],
  ])('%s is an environment error (exit 3) with its message and code', (_case, error, code) => {
    const cli = asCliError(error);
    expect(cli).toBeInstanceOf(EnvironmentError);
    expect(cli.kind).toBe('environment');
    expect(cli.exitCode).toBe(EXIT.environment);
    expect(cli.message).toBe(error.message);
    expect(cli.details).toEqual({ code });
    expect(cli.cause).toBe(error);
  });

  test.each([
    ['a programming error', new TypeError("cannot read properties of undefined (reading 'x')"), { name: 'TypeError' }],
    ['a file error that is not about the environment', thrown('ENOENT: no such file', { code: 'ENOENT' }), { name: 'Error' }],
    [
      'a name that only starts like an environment one',
      thrown('odd', { name: 'AccessDeniedExceptional' }),
      { name: 'AccessDeniedExceptional' },
    ],
    ['a code that only ends like an environment one', thrown('odd', { code: 'NOT_ECONNREFUSED' }), { name: 'Error' }],
  ])('%s is a failure of the run (exit 1) with its message', (_case, error, details) => {
    const cli = asCliError(error);
    expect(cli).toBeInstanceOf(CheckFailedError);
    expect(cli.kind).toBe('failed');
    expect(cli.exitCode).toBe(EXIT.failed);
    expect(cli.message).toBe(error.message);
    expect(cli.details).toEqual(details);
    expect(cli.cause).toBe(error);
  });

  test.each([
    ['a string', 'boom', 'boom'],
    ['undefined', undefined, 'undefined'],
    ['an error with an empty message', new Error(''), 'Error'],
  ])('%s thrown becomes a failure with a readable message', (_case, error, message) => {
    const cli = asCliError(error);
    expect(cli).toBeInstanceOf(CheckFailedError);
    expect(cli.message).toBe(message);
  });

  test.each([new UsageError('bad flag'), new InputError('bad file'), new EnvironmentError('no server'), new CheckFailedError('bad rows')])(
    'a CliError (%p) is returned as it is',
    (error) => {
      expect(asCliError(error)).toBe(error);
    },
  );
});
