import { mockClient } from 'aws-sdk-client-mock';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  QueryExecutionState,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  StatusString,
} from '@aws-sdk/client-redshift-data';
import {
  DatabaseMigrationServiceClient,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  StartReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import { BatchGetCrawlersCommand, GetTablesCommand, GlueClient, StartCrawlerCommand } from '@aws-sdk/client-glue';
import { DescribeExecutionCommand, ExecutionStatus, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CLINIC_TABLES, SMOKE_PROBE_TABLE, directIdentifierColumns } from '../../contract/clinic';
import { READABLE_COLUMNS } from '../../contract/lake';
import { changeLogCatalogColumns, currentCatalogColumns } from '../../contract/merge';
import { externalSchemaSql } from '../../contract/warehouse';
import { mysqlDialect } from '../../scripts/smoke/checksum';
import { AthenaEngine, RedshiftDataEngine, Row, SourceEngine } from '../../scripts/smoke/engines';
import { SmokeContext } from '../../scripts/smoke/steps';
import { Clock, Deadline } from '../../scripts/smoke/waiting';

/** A clock that only moves when someone sleeps: waits cost no real time and deadlines are exact. */
export class VirtualClock implements Clock {
  time = 1_700_000_000_000;
  slept: number[] = [];
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.time += ms;
  }
}

/** Table → [rows, checksum_a, checksum_b] as every engine should report it. */
export type Fingerprints = Record<string, [number, number, number]>;

/** Rows per table at scale 1, and the probe rows earlier smoke runs left. */
const ROWS: Record<string, number> = { insurance: 5, employee: 25, patient: 500, appointment: 100, encounter: 250, account: 250 };
ROWS[SMOKE_PROBE_TABLE] = 3;

export const SOURCE: Fingerprints = Object.fromEntries(
  CLINIC_TABLES.map((t, i): [string, [number, number, number]] => [t.name, [ROWS[t.name], 1_000_000 + i, 2_000_000 + i]]),
);

