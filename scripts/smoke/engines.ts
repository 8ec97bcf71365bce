import type { Connection, RowDataPacket } from 'mysql2/promise';
import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand, paginateGetQueryResults } from '@aws-sdk/client-athena';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  RedshiftDataClient,
  paginateGetStatementResult,
} from '@aws-sdk/client-redshift-data';
import { Dialect, mysqlDialect, redshiftDialect, trinoDialect } from './checksum';
import { Clock, Deadline, PollOptions, pollUntil } from './waiting';

export type Row = Record<string, string | null>;

/** A query that the engine ran and refused or failed, with the service's own reason. */
export class QueryFailed extends Error {
  override name = 'QueryFailed';
  constructor(
    readonly engine: string,
    readonly reason: string,
  ) {
    super(`${engine} query failed: ${reason}`);
  }
}

/** One small interface for every engine the checks run on, so the same checks run on each. */
export interface SqlEngine {
  readonly name: string;
  readonly dialect: Dialect;
  query(sql: string, deadline: Deadline): Promise<Row[]>;
}

/**
 * The source database: queries, one consistent snapshot for many of them, and statements that write (the smoke
 * run's probe row).
 */
export interface SourceEngine extends SqlEngine {
  /**
   * Runs `read`, whose queries go through this engine, inside one read-only REPEATABLE READ transaction started WITH
   * CONSISTENT SNAPSHOT: every query sees the database as of one instant, whatever commits meanwhile.
   */
  inSnapshot<T>(read: () => Promise<T>): Promise<T>;
  /** Runs one statement that returns no rows, committed when it returns (autocommit). */
  execute(sql: string): Promise<void>;
}

export interface PollSettings {
  readonly clock: Clock;
  /** @default 500 */
  readonly baseMs?: number;
  /** @default 10000 */
  readonly capMs?: number;
}

/** How an engine polls a running query: its clock and backoff, bounded by the query's deadline. */
const pollOptions = (settings: PollSettings, deadline: Deadline, what: string): PollOptions => ({
  clock: settings.clock,
  deadline,
  what,
  baseMs: settings.baseMs ?? 500,
  capMs: settings.capMs ?? 10_000,
});

/** MySQL or MariaDB on one connection: queries made concurrently wait their turn, so a snapshot holds them all. */
export class MysqlEngine implements SourceEngine {
  readonly name = 'mysql';
  readonly dialect = mysqlDialect;
  constructor(private readonly connection: Connection) {}

  async query(sql: string): Promise<Row[]> {
    const [rows] = await this.connection.query<RowDataPacket[]>(sql);
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : String(v)])));
  }

  async inSnapshot<T>(read: () => Promise<T>): Promise<T> {
    // SET TRANSACTION applies to the next transaction only; InnoDB takes the read view at START TRANSACTION itself.
    await this.connection.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await this.connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    let result: T;
    try {
      result = await read();
    } catch (error) {
      await this.connection.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    await this.connection.query('COMMIT');
    return result;
  }

  async execute(sql: string): Promise<void> {
    await this.connection.query(sql);
  }
}

/** Athena: start the query in the workgroup, poll QUEUED → RUNNING → SUCCEEDED, read every result page. */
export class AthenaEngine implements SqlEngine {
  readonly name = 'athena';
  readonly dialect = trinoDialect;
  constructor(
    private readonly client: AthenaClient,
    private readonly options: PollSettings & { readonly workgroup: string; readonly database: string },
  ) {}

  async query(sql: string, deadline: Deadline): Promise<Row[]> {
    const wait = pollOptions(this.options, deadline, 'running an Athena query');
    const started = await this.client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: this.options.workgroup,
        QueryExecutionContext: { Database: this.options.database },
      }),
    );
    const id = started.QueryExecutionId!;
    await pollUntil(async () => {
      const { QueryExecution } = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') return true;
      if (state === 'FAILED' || state === 'CANCELLED') {
        throw new QueryFailed(
          'athena',
          `${state}: ${QueryExecution?.Status?.StateChangeReason ?? QueryExecution?.Status?.AthenaError?.ErrorMessage ?? 'no reason given'}`,
        );
      }
      return undefined;
    }, wait);

    const rows: Row[] = [];
    let columns: string[] | undefined;
    for await (const page of paginateGetQueryResults({ client: this.client }, { QueryExecutionId: id })) {
      deadline.check('reading Athena results');
      const data = page.ResultSet?.Rows ?? [];
      // The first row of the first page repeats the column names.
      const body = columns === undefined ? data.slice(1) : data;
      columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name!);
      for (const row of body) rows.push(Object.fromEntries(columns.map((name, i) => [name, row.Data?.[i]?.VarCharValue ?? null])));
    }
    return rows;
  }
}

/** Redshift Serverless through the Data API: SUBMITTED → STARTED → FINISHED, then every result page. */
export class RedshiftDataEngine implements SqlEngine {
  readonly name = 'redshift';
  readonly dialect: Dialect;
  constructor(
    private readonly client: RedshiftDataClient,
    private readonly options: PollSettings & { readonly workgroup: string; readonly database: string; readonly externalSchema: string },
  ) {
    this.dialect = redshiftDialect(options.externalSchema);
  }

  async execute(sql: string, deadline: Deadline): Promise<{ id: string; hasResultSet: boolean }> {
    const wait = pollOptions(this.options, deadline, 'running a Redshift statement');
    const { Id } = await this.client.send(
      new ExecuteStatementCommand({ Sql: sql, WorkgroupName: this.options.workgroup, Database: this.options.database }),
    );
    const hasResultSet = await pollUntil(async () => {
      const statement = await this.client.send(new DescribeStatementCommand({ Id }));
      if (statement.Status === 'FINISHED') return Boolean(statement.HasResultSet);
      if (statement.Status === 'FAILED' || statement.Status === 'ABORTED') {
        throw new QueryFailed('redshift', `${statement.Status}: ${statement.Error ?? 'no reason given'}`);
      }
      return undefined;
    }, wait);
    return { id: Id!, hasResultSet };
  }

  async query(sql: string, deadline: Deadline): Promise<Row[]> {
    const { id, hasResultSet } = await this.execute(sql, deadline);
    if (!hasResultSet) return [];
    const rows: Row[] = [];
    for await (const page of paginateGetStatementResult({ client: this.client }, { Id: id })) {
      deadline.check('reading Redshift results');
      const names = (page.ColumnMetadata ?? []).map((c) => c.name!);
      for (const record of page.Records ?? []) {
        rows.push(
          Object.fromEntries(
            names.map((name, i) => {
              const field = record[i] ?? {};
              const value = field.isNull ? null : (field.stringValue ?? field.longValue ?? field.doubleValue ?? field.booleanValue);
              return [name, value === null || value === undefined ? null : String(value)];
            }),
          ),
        );
      }
    }
    return rows;
  }
}
