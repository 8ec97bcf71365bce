import { mockClient } from 'aws-sdk-client-mock';
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { tableNamed } from '../../../contract/clinic';
import { checksumSql } from '../../../scripts/smoke/checksum';
import { QueryFailed } from '../../../scripts/smoke/engines';
import { Deadline, DeadlineExceeded } from '../../../scripts/smoke/waiting';
import { SOURCE, VirtualClock, athenaEngine, mockAthena, mockRedshiftData, redshiftEngine } from '../../helpers/smoke';

/*
 * AthenaEngine and RedshiftDataEngine over mocked AWS clients. MysqlEngine needs a server: it is covered by
 * checksum.test.ts on a throwaway MariaDB (an integration suite).
 */

const HOUR = 3_600_000;
const patient = tableNamed('patient');
const FINGERPRINT = { row_count: String(SOURCE.patient[0]), checksum_a: String(SOURCE.patient[1]), checksum_b: String(SOURCE.patient[2]) };

type Mock = { restore(): void };
let mocks: Mock[] = [];
const using = <M extends Mock>(mock: M): M => (mocks.push(mock), mock);
afterEach(() => {
  for (const mock of mocks) mock.restore();
  mocks = [];
});

/** The engine's query fails with QueryFailed carrying the service's own reason. */
async function expectQueryFailed(query: Promise<unknown>, engine: string, reason: string): Promise<void> {
  await expect(query).rejects.toThrow(QueryFailed);
  await expect(query).rejects.toMatchObject({ engine, reason, message: `${engine} query failed: ${reason}` });
}

