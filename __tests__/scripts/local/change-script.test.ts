import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { InputError } from '../../../scripts/cli/errors';
import {
  ChangeScriptError,
  DEFAULT_CHANGE_SCRIPT,
  applyChangeScript,
  readChangeScript,
  splitStatements,
} from '../../../scripts/local/change-script';

const split = (text: string) => splitStatements(text, 'changes.sql').map(({ number, line, sql }) => [number, line, sql]);

describe('splitting a change script into statements', () => {
  test('at each ;, numbering the statements and giving the line each starts on', () => {
    expect(split("INSERT INTO t VALUES (1);\n\nUPDATE t\n  SET a = 2\n  WHERE b = 'x';  DELETE FROM t")).toEqual([
      [1, 1, 'INSERT INTO t VALUES (1)'],
      [2, 3, "UPDATE t\n  SET a = 2\n  WHERE b = 'x'"],
      [3, 5, 'DELETE FROM t'],
    ]);
  });

  test.each([
    ['a ; in a string', "INSERT INTO t VALUES ('a;b');", ["INSERT INTO t VALUES ('a;b')"]],
    ['a doubled quote', "INSERT INTO t VALUES ('O''Brien; Jr');", ["INSERT INTO t VALUES ('O''Brien; Jr')"]],
    ['a backslash-escaped quote', "INSERT INTO t VALUES ('it\\'s; fine');", ["INSERT INTO t VALUES ('it\\'s; fine')"]],
    ['a double-quoted string', 'INSERT INTO t VALUES ("a;\'b");', ['INSERT INTO t VALUES ("a;\'b")']],
    ['a backquoted identifier', 'UPDATE `odd;name` SET a = 1;', ['UPDATE `odd;name` SET a = 1']],
    ['a doubled backtick', 'UPDATE `a``;b` SET a = 1;', ['UPDATE `a``;b` SET a = 1']],
    ['a -- comment', 'DELETE FROM t; -- not; a statement\nCOMMIT;', ['DELETE FROM t', 'COMMIT']],
    ['a # comment', '# one; two\nCOMMIT;', ['COMMIT']],
    ['a /* */ comment over lines', '/* one;\n two; */ COMMIT;', ['COMMIT']],
    ['a comment inside a statement', 'UPDATE t /* ; */ SET a = 1;', ['UPDATE t /* ; */ SET a = 1']],
    ['--x, which is not a comment', 'UPDATE t SET a = a --1;', ['UPDATE t SET a = a --1']],
    ['a byte-order mark and CRLF line ends', '\uFEFFCOMMIT;\r\nROLLBACK;\r\n', ['COMMIT', 'ROLLBACK']],
    ['blank statements', ';;  ;\nCOMMIT;;', ['COMMIT']],
  ])('%s does not end or start a statement', (_case, text, statements) => {
    expect(split(text).map(([, , sql]) => sql)).toEqual(statements);
  });

  test('lines count inside strings and comments', () => {
    expect(split("/* a\nb */\nINSERT INTO t VALUES ('x\ny');\n-- c\nCOMMIT;").map(([, line]) => line)).toEqual([3, 6]);
  });

  test.each([
    [
      'a string',
      "COMMIT;\nINSERT INTO t VALUES ('never closed);\nCOMMIT;",
      /^changes\.sql:2: statement 2: the ' opened here is never closed$/,
    ],
    ['a comment', 'COMMIT;\n\n/* never closed', /^changes\.sql:3: statement 2: the comment opened here is never closed$/],
  ])('%s left open is an error naming where it opened', (_case, text, message) => {
    expect(() => splitStatements(text, 'changes.sql')).toThrow(message);
  });
});

