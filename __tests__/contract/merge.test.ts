import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Table } from '../../contract/clinic';
import {
  CHANGE_LOG_COLUMNS,
  LAST_CHANGE_SEQUENCE,
  MergeTables,
  changeLogCatalogColumns,
  changeLogDatabaseOf,
  changeLogProblemsSql,
  changeSequenceRules,
  currentCatalogColumns,
  mergeSql,
} from '../../contract/merge';
import { tableNamed } from '../../contract/clinic';

/** A two-column table of the contract's shape: the merge is generated from any table. */
const plan: Table = {
  name: 'insurance',
  description: 'plans',
  primaryKey: 'insid',
  columns: [
    {
      name: 'insid',
      type: { kind: 'varchar', length: 16 },
      nullable: false,
      csv: { kind: 'id', prefix: 'INS' },
      classification: 'non-sensitive',
      description: 'id',
    },
    {
      name: 'plan',
      type: { kind: 'varchar', length: 80 },
      nullable: false,
      csv: { kind: 'text' },
      classification: 'non-sensitive',
      description: 'name',
    },
  ],
};
const TABLES: MergeTables = { changeLog: () => 'raw.insurance', current: () => 'cur.insurance' };
type Change = [op: string, seq: string, insid: string, plan: string | null];

describe('the merge of a change log into the current state (DuckDB, the rehearsal engine)', () => {
  let instance: DuckDBInstance;
  let db: DuckDBConnection;
  beforeEach(async () => {
    instance = await DuckDBInstance.create(':memory:');
    db = await instance.connect();
    await db.run('CREATE SCHEMA raw; CREATE SCHEMA cur');
    const { operation, commitTime, changeSequence } = CHANGE_LOG_COLUMNS;
    await db.run(
      `CREATE TABLE raw.insurance (${operation} VARCHAR, ${commitTime} VARCHAR, ${changeSequence} VARCHAR, insid VARCHAR, plan VARCHAR)`,
    );
    await db.run(`CREATE TABLE cur.insurance (insid VARCHAR PRIMARY KEY, plan VARCHAR, ${LAST_CHANGE_SEQUENCE} VARCHAR)`);
  });
  afterEach(() => {
    db.closeSync();
    instance.closeSync();
  });

  const log = async (...changes: Change[]): Promise<void> => {
    for (const [op, seq, insid, name] of changes) {
      await db.run(
        `INSERT INTO raw.insurance VALUES ('${op}', '2026-11-30 10:00:00.000000', '${seq}', '${insid}', ${name === null ? 'NULL' : `'${name}'`})`,
      );
    }
  };
  const merge = (): Promise<unknown> => db.run(mergeSql(plan, TABLES));
  const current = async (): Promise<string[][]> =>
    (await db.runAndReadAll(`SELECT insid, plan, ${LAST_CHANGE_SEQUENCE} FROM cur.insurance ORDER BY insid`))
      .getRows()
      .map((r) => r.map(String));
  const seq = (n: number): string => String(n).padStart(35, '0');

  test('the full load becomes the current state', async () => {
    await log(['I', '', 'INS1', 'Aetna'], ['I', '', 'INS2', 'Medicaid']);
    await merge();
    expect(await current()).toEqual([
      ['INS1', 'Aetna', ''],
      ['INS2', 'Medicaid', ''],
    ]);
  });

  test.each([
    [
      'an insert',
      [['I', seq(1), 'INS3', 'Cigna']],
      [
        ['INS1', 'Aetna', ''],
        ['INS2', 'Medicaid', ''],
        ['INS3', 'Cigna', seq(1)],
      ],
    ],
    [
      'an update',
      [['U', seq(1), 'INS1', 'Aetna Gold']],
      [
        ['INS1', 'Aetna Gold', seq(1)],
        ['INS2', 'Medicaid', ''],
      ],
    ],
    ['a delete', [['D', seq(1), 'INS2', 'Medicaid']], [['INS1', 'Aetna', '']]],
    [
      'two updates of one row in one transaction',
      [
        ['U', seq(1), 'INS1', 'first'],
        ['U', seq(2), 'INS1', 'second'],
      ],
      [
        ['INS1', 'second', seq(2)],
        ['INS2', 'Medicaid', ''],
      ],
    ],
    [
      'a delete then a re-insert of the same key',
      [
        ['D', seq(1), 'INS2', 'Medicaid'],
        ['I', seq(2), 'INS2', 'Medicaid Plus'],
      ],
      [
        ['INS1', 'Aetna', ''],
        ['INS2', 'Medicaid Plus', seq(2)],
      ],
    ],
    [
      'an insert then a delete of a new key',
      [
        ['I', seq(1), 'INS9', 'gone'],
        ['D', seq(2), 'INS9', 'gone'],
      ],
      [
        ['INS1', 'Aetna', ''],
        ['INS2', 'Medicaid', ''],
      ],
    ],
    [
      'changes logged out of file order',
      [
        ['U', seq(2), 'INS1', 'later'],
        ['U', seq(1), 'INS1', 'earlier'],
      ],
      [
        ['INS1', 'later', seq(2)],
        ['INS2', 'Medicaid', ''],
      ],
    ],
  ] as [string, Change[], string[][]][])(
    '%s after the full load gives the source state, and a second merge changes nothing',
    async (_case, changes, expected) => {
      await log(['I', '', 'INS1', 'Aetna'], ['I', '', 'INS2', 'Medicaid']);
      await merge();
      await log(...changes);
      await merge();
      expect(await current()).toEqual(expected);
      await merge();
      expect(await current()).toEqual(expected);
    },
  );

  test('a later merge reads only changes newer than the newest applied one', async () => {
    await log(['I', '', 'INS1', 'Aetna'], ['U', seq(5), 'INS1', 'Aetna Gold']);
    await merge();
    // An old change that arrives late is not re-applied over the newer state.
    await log(['U', seq(3), 'INS1', 'stale']);
    await merge();
    expect(await current()).toEqual([['INS1', 'Aetna Gold', seq(5)]]);
  });

  test.each([
    ['an unknown operation', ['X', seq(1), 'INS1', 'a'], 'unknown operation'],
    ['an update without a sequence', ['U', '', 'INS1', 'a'], 'change without a sequence'],
    ['a row without a key', ['I', seq(1), 'NULL', 'a'], 'row without a key'],
  ] as [string, Change, string][])('a change log with %s is reported before any merge', async (_case, change, problem) => {
    const [op, sequence, insid, name] = change;
    await db.run(`INSERT INTO raw.insurance VALUES ('${op}', 'ts', '${sequence}', ${insid === 'NULL' ? 'NULL' : `'${insid}'`}, '${name}')`);
    const problems = (await db.runAndReadAll(changeLogProblemsSql(plan, TABLES))).getRowObjects();
    expect(problems.map((p) => p.problem)).toEqual([problem]);
  });

  test('two changes of one key with one sequence are reported (their order is lost)', async () => {
    await log(['U', seq(1), 'INS1', 'a'], ['U', seq(1), 'INS1', 'b']);
    const problems = (await db.runAndReadAll(changeLogProblemsSql(plan, TABLES))).getRowObjects();
    expect(problems).toEqual([{ problem: 'two changes with one sequence', row_key: 'INS1', detail: seq(1) }]);
  });

  test('a clean change log has no problems', async () => {
    await log(['I', '', 'INS1', 'Aetna'], ['U', seq(1), 'INS1', 'b'], ['D', seq(2), 'INS1', 'b']);
    expect((await db.runAndReadAll(changeLogProblemsSql(plan, TABLES))).getRows()).toEqual([]);
  });
});