describe('Athena', () => {
  test('runs the query in the workgroup and database, polls until it succeeds, and reads the rows across result pages', async () => {
    const athena = using(mockAthena());
    const clock = new VirtualClock();
    const engine = athenaEngine(clock);
    const sql = checksumSql(patient, engine.dialect);
    expect(await engine.query(sql, Deadline.in(clock, HOUR))).toEqual([FINGERPRINT]);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input).toEqual({
      QueryString: sql,
      WorkGroup: 'wg',
      QueryExecutionContext: { Database: 'unicornhealth_dev' },
    });
    expect(athena.commandCalls(GetQueryExecutionCommand).length).toBeGreaterThanOrEqual(3);
    expect(clock.slept.length).toBe(athena.commandCalls(GetQueryExecutionCommand).length - 1);
    // The mock keeps the header on page 1 and the row on page 2: both pages must be read.
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(2);
  });

  test('only the first row of the first page is the header; later pages are all rows; missing values are null', async () => {
    const athena = using(mockClient(AthenaClient));
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    const metadata = {
      ColumnInfo: [
        { Name: 'person_id', Type: 'varchar' },
        { Name: 'zip', Type: 'varchar' },
      ],
    };
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
      .resolves({
        ResultSet: {
          ResultSetMetadata: metadata,
          Rows: [
            { Data: [{ VarCharValue: 'person_id' }, { VarCharValue: 'zip' }] },
            { Data: [{ VarCharValue: 'PER1' }, { VarCharValue: '02139' }] },
          ],
        },
        NextToken: 'page-2',
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 'page-2' })
      .resolves({
        ResultSet: {
          ResultSetMetadata: metadata,
          Rows: [{ Data: [{ VarCharValue: 'PER2' }, {}] }, { Data: [{ VarCharValue: 'PER3' }, { VarCharValue: '10001' }] }],
        },
      });
    const clock = new VirtualClock();
    expect(await athenaEngine(clock).query('SELECT person_id, zip FROM patient', Deadline.in(clock, HOUR))).toEqual([
      { person_id: 'PER1', zip: '02139' },
      { person_id: 'PER2', zip: null },
      { person_id: 'PER3', zip: '10001' },
    ]);
  });

  test('a FAILED query raises QueryFailed with the reason Athena gives', async () => {
    const reason = "COLUMN_NOT_FOUND: Column 'first_name' cannot be resolved or requester is not authorized to access requested resources";
    using(mockAthena({ failures: [[/first_name/, reason]] }));
    const clock = new VirtualClock();
    const query = athenaEngine(clock).query('SELECT "first_name" FROM patient LIMIT 1', Deadline.in(clock, HOUR));
    await expectQueryFailed(query, 'athena', `FAILED: ${reason}`);
  });

  test('a CANCELLED query without a state-change reason gives the Athena error message', async () => {
    const athena = using(mockClient(AthenaClient));
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolves({ QueryExecution: { Status: { State: 'CANCELLED', AthenaError: { ErrorMessage: 'cancelled by the workgroup limit' } } } });
    const clock = new VirtualClock();
    await expect(athenaEngine(clock).query('SELECT 1', Deadline.in(clock, HOUR))).rejects.toMatchObject({
      reason: 'CANCELLED: cancelled by the workgroup limit',
    });
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  test('a query still running at the deadline stops with DeadlineExceeded, without reading results', async () => {
    const athena = using(mockAthena({ polls: 1_000 }));
    const clock = new VirtualClock();
    const query = athenaEngine(clock).query(checksumSql(patient, athenaEngine(clock).dialect), Deadline.in(clock, 5_000));
    await expect(query).rejects.toThrow(DeadlineExceeded);
    await expect(query).rejects.toThrow('deadline exceeded while running an Athena query');
    expect(clock.now() - 1_700_000_000_000).toBeLessThanOrEqual(5_000);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });
});

describe('Redshift Data API', () => {
  test('runs the statement in the workgroup and database, polls until it finishes, and reads typed values as text', async () => {
    const redshift = using(mockRedshiftData());
    const clock = new VirtualClock();
    const engine = redshiftEngine(clock);
    const sql = checksumSql(patient, engine.dialect);
    expect(sql).toContain('FROM lake."patient"');
    expect(await engine.query(sql, Deadline.in(clock, HOUR))).toEqual([FINGERPRINT]);
    expect(redshift.commandCalls(ExecuteStatementCommand)[0].args[0].input).toEqual({ Sql: sql, WorkgroupName: 'rs', Database: 'clinic' });
    expect(redshift.commandCalls(DescribeStatementCommand).length).toBeGreaterThanOrEqual(3);
  });

  test('rows come from every result page; null, text, numbers and booleans become text or null', async () => {
    const redshift = using(mockClient(RedshiftDataClient));
    redshift.on(ExecuteStatementCommand).resolves({ Id: 's-1' });
    redshift.on(DescribeStatementCommand).resolves({ Id: 's-1', Status: 'FINISHED', HasResultSet: true });
    const ColumnMetadata = [{ name: 'a' }, { name: 'b' }];
    redshift
      .on(GetStatementResultCommand, { Id: 's-1', NextToken: undefined })
      .resolves({ ColumnMetadata, Records: [[{ stringValue: 'PER1' }, { isNull: true }]], NextToken: 'next' })
      .on(GetStatementResultCommand, { Id: 's-1', NextToken: 'next' })
      .resolves({
        ColumnMetadata,
        Records: [
          [{ doubleValue: 1.5 }, { booleanValue: false }],
          [{ longValue: 0 }, { stringValue: '' }],
        ],
      });
    const clock = new VirtualClock();
    expect(await redshiftEngine(clock).query('SELECT a, b FROM t', Deadline.in(clock, HOUR))).toEqual([
      { a: 'PER1', b: null },
      { a: '1.5', b: 'false' },
      { a: '0', b: '' },
    ]);
    expect(redshift.commandCalls(GetStatementResultCommand)).toHaveLength(2);
  });

  test('a statement without a result set returns no rows and reads none', async () => {
    const redshift = using(mockRedshiftData());
    const clock = new VirtualClock();
    const engine = redshiftEngine(clock);
    expect(await engine.execute('CREATE EXTERNAL SCHEMA IF NOT EXISTS lake', Deadline.in(clock, HOUR))).toEqual({
      id: 's-1',
      hasResultSet: false,
    });
    expect(await engine.query('CREATE EXTERNAL SCHEMA IF NOT EXISTS lake', Deadline.in(clock, HOUR))).toEqual([]);
    expect(redshift.commandCalls(GetStatementResultCommand)).toHaveLength(0);
  });

  test('a FAILED statement raises QueryFailed with the reason Redshift gives', async () => {
    const reason = 'permission denied for schema lake';
    using(mockRedshiftData({ failures: [[/FROM lake\."patient"/, reason]] }));
    const clock = new VirtualClock();
    const engine = redshiftEngine(clock);
    const query = engine.query(checksumSql(patient, engine.dialect), Deadline.in(clock, HOUR));
    await expectQueryFailed(query, 'redshift', `FAILED: ${reason}`);
  });

  test('an ABORTED statement without an error says no reason was given', async () => {
    const redshift = using(mockClient(RedshiftDataClient));
    redshift.on(ExecuteStatementCommand).resolves({ Id: 's-1' });
    redshift.on(DescribeStatementCommand).resolves({ Id: 's-1', Status: 'ABORTED' });
    const clock = new VirtualClock();
    await expect(redshiftEngine(clock).query('SELECT 1', Deadline.in(clock, HOUR))).rejects.toMatchObject({
      reason: 'ABORTED: no reason given',
    });
  });
});