const tableOf = (sql: string): string => {
  const match = /FROM (?:lake\.)?[`"]?([a-z_]+)[`"]?/.exec(sql);
  if (!match) throw new Error(`no table in ${sql}`);
  return match[1];
};

/** What the fake source was asked: every statement in order, with the snapshot's start and end as their own entries. */
export interface SourceLog {
  readonly statements: string[];
}

/**
 * The source: an in-memory engine answering the checksum query from fixed fingerprints, logging the snapshot it is
 * read in and what is written to it.
 */
export function fakeSource(fingerprints: Fingerprints = SOURCE, log: SourceLog = { statements: [] }): SourceEngine {
  let inSnapshot = false;
  return {
    name: 'mysql',
    dialect: mysqlDialect,
    query: async (sql: string): Promise<Row[]> => {
      log.statements.push(`${inSnapshot ? 'snapshot: ' : ''}${sql}`);
      const [rows, a, b] = fingerprints[tableOf(sql)];
      return [{ row_count: String(rows), checksum_a: String(a), checksum_b: String(b) }];
    },
    inSnapshot: async (read) => {
      log.statements.push('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      inSnapshot = true;
      try {
        return await read();
      } finally {
        inSnapshot = false;
        log.statements.push('COMMIT');
      }
    },
    execute: async (sql: string) => {
      log.statements.push(sql);
    },
  };
}

export interface LakeBehaviour {
  /** What the lake holds per table (defaults to the source). */
  readonly fingerprints?: Fingerprints;
  /** SQL fragments whose queries fail with this reason. */
  readonly failures?: ReadonlyArray<[RegExp, string]>;
  /** Per-query latency in virtual ms, keyed by table, added while the query is RUNNING. */
  readonly polls?: number;
  /** Whether the probe row is in the current table yet, asked at each query of it. @default always */
  readonly probeVisible?: () => boolean;
}

/**
 * Statements a mocked engine accepted, by id: each poll moves one a stage on (0 queued, 1 running, 2 done) and
 * reports the failure the behaviour scripts for its SQL.
 */
function statementLog(prefix: string, behaviour: LakeBehaviour) {
  const statements = new Map<string, { sql: string; polls: number }>();
  return {
    submit(sql: string): string {
      const id = `${prefix}-${statements.size + 1}`;
      statements.set(id, { sql, polls: 0 });
      return id;
    },
    sql: (id: string): string => statements.get(id)!.sql,
    poll(id: string): { stage: number; polls: number; failure?: string } {
      const statement = statements.get(id)!;
      statement.polls += 1;
      const failure = behaviour.failures?.find(([pattern]) => pattern.test(statement.sql))?.[1];
      return { stage: Math.min(statement.polls - 1, 2), polls: statement.polls, failure };
    },
  };
}

/** Athena behind aws-sdk-client-mock: QUEUED → RUNNING → SUCCEEDED (or FAILED), results in two pages. */
export function mockAthena(behaviour: LakeBehaviour = {}) {
  const athena = mockClient(AthenaClient);
  const queries = statementLog('q', behaviour);
  athena.on(StartQueryExecutionCommand).callsFake(async (input) => ({ QueryExecutionId: queries.submit(input.QueryString) }));
  athena.on(GetQueryExecutionCommand).callsFake(async (input) => {
    const { stage, polls, failure } = queries.poll(input.QueryExecutionId);
    const states: QueryExecutionState[] = ['QUEUED', 'RUNNING', 'SUCCEEDED'];
    let state = states[stage];
    if (state === 'SUCCEEDED' && failure) {
      return { QueryExecution: { QueryExecutionId: input.QueryExecutionId, Status: { State: 'FAILED', StateChangeReason: failure } } };
    }
    if (polls < 2 + (behaviour.polls ?? 0) && state === 'SUCCEEDED') state = 'RUNNING';
    return { QueryExecution: { QueryExecutionId: input.QueryExecutionId, Status: { State: state } } };
  });
  athena.on(GetQueryResultsCommand).callsFake(async (input) => {
    const sql = queries.sql(input.QueryExecutionId);
    if (/AS visible FROM/.test(sql)) {
      const visible = (behaviour.probeVisible ?? (() => true))() ? '1' : '0';
      return {
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: [{ Name: 'visible', Type: 'bigint' }] },
          Rows: [{ Data: [{ VarCharValue: 'visible' }] }, { Data: [{ VarCharValue: visible }] }],
        },
      };
    }
    if (!/row_count/.test(sql)) {
      return {
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: [{ Name: 'person_id', Type: 'varchar' }] },
          Rows: [{ Data: [{ VarCharValue: 'person_id' }] }, { Data: [{ VarCharValue: 'PER1' }] }],
        },
      };
    }
    const [rows, a, b] = (behaviour.fingerprints ?? SOURCE)[tableOf(sql)];
    const columns = ['row_count', 'checksum_a', 'checksum_b'];
    if (!input.NextToken) {
      return {
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns.map((Name) => ({ Name, Type: 'bigint' })) },
          Rows: [{ Data: columns.map((c) => ({ VarCharValue: c })) }],
        },
        NextToken: 'page-2',
      };
    }
    return {
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: columns.map((Name) => ({ Name, Type: 'bigint' })) },
        Rows: [{ Data: [rows, a, b].map((v) => ({ VarCharValue: String(v) })) }],
      },
    };
  });
  return athena;
}

/** Redshift Data API: SUBMITTED → STARTED → FINISHED (or FAILED), results as long values. */
export function mockRedshiftData(behaviour: LakeBehaviour = {}) {
  const redshift = mockClient(RedshiftDataClient);
  const statements = statementLog('s', behaviour);
  redshift.on(ExecuteStatementCommand).callsFake(async (input) => ({ Id: statements.submit(input.Sql) }));
  redshift.on(DescribeStatementCommand).callsFake(async (input) => {
    const { stage, failure } = statements.poll(input.Id);
    const states: StatusString[] = ['SUBMITTED', 'STARTED', 'FINISHED'];
    const state = states[stage];
    if (state === 'FINISHED' && failure) return { Id: input.Id, Status: 'FAILED', Error: failure };
    return { Id: input.Id, Status: state, HasResultSet: state === 'FINISHED' && /^SELECT/.test(statements.sql(input.Id)) };
  });
  redshift.on(GetStatementResultCommand).callsFake(async (input) => {
    const sql = statements.sql(input.Id);
    if (/AS visible FROM/.test(sql)) {
      const visible = (behaviour.probeVisible ?? (() => true))() ? 1 : 0;
      return { ColumnMetadata: [{ name: 'visible' }], Records: [[{ longValue: visible }]] };
    }
    if (!/row_count/.test(sql)) return { ColumnMetadata: [{ name: 'person_id' }], Records: [[{ stringValue: 'PER1' }]] };
    const [rows, a, b] = (behaviour.fingerprints ?? SOURCE)[tableOf(sql)];
    return {
      ColumnMetadata: [{ name: 'row_count' }, { name: 'checksum_a' }, { name: 'checksum_b' }],
      Records: [[{ longValue: rows }, { longValue: a }, { longValue: b }]],
    };
  });
  return redshift;
}

