import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { InputError } from '../cli/errors';

/** The change script the rehearsal applies unless told otherwise (`--changes FILE`, `--no-changes`). */
export const DEFAULT_CHANGE_SCRIPT = join(__dirname, '..', '..', 'seed', 'changes', 'default.sql');

/** One statement of a change script, where it starts in the file. */
export interface ChangeStatement {
  /** 1-based position among the file's statements. */
  readonly number: number;
  /** 1-based line of the statement's first character. */
  readonly line: number;
  /** The statement as sent to the server, without its `;`, starting at its first keyword. */
  readonly sql: string;
}

export interface ChangeScript {
  readonly path: string;
  readonly statements: readonly ChangeStatement[];
}

/** What a change script may hold: row changes DMS records from the binary log, and transaction control. */
const CHANGE_STATEMENTS = /^(INSERT|REPLACE|UPDATE|DELETE|START\s+TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE\s+SAVEPOINT)\b/i;

/** A statement of a change script that cannot be used, located as `file:line: statement n: reason`. */
export class ChangeScriptError extends InputError {
  constructor(path: string, statement: Pick<ChangeStatement, 'number' | 'line'>, reason: string) {
    super(`${path}:${statement.line}: statement ${statement.number}: ${reason}`, {
      file: path,
      statement: statement.number,
      line: statement.line,
    });
  }
}

/**
 * Splits SQL text into statements at each `;` outside quotes and comments, following MySQL's lexical rules: strings
 * in `'` or `"` (a doubled quote or a backslash escapes), identifiers in backticks (a doubled backtick escapes),
 * comments from `#` or `-- ` to the end of the line and between `/*` and `*\/`. A hand-written splitter rather than
 * `multipleStatements`: each statement runs on its own, so a failure names its statement number and line, and the
 * statements can be checked before any of them runs. Text after the last `;` is a last statement. Throws on a quote
 * or comment left open, naming the line where it opened.
 */
export function splitStatements(text: string, path: string): ChangeStatement[] {
  const source = text.replace(/^\uFEFF/, '');
  const statements: ChangeStatement[] = [];
  let line = 1;
  let start: { index: number; line: number } | undefined;
  const finish = (end: number): void => {
    if (start) statements.push({ number: statements.length + 1, line: start.line, sql: source.slice(start.index, end).trimEnd() });
    start = undefined;
  };
  /** Index just past the end of the quoted text opening at `i`, counting the lines it spans. */
  const skipQuoted = (i: number, quote: string): number => {
    const opened = line;
    for (let j = i + 1; j < source.length; j += 1) {
      const char = source[j];
      if (char === '\n') line += 1;
      else if (char === '\\' && quote !== '`') {
        if (source[j + 1] === '\n') line += 1;
        j += 1;
      } else if (char === quote) {
        if (source[j + 1] !== quote) return j + 1;
        j += 1;
      }
    }
    throw new ChangeScriptError(path, { number: statements.length + 1, line: opened }, `the ${quote} opened here is never closed`);
  };
  let i = 0;
  while (i < source.length) {
    const char = source[i];
    const next = source[i + 1];
    if (char === '\n') {
      line += 1;
      i += 1;
    } else if (/\s/.test(char)) {
      i += 1;
    } else if (char === '#' || (char === '-' && next === '-' && (i + 2 >= source.length || /\s/.test(source[i + 2])))) {
      const end = source.indexOf('\n', i);
      i = end === -1 ? source.length : end;
    } else if (char === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end === -1) throw new ChangeScriptError(path, { number: statements.length + 1, line }, 'the comment opened here is never closed');
      line += source.slice(i, end).split('\n').length - 1;
      i = end + 2;
    } else if (char === ';') {
      finish(i);
      i += 1;
    } else {
      start ??= { index: i, line };
      i = char === "'" || char === '"' || char === '`' ? skipQuoted(i, char) : i + 1;
    }
  }
  finish(source.length);
  return statements;
}

/**
 * Reads and checks a change script before anything runs: every statement must be a row change or transaction
 * control (a TRUNCATE, DDL or a SELECT is refused with its location), and there must be at least one.
 */
export function readChangeScript(path: string): ChangeScript {
  const statements = splitStatements(readFileSync(path, 'utf8'), path);
  if (statements.length === 0) throw new InputError(`${path}: no statements (use --no-changes to rehearse the full load only)`);
  for (const statement of statements) {
    if (!CHANGE_STATEMENTS.test(statement.sql)) {
      const keyword = /^\S+/.exec(statement.sql)?.[0] ?? '';
      throw new ChangeScriptError(
        path,
        statement,
        `${keyword.toUpperCase()} is not a row change; a change script holds INSERT, REPLACE, UPDATE and DELETE, and START TRANSACTION, BEGIN, COMMIT, ROLLBACK, SAVEPOINT`,
      );
    }
  }
  return { path, statements };
}

/** The file line of an error the server reports `at line N` of a statement that starts on `statementLine`. */
const fileLine = (statementLine: number, serverMessage: string): number => {
  const within = /at line (\d+)$/.exec(serverMessage);
  return within ? statementLine + Number(within[1]) - 1 : statementLine;
};

/**
 * Runs a change script statement by statement on its own connection (so its transactions and session state stay
 * its own), as a client application would. A statement the server refuses stops the script: the connection's open
 * transaction is rolled back and the error names the file, the statement and its line. A script that ends inside a
 * transaction with uncommitted changes is refused too: those changes would silently vanish, as they would for DMS.
 * `countChanges` counts the captured changes a session sees, to compare the script's session with another one.
 */
export async function applyChangeScript(
  script: ChangeScript,
  sessions: { readonly script: Connection; readonly observer: Connection },
  countChanges: (session: Connection) => Promise<number>,
): Promise<void> {
  const connection = sessions.script;
  for (const statement of script.statements) {
    try {
      await connection.query(statement.sql);
    } catch (error) {
      const message = (error as { sqlMessage?: string }).sqlMessage ?? (error as Error).message;
      await connection.query('ROLLBACK').catch(() => undefined);
      throw new ChangeScriptError(script.path, { number: statement.number, line: fileLine(statement.line, message) }, message);
    }
  }
  const [seenHere, committed] = await Promise.all([countChanges(connection), countChanges(sessions.observer)]);
  if (seenHere !== committed) {
    await connection.query('ROLLBACK');
    throw new InputError(
      `${script.path}: ends inside a transaction with ${seenHere - committed} uncommitted changes, which would be lost; end it with COMMIT or ROLLBACK`,
    );
  }
}
