import { Command, CommanderError, OptionValues } from '@commander-js/extra-typings';
import { CliError, EXIT, UsageError, asCliError } from './errors';
import { debugOption, jsonOption } from './options';
import { terminalWidth } from './output';
import { Progress, ProgressStream } from './progress';
import { interrupted, setInterruptReporter } from './interrupts';

/** Where a command writes: stdout holds its result (a report or one JSON document), stderr everything else. */
export interface CommandIo {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
  readonly env: NodeJS.ProcessEnv;
}

export const processIo = (): CommandIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

/** What a running command may use besides its options. */
export interface CommandContext {
  readonly json: boolean;
  readonly progress: Progress;
  /** Width tables on stdout may use; undefined when stdout is not a terminal (plain, unwrapped lines). */
  readonly width: number | undefined;
  readonly env: NodeJS.ProcessEnv;
}

/** A command's outcome: the report a person reads and the document `--json` prints. */
export interface CommandResult {
  /** False when a check or rule failed (exit 1, or `exitCode`). */
  readonly ok: boolean;
  readonly exitCode?: number;
  readonly json: Readonly<Record<string, unknown>>;
  readonly text: string;
}

type BaseOptions = { json?: true; debug?: true };

/**
 * One command: its name, a description, its options (declared once with their types, defaults, ranges and
 * help, from which `--help` is generated), extra help text (exit codes, examples) and what it does.
 */
export interface CommandDefinition<Opts extends OptionValues> {
  readonly name: string;
  /** What the command does, at the top of its `--help` (the command list carries a shorter summary). */
  readonly description: string;
  /** Declares the options on the command (`--json` and `--debug` are already there). */
  readonly options: (command: Command<[], BaseOptions>) => Command<[], Opts>;
  /** Text after the generated option list: what the command does, examples, exit codes. */
  readonly help?: string;
  readonly run: (options: Opts, context: CommandContext) => CommandResult | Promise<CommandResult>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandDefinition<any>;

export const defineCommand = <Opts extends OptionValues>(definition: CommandDefinition<Opts>): CommandDefinition<Opts> => definition;

/** The exit codes every command shares, appended to every `--help`. */
export const EXIT_CODES_HELP = `Exit codes: ${EXIT.ok} success, ${EXIT.failed} a check or rule failed, ${EXIT.usage} usage or input error, ${EXIT.environment} environment error (missing program or server, unreachable service, credentials), ${EXIT.interrupted} interrupted.`;

function writeError(error: CliError, command: string, json: boolean, debug: boolean, io: CommandIo): void {
  if (json) {
    const document = {
      ok: false,
      command,
      error: { kind: error.kind, message: error.message, exitCode: error.exitCode, ...error.details },
    };
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else {
    io.stderr.write(`${command}: ${error.message}\n`);
  }
  if (debug) {
    const cause = (error as { cause?: unknown }).cause;
    io.stderr.write(`${(cause instanceof Error ? cause : error).stack ?? ''}\n`);
  }
}

/**
 * Commander reports a missing mandatory option before an unknown one; a typo of that very option (`--ot` for
 * `--out`) is the likelier mistake, so the unknown flag is reported first.
 */
function unknownFlag(command: Command<[], OptionValues>, argv: readonly string[]): UsageError | undefined {
  const known = command.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => Boolean(f));
  const flag = argv.map((arg) => arg.split('=')[0]).find((arg) => arg.startsWith('-') && arg !== '--' && !known.includes(arg));
  if (!flag) return undefined;
  const closest = [...known].sort((a, b) => editDistance(flag, a) - editDistance(flag, b))[0];
  const suggestion = closest && editDistance(flag, closest) <= 3 ? closest : undefined;
  return new UsageError(`unknown option '${flag}'${suggestion ? `; did you mean ${suggestion}?` : ''}`, {
    code: 'commander.unknownOption',
    ...(suggestion ? { suggestion } : {}),
  });
}

/** A value given to an option named like a secret is never repeated back (it would land in logs). */
const redactSecretValues = (message: string): string =>
  message.replace(/(option '--[a-z-]*(?:password|secret|token)[^']*' argument )'[^']*'/, "$1'<redacted>'");

const usageFromCommander = (error: CommanderError): UsageError => {
  const message = redactSecretValues(error.message)
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.+)\?\)$/, '; did you mean $1?');
  const suggestion = /did you mean (\S+)\?$/.exec(message)?.[1];
  return new UsageError(message, { code: error.code, ...(suggestion ? { suggestion } : {}) });
};