export interface DmsBehaviour {
  readonly failWith?: string;
  /** The task is `full-load-and-cdc` and already running, its full load done: the step joins it. */
  readonly cdcRunning?: boolean;
  readonly fullLoadRows?: Record<string, number>;
  readonly missingTable?: string;
}

/** DMS: ready → starting → running → stopped (full load finished), with paginated table statistics. */
export function mockDms(clock: VirtualClock, behaviour: DmsBehaviour = {}) {
  const dms = mockClient(DatabaseMigrationServiceClient);
  let started = false;
  let polls = 0;
  dms.on(StartReplicationTaskCommand).callsFake(async () => {
    started = true;
    return { ReplicationTask: { Status: 'starting' } };
  });
  dms.on(DescribeReplicationTasksCommand).callsFake(async () => {
    const base = { ReplicationTaskArn: TASK_ARN, MigrationType: 'full-load' as const };
    if (behaviour.cdcRunning) {
      const stats = { FullLoadProgressPercent: 100 };
      return {
        ReplicationTasks: [{ ...base, MigrationType: 'full-load-and-cdc' as const, Status: 'running', ReplicationTaskStats: stats }],
      };
    }
    if (!started) return { ReplicationTasks: [{ ...base, Status: 'ready' }] };
    polls += 1;
    if (polls === 1) return { ReplicationTasks: [{ ...base, Status: 'starting' }] };
    if (polls === 2) return { ReplicationTasks: [{ ...base, Status: 'running', ReplicationTaskStats: { FullLoadProgressPercent: 60 } }] };
    if (behaviour.failWith) return { ReplicationTasks: [{ ...base, Status: 'failed', LastFailureMessage: behaviour.failWith }] };
    return {
      ReplicationTasks: [
        {
          ...base,
          Status: 'stopped',
          StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED',
          ReplicationTaskStats: { FullLoadProgressPercent: 100, StopDate: new Date(clock.now()) },
        },
      ],
    };
  });
  dms.on(DescribeTableStatisticsCommand).callsFake(async (input) => {
    const stats = CLINIC_TABLES.filter((t) => t.name !== behaviour.missingTable).map((t) => ({
      SchemaName: 'unicornhealth',
      TableName: t.name,
      FullLoadRows: behaviour.fullLoadRows?.[t.name] ?? SOURCE[t.name][0],
      TableState: 'Table completed',
      ValidationState: 'Not enabled',
    }));
    return input.Marker ? { TableStatistics: stats.slice(3) } : { TableStatistics: stats.slice(0, 3), Marker: 'next' };
  });
  return dms;
}

/** The catalog databases of the mocked account: the current-state tables and the change log DMS writes. */
export const GLUE_DATABASE = 'unicornhealth_dev';
export const CHANGE_LOG_DATABASE = 'unicornhealth_dev_changes';

export interface GlueBehaviour {
  /** Crawls that fail, by contract table, with Glue's error message. */
  readonly crawlFails?: Readonly<Record<string, string>>;
  /** Columns of a table of a database, instead of what the design gives it (undefined: the design's). */
  readonly columnsOf?: (table: string, database: string) => { Name: string; Type: string }[] | undefined;
  /** Tables a database lists, instead of every contract table. */
  readonly tables?: (database: string) => string[];
  /** Crawlers (by name) already crawling when the run starts them. */
  readonly crawlersAlreadyRunning?: readonly string[];
  /** How many polls each crawler stays RUNNING (then one STOPPING, then READY). @default 1 */
  readonly crawlPolls?: number;
  /** Every crawl ends before the first poll: READY at once, its last crawl started after StartCrawler. */
  readonly crawlsEndBeforeFirstPoll?: boolean;
  /** Crawlers (by name) READY from a crawl that ended an hour before the run, whose StartCrawler is lost. */
  readonly crawlersNeverStart?: readonly string[];
}

/** The crawler of each contract table, named as the stack names them. */
export const CRAWLER_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  CLINIC_TABLES.map((t) => [t.name, `unicornhealth-dev-raw-${t.name.toLowerCase()}`]),
);

/** The columns the design gives each database's tables, per contract table. */
const DESIGNED_COLUMNS: Readonly<Record<string, typeof currentCatalogColumns>> = {
  [GLUE_DATABASE]: currentCatalogColumns,
  [CHANGE_LOG_DATABASE]: changeLogCatalogColumns,
};

/**
 * Glue: each crawler, once started, goes RUNNING → STOPPING → READY over the BatchGetCrawlers polls, then GetTables
 * per database in two pages; an unknown crawler or database is refused as Glue refuses it.
 */
