/**
 * Exit codes shared by every tool (README "Exit codes"): scripts and pipelines branch on them, so they mean the same
 * thing everywhere.
 */
export const EXIT = {
  /** Everything asked for was done and every check passed. */
  ok: 0,
  /** The tool ran, and a check or rule failed: invalid rows, a failed smoke check, a policy failure. */
  failed: 1,
  /** The command line or an input file is wrong: unknown flag, bad number, missing file, a file of the wrong kind. */
  usage: 2,
  /** The machine or the account is not ready: a missing dependency, an unreachable service, missing credentials. */
  environment: 3,
  /** Stopped by SIGINT (128 + 2), after cleaning up. */
  interrupted: 130,
} as const;

export type ErrorKind = 'usage' | 'input' | 'environment' | 'failed';

/** An error the top-level handler reports as a message (never a stack trace) with its exit code. */
export abstract class CliError extends Error {
  abstract readonly kind: ErrorKind;
  abstract readonly exitCode: number;
  /** Extra machine-readable facts for `--json` (for example the closest known flag). */
  readonly details?: Readonly<Record<string, unknown>>;

  constructor(message: string, details?: Readonly<Record<string, unknown>>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

/** The base of each kind of error below: its kind and exit code. */
function errorOfKind<K extends ErrorKind>(kind: K, exitCode: number) {
  return class extends CliError {
    readonly kind = kind;
    readonly exitCode = exitCode;
  };
}

/** The command was called wrongly: unknown flag, missing value, out-of-range number, conflicting flags. */
export class UsageError extends errorOfKind('usage', EXIT.usage) {}

/** An input the command was pointed at cannot be used: missing, unreadable, a folder, or not the expected kind of file. */
export class InputError extends errorOfKind('input', EXIT.usage) {}

/** What the command needs around it is missing or unreachable: a program, a server, credentials, a service. */
export class EnvironmentError extends errorOfKind('environment', EXIT.environment) {}

/** The command stopped because something it checked failed (used where a command cannot return a report). */
export class CheckFailedError extends errorOfKind('failed', EXIT.failed) {}

/** Node and SDK error codes and names that mean "the environment is not ready", not "the command is wrong". */
const ENVIRONMENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'HANDSHAKE_SSL_ERROR',
]);
const ENVIRONMENT_NAMES =
  /^(CredentialsProviderError|ExpiredToken(Exception)?|UnrecognizedClientException|InvalidClientTokenId|AccessDenied(Exception)?|UnauthorizedOperation|TimeoutError)$/;

/**
 * Turns any error into a `CliError`: known environment failures (connections refused, credentials missing or
 * refused by AWS) become `EnvironmentError`; anything else is a failure of the run (exit 1) with its message.
 */
export function asCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  const failure = error as { message?: string; code?: string; name?: string; errno?: number };
  const message = failure?.message || String(error);
  const code = failure?.code ?? '';
  if (ENVIRONMENT_CODES.has(code) || ENVIRONMENT_NAMES.test(code) || ENVIRONMENT_NAMES.test(failure?.name ?? '')) {
    return new EnvironmentError(message, { code: failure.code ?? failure.name }, { cause: error });
  }
  return new CheckFailedError(message, failure?.name ? { name: failure.name } : undefined, { cause: error });
}