describe('reading a change script', () => {
  const dir = mkdtempSync(join(tmpdir(), 'change-script-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test('the default script holds every kind of change, and only statements a change script may hold', () => {
    const script = readChangeScript(DEFAULT_CHANGE_SCRIPT);
    const keywords = script.statements.map((s) => /^\w+/.exec(s.sql)![0].toUpperCase());
    expect(new Set(keywords)).toEqual(new Set(['INSERT', 'UPDATE', 'DELETE', 'START', 'COMMIT', 'ROLLBACK']));
  });

  test('transaction control and every row change are accepted', () => {
    const path = file(
      'ok.sql',
      'start transaction; begin; savepoint a; release savepoint a; rollback to a; commit;\nINSERT INTO t VALUES (1); REPLACE INTO t VALUES (1); update t set a = 1; delete from t;',
    );
    expect(readChangeScript(path).statements).toHaveLength(10);
  });

  test.each([
    ['TRUNCATE, which DMS does not record as row changes', 'TRUNCATE TABLE account', 'TRUNCATE'],
    ['DDL', 'ALTER TABLE account ADD COLUMN x INT', 'ALTER'],
    ['a query', 'SELECT * FROM account', 'SELECT'],
    ['a session setting', 'SET autocommit = 0', 'SET'],
  ])('%s is refused with the file, statement number and line, before anything runs', (_case, statement, keyword) => {
    const path = file(`${keyword}.sql`, `-- header\nCOMMIT;\n\n${statement};\n`);
    expect(() => readChangeScript(path)).toThrow(ChangeScriptError);
    expect(() => readChangeScript(path)).toThrow(new RegExp(`^${path}:4: statement 2: ${keyword} is not a row change`));
  });

  test('a script without statements is an input error that points at --no-changes', () => {
    expect(() => readChangeScript(file('empty.sql', '-- nothing\n'))).toThrow(/no statements \(use --no-changes/);
  });
});

describe('applying a change script', () => {
  /** A session that records what it ran, refuses statements matching `refuse` with a server message, counts changes. */
  const session = (refuse?: [RegExp, string], changes = 0) => {
    const ran: string[] = [];
    const connection = {
      query: async (sql: string) => {
        ran.push(sql);
        if (refuse && refuse[0].test(sql)) throw Object.assign(new Error(refuse[1]), { sqlMessage: refuse[1] });
        return [[]];
      },
      changes,
    };
    return { ran, connection: connection as unknown as Connection };
  };
  const countOf = async (connection: Connection): Promise<number> => (connection as unknown as { changes: number }).changes;
  const script = {
    path: 'changes.sql',
    statements: splitStatements("START TRANSACTION;\nUPDATE account\n  SET balance = 1\n  WHERE id = 'x';\nCOMMIT;", 'changes.sql'),
  };

  test('runs every statement in order on the script session', async () => {
    const run = session();
    await applyChangeScript(script, { script: run.connection, observer: session().connection }, countOf);
    expect(run.ran).toEqual(script.statements.map((s) => s.sql));
  });

  test('a statement the server refuses rolls back and names the file, the statement and the line the server points at', async () => {
    const run = session([/^UPDATE/, "You have an error in your SQL syntax; check the manual near 'WHERE id' at line 3"]);
    const applied = applyChangeScript(script, { script: run.connection, observer: session().connection }, countOf);
    await expect(applied).rejects.toThrow(ChangeScriptError);
    await expect(applied).rejects.toThrow(/^changes\.sql:4: statement 2: You have an error in your SQL syntax/);
    expect(run.ran.slice(-1)).toEqual(['ROLLBACK']);
  });

  test('a refusal without a line is located at the statement', async () => {
    const run = session([/^UPDATE/, 'Cannot add or update a child row: a foreign key constraint fails']);
    const applied = applyChangeScript(script, { script: run.connection, observer: session().connection }, countOf);
    await expect(applied).rejects.toMatchObject({
      message: 'changes.sql:2: statement 2: Cannot add or update a child row: a foreign key constraint fails',
      exitCode: 2,
      details: { file: 'changes.sql', statement: 2, line: 2 },
    });
  });

  test('ending inside a transaction with uncommitted changes is refused, and they are rolled back', async () => {
    const run = session(undefined, 3);
    const applied = applyChangeScript(script, { script: run.connection, observer: session(undefined, 1).connection }, countOf);
    await expect(applied).rejects.toThrow(InputError);
    await expect(applied).rejects.toThrow(/ends inside a transaction with 2 uncommitted changes/);
    expect(run.ran.slice(-1)).toEqual(['ROLLBACK']);
  });
});