export function mockGlue(clock: VirtualClock, behaviour: GlueBehaviour = {}) {
  const glue = mockClient(GlueClient);
  const polls = new Map<string, number>();
  const startTimes = new Map<string, Date>();
  const tableOfCrawler = new Map(Object.entries(CRAWLER_NAMES).map(([table, name]) => [name, table]));
  glue.on(StartCrawlerCommand).callsFake(async (input) => {
    if (!tableOfCrawler.has(input.Name))
      throw Object.assign(new Error(`Crawler entry with name ${input.Name} does not exist`), { name: 'EntityNotFoundException' });
    if (behaviour.crawlersAlreadyRunning?.includes(input.Name))
      throw Object.assign(new Error(`Crawler with name ${input.Name} has already started`), { name: 'CrawlerRunningException' });
    if (!behaviour.crawlersNeverStart?.includes(input.Name)) {
      polls.set(input.Name, 0);
      startTimes.set(input.Name, new Date(clock.now() + 1_000));
    }
    return {};
  });
  glue.on(BatchGetCrawlersCommand).callsFake(async (input) => {
    const names: string[] = input.CrawlerNames ?? [];
    const running = behaviour.crawlPolls ?? 1;
    const crawlers = names
      .filter((name) => tableOfCrawler.has(name))
      .map((name) => {
        const seen = (polls.get(name) ?? 0) + 1;
        polls.set(name, seen);
        const ended = behaviour.crawlsEndBeforeFirstPoll || behaviour.crawlersNeverStart?.includes(name);
        const State = ended ? 'READY' : seen <= running ? 'RUNNING' : seen === running + 1 ? 'STOPPING' : 'READY';
        const failure = behaviour.crawlFails?.[tableOfCrawler.get(name)!];
        const StartTime = startTimes.get(name) ?? new Date(clock.now() - 3_600_000);
        const LastCrawl = failure
          ? { Status: 'FAILED' as const, ErrorMessage: failure, StartTime }
          : { Status: 'SUCCEEDED' as const, StartTime };
        return { Name: name, State: State as 'RUNNING', LastCrawl };
      });
    return { Crawlers: crawlers, CrawlersNotFound: names.filter((name) => !tableOfCrawler.has(name)) };
  });
  glue.on(GetTablesCommand).callsFake(async (input) => {
    const database = input.DatabaseName!;
    const designed = DESIGNED_COLUMNS[database];
    if (!designed) throw Object.assign(new Error(`Database ${database} not found.`), { name: 'EntityNotFoundException', $metadata: {} });
    const names = behaviour.tables?.(database) ?? CLINIC_TABLES.map((t) => t.name);
    const list = names.map((name) => ({
      Name: name,
      DatabaseName: database,
      StorageDescriptor: {
        Columns:
          behaviour.columnsOf?.(name, database) ??
          designed(CLINIC_TABLES.find((t) => t.name === name)!).map((c) => ({ Name: c.name, Type: c.type })),
      },
    }));
    return input.NextToken ? { TableList: list.slice(2) } : { TableList: list.slice(0, 2), NextToken: 'more' };
  });
  return glue;
}

/**
 * What Lake Formation does to a query of a column the persona was not granted, and to a table it was granted nothing
 * of (the probe, for analysts and Redshift): the engine reports it failed.
 */
export const LAKE_FORMATION_REFUSES_IDENTIFIERS: LakeBehaviour = {
  failures: [
    ...directIdentifierColumns().flatMap(({ table, columns }) =>
      columns.map((column): [RegExp, string] => [
        new RegExp(`^SELECT "${column}" FROM (lake\\.)?"${table}"`),
        `COLUMN_NOT_FOUND: Column '${column}' cannot be resolved or requester is not authorized to access requested resources`,
      ]),
    ),
    ...CLINIC_TABLES.filter((t) => READABLE_COLUMNS.analyst(t).length === 0).map((t): [RegExp, string] => [
      new RegExp(`^SELECT count\\(\\*\\) AS n FROM (lake\\.)?"${t.name}"`),
      `TABLE_NOT_FOUND: Table 'awsdatacatalog.unicornhealth_dev.${t.name}' does not exist`,
    ]),
  ],
};

/** The merge state machine of the mocked account. */
export const MERGE_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111111111111:stateMachine:unicornhealth-dev-merge';

export interface SfnBehaviour {
  /** How the execution ends. @default SUCCEEDED */
  readonly status?: ExecutionStatus;
  readonly error?: string;
  readonly cause?: string;
  /** How many DescribeExecution polls it stays RUNNING. @default 2 */
  readonly runningPolls?: number;
}