/**
 * Parses `argv` against the command's declared options and runs it: the one top-level handler. Unknown flags,
 * missing values and out-of-range numbers fail with exit 2 before the command does anything; errors are messages,
 * never stack traces (unless `--debug`); with `--json`, stdout receives exactly one JSON document, on failure too.
 * Returns the exit code.
 */
export async function runCommand(definition: AnyCommand, argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const json = argv.includes('--json');
  const debug = argv.includes('--debug');
  const commandLabel = definition.name;
  let result: CommandResult | undefined;
  const command = definition.options(
    new Command(`npm run ${definition.name} --`)
      .description(definition.description)
      .addOption(jsonOption())
      .addOption(debugOption())
      .helpOption('-h, --help', 'show this help')
      .exitOverride()
      .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: () => undefined, outputError: () => undefined })
      .configureHelp({ helpWidth: Math.min(terminalWidth(io.stdout) ?? 120, 120) }),
  );
  command.addHelpText('after', `\n${definition.help ? `${definition.help.trim()}\n\n` : ''}${EXIT_CODES_HELP}`);
  command.action(async (options) => {
    const progress = new Progress(io.stderr);
    setInterruptReporter((signal) => {
      progress.clear();
      writeError(new UsageError(`interrupted by ${signal}`), commandLabel, json, false, io);
    });
    try {
      result = await definition.run(options, { json, progress, width: terminalWidth(io.stdout), env: io.env });
    } finally {
      progress.clear();
      // After a signal the handler still needs the reporter, once cleanup is done.
      if (!interrupted()) setInterruptReporter(undefined);
    }
  });
  try {
    await command.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    // A signal stopped the work under way; the signal handler reports it and exits.
    if (interrupted()) return EXIT.interrupted;
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      const usage =
        (error.code === 'commander.missingMandatoryOptionValue' ? unknownFlag(command as Command<[], OptionValues>, argv) : undefined) ??
        usageFromCommander(error);
      writeError(usage, commandLabel, json, debug, io);
      return usage.exitCode;
    }
    const failure = asCliError(error);
    writeError(failure, commandLabel, json, debug, io);
    return failure.exitCode;
  }
  if (interrupted()) return EXIT.interrupted;
  if (!result) return EXIT.ok;
  if (json) io.stdout.write(`${JSON.stringify({ ok: result.ok, command: commandLabel, ...result.json }, null, 2)}\n`);
  else if (result.text) io.stdout.write(`${result.text}\n`);
  return result.ok ? EXIT.ok : (result.exitCode ?? EXIT.failed);
}

/** A command in the tool list: named and summarized without loading it, so `--help` and dispatch stay fast. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<AnyCommand>;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** The list's help: every command with its summary. */
export function listHelp(entries: readonly CommandEntry[]): string {
  const width = Math.max(...entries.map((e) => e.name.length));
  return [
    'Usage: npm run <command> -- [options]      (npm run -s <command> -- --json for parseable output)',
    '',
    'Commands:',
    ...entries.map((e) => `  ${e.name.padEnd(width)}  ${e.summary}`),
    '',
    'Every command has --help, --json and --debug.',
    EXIT_CODES_HELP,
  ].join('\n');
}

/** Dispatches `argv[0]` to the named command of `entries`. */
export async function runCli(entries: readonly CommandEntry[], argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(`${listHelp(entries)}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const entry = entries.find((e) => e.name === name);
  if (!entry) {
    const closest = [...entries].sort((a, b) => editDistance(name, a.name) - editDistance(name, b.name))[0];
    const hint = closest && editDistance(name, closest.name) <= 3 ? `; did you mean ${closest.name}?` : '';
    writeError(
      new UsageError(`unknown command "${name}"${hint} (commands: ${entries.map((e) => e.name).join(', ')})`),
      'unicornhealth',
      rest.includes('--json'),
      false,
      io,
    );
    return EXIT.usage;
  }
  return runCommand(await entry.load(), rest, io);
}

/**
 * Exits with the command's code once it is done. The exit is explicit because SDK clients and database pools may
 * keep sockets open after the work; after a signal, the signal handler exits instead, once every child process
 * and temporary folder is gone.
 */
export function exitWhenDone(run: Promise<number>): void {
  void run.then(async (code) => {
    await flushed(process.stdout);
    await flushed(process.stderr);
    if (!interrupted()) process.exit(code);
  });
}

/**
 * Resolves once everything written so far has been handed to the operating system. Writes to a pipe are asynchronous
 * on POSIX (https://nodejs.org/api/process.html#a-note-on-process-io), so exiting at once would cut a large `--json`
 * document read through `| jq` at the pipe's buffer size.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}