describe('DMS rules that add the change sequence', () => {
  test('one add-column rule per table with the $AR_H_CHANGE_SEQ header, numbered after the selection rules', () => {
    expect(changeSequenceRules([plan], 'unicornhealth', 7)).toEqual([
      expect.objectContaining({
        'rule-type': 'transformation',
        'rule-id': '7',
        'rule-action': 'add-column',
        'object-locator': { 'schema-name': 'unicornhealth', 'table-name': 'insurance' },
        value: 'dms_change_seq',
        expression: '$AR_H_CHANGE_SEQ',
      }),
    ]);
  });
});

describe('the two catalog databases', () => {
  test('the change log lives beside the main database, as <db>_changes', () => {
    expect(changeLogDatabaseOf('unicornhealth_dev')).toBe('unicornhealth_dev_changes');
  });

  test('a change-log table: the operation, commit time and change sequence as text, then the row image with Glue types', () => {
    expect(changeLogCatalogColumns(tableNamed('account')).map((c) => `${c.name}:${c.type}`)).toEqual([
      'op:string',
      'dms_commit_ts:string',
      'dms_change_seq:string',
      'accountid:string',
      'member_id:string',
      'last_payment:date',
      'payment_due:date',
      'account_balance:decimal(10,2)',
    ]);
  });

  test('a current-state table: the contract columns with Glue types, then the last change sequence', () => {
    expect(currentCatalogColumns(tableNamed('appointment')).map((c) => `${c.name}:${c.type}`)).toEqual([
      'appid:string',
      'physician:string',
      'app_date:date',
      'app_time:string',
      'scheduled_by:string',
      'last_change_seq:string',
    ]);
  });
});