/** Step Functions: StartExecution, then RUNNING for a few polls, then the scripted end with its error and cause. */
export function mockSfn(behaviour: SfnBehaviour = {}) {
  const sfn = mockClient(SFNClient);
  let polls = 0;
  sfn.on(StartExecutionCommand).callsFake(async (input) => ({
    executionArn: `${input.stateMachineArn!.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
  sfn.on(DescribeExecutionCommand).callsFake(async (input) => {
    polls += 1;
    const base = { executionArn: input.executionArn, stateMachineArn: MERGE_STATE_MACHINE_ARN, startDate: new Date() };
    if (polls <= (behaviour.runningPolls ?? 2)) return { ...base, status: 'RUNNING' };
    const status = behaviour.status ?? 'SUCCEEDED';
    return { ...base, status, stopDate: new Date(), ...(status === 'SUCCEEDED' ? {} : { error: behaviour.error, cause: behaviour.cause }) };
  });
  return sfn;
}

export const TASK_ARN = 'arn:aws:dms:us-east-1:111111111111:task:ABCDEFGHIJKLMNOP';

export interface ContextOptions {
  readonly clock?: VirtualClock;
  readonly timeoutMs?: number;
  readonly athena?: LakeBehaviour;
  readonly redshift?: LakeBehaviour;
  readonly dms?: DmsBehaviour;
  readonly glue?: GlueBehaviour;
  readonly sfn?: SfnBehaviour;
  /** Where the fake source logs its statements. */
  readonly sourceLog?: SourceLog;
}

/** Athena as the smoke run builds it, on the (mocked) client and a virtual clock with short backoff. */
export const athenaEngine = (clock: VirtualClock): AthenaEngine =>
  new AthenaEngine(new AthenaClient({ region: 'us-east-1' }), {
    clock,
    workgroup: 'wg',
    database: 'unicornhealth_dev',
    baseMs: 100,
    capMs: 1000,
  });

/** Redshift through the Data API, likewise. */
export const redshiftEngine = (clock: VirtualClock): RedshiftDataEngine =>
  new RedshiftDataEngine(new RedshiftDataClient({ region: 'us-east-1' }), {
    clock,
    workgroup: 'rs',
    database: 'clinic',
    externalSchema: 'lake',
    baseMs: 100,
    capMs: 1000,
  });

/** A full smoke context on mocked AWS clients and a virtual clock. */
export function smokeContext(options: ContextOptions = {}): { ctx: SmokeContext; clock: VirtualClock; mocks: Record<string, unknown> } {
  const clock = options.clock ?? new VirtualClock();
  const athenaMock = mockAthena(options.athena ?? LAKE_FORMATION_REFUSES_IDENTIFIERS);
  const athena = athenaEngine(clock);
  const redshiftMock = mockRedshiftData(options.redshift ?? LAKE_FORMATION_REFUSES_IDENTIFIERS);
  const redshift = redshiftEngine(clock);
  const dmsMock = mockDms(clock, options.dms);
  const glueMock = mockGlue(clock, options.glue);
  const sfnMock = mockSfn(options.sfn);
  let ids = 0;
  const ctx: SmokeContext = {
    tables: CLINIC_TABLES,
    clock,
    deadline: Deadline.in(clock, options.timeoutMs ?? 3_600_000),
    names: {
      dmsTaskArn: TASK_ARN,
      crawlerNames: CRAWLER_NAMES,
      mergeStateMachineArn: MERGE_STATE_MACHINE_ARN,
      glueDatabase: GLUE_DATABASE,
      changeLogDatabase: CHANGE_LOG_DATABASE,
      externalSchemaSql: externalSchemaSql({
        glueDatabase: GLUE_DATABASE,
        roleArn: 'arn:aws:iam::111111111111:role/rs',
        region: 'us-east-1',
      }),
    },
    source: fakeSource(SOURCE, options.sourceLog),
    readers: [
      { persona: 'smoke-runner', engine: athena },
      { persona: 'analyst', engine: athena },
      { persona: 'redshift', engine: redshift },
    ],
    executeOnWarehouse: (sql, deadline) => redshift.execute(sql, deadline),
    dms: new DatabaseMigrationServiceClient({ region: 'us-east-1' }),
    glue: new GlueClient({ region: 'us-east-1' }),
    sfn: new SFNClient({ region: 'us-east-1' }),
    backoff: { baseMs: 100, capMs: 1000 },
    newId: () => `00000000-0000-4000-8000-${String((ids += 1)).padStart(12, '0')}`,
  };
  return { ctx, clock, mocks: { athenaMock, redshiftMock, dmsMock, glueMock, sfnMock } };
}
