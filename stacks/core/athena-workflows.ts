import { Table } from '../../contract/clinic';
import { MergeTables, changeLogProblemsSql, mergeSql } from '../../contract/merge';

/*
 * The merge and the table maintenance as Step Functions state machines (Amazon States Language, JSONPath) that run
 * Athena queries through the optimized integration: `startQueryExecution.sync` waits for the query to finish and fails
 * the task when the query fails, `getQueryResults` reads a result
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-athena.html). Plain data, without cdktf: the Merge
 * construct serializes it, and the policy rules and tests read it back.
 *
 * No state carries table data. Step Functions keeps every state's input and output in the execution history, so a
 * result is reduced to what the workflow decides on (a query execution id, a row count) as soon as it is read.
 */

export const ATHENA_START_QUERY_SYNC = 'arn:aws:states:::athena:startQueryExecution.sync';
export const ATHENA_GET_QUERY_RESULTS = 'arn:aws:states:::athena:getQueryResults';

/** Where the merge reads and writes, as Athena names the tables: `"<db>_changes"."<table>"` and `"<db>"."<table>"`. */
export function athenaMergeTables(changesDatabase: string, currentDatabase: string): MergeTables {
  const name = (database: string, table: Table): string => `"${database}"."${table.name.toLowerCase()}"`;
  return { changeLog: (table) => name(changesDatabase, table), current: (table) => name(currentDatabase, table) };
}

/**
 * Retrying a query task: Athena refuses a commit that loses an Iceberg optimistic-concurrency race (a maintenance and a
 * merge on one table), throttles, and asks for another OPTIMIZE or VACUUM run when one did not finish the table
 * (ICEBERG_OPTIMIZE_MORE_RUNS_NEEDED, ICEBERG_VACUUM_MORE_RUNS_NEEDED). The merge and the maintenance are idempotent,
 * so running a query again is safe.
 */
const QUERY_RETRY = [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 30, MaxAttempts: 3, BackoffRate: 2 }];

/** A Task state that runs one query in the workgroup and waits for it, keeping only its execution id. */
function queryTask(sql: string, workgroup: string, resultPath: string | null, next: string | undefined): object {
  return {
    Type: 'Task',
    Resource: ATHENA_START_QUERY_SYNC,
    Parameters: { QueryString: sql, WorkGroup: workgroup },
    ResultSelector: { 'QueryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
    ResultPath: resultPath,
    Retry: QUERY_RETRY,
    ...(next === undefined ? { End: true } : { Next: next }),
  };
}

/** State names of one table's branch of the merge. */
export const mergeStateNames = (
  table: Table,
): Record<'findProblems' | 'countProblems' | 'clean' | 'refuse' | 'merge' | 'merged', string> => ({
  findProblems: `${table.name}: find change-log problems`,
  countProblems: `${table.name}: count problem rows`,
  clean: `${table.name}: change log clean?`,
  refuse: `${table.name}: leave unmerged`,
  merge: `${table.name}: merge`,
  merged: `${table.name}: merged`,
});

/** The error a merge fails with when a change log holds rows it cannot apply. */
export const CHANGE_LOG_PROBLEMS_ERROR = 'ChangeLogProblems';

/**
 * One table's branch: the change-log problem query; when it returns any row, the table is left as it is and the branch
 * reports the query (its rows name keys, which stay in Athena's results, not in the execution history); otherwise
 * MERGE INTO the current-state table.
 */
function mergeBranch(table: Table, tables: MergeTables, workgroup: string): object {
  const names = mergeStateNames(table);
  return {
    StartAt: names.findProblems,
    States: {
      [names.findProblems]: queryTask(changeLogProblemsSql(table, tables), workgroup, '$.problemQuery', names.countProblems),
      [names.countProblems]: {
        Type: 'Task',
        Resource: ATHENA_GET_QUERY_RESULTS,
        // A header row and at most one problem row are enough to decide.
        Parameters: { 'QueryExecutionId.$': '$.problemQuery.QueryExecutionId', MaxResults: 2 },
        ResultSelector: { 'rows.$': 'States.ArrayLength($.ResultSet.Rows)' },
        ResultPath: '$.problems',
        Retry: QUERY_RETRY,
        Next: names.clean,
      },
      [names.clean]: {
        Type: 'Choice',
        // The first row of a SELECT's results is the header.
        Choices: [{ Variable: '$.problems.rows', NumericGreaterThan: 1, Next: names.refuse }],
        Default: names.merge,
      },
      [names.refuse]: {
        Type: 'Pass',
        Parameters: { table: table.name, merged: false, 'problemQueryExecutionId.$': '$.problemQuery.QueryExecutionId' },
        End: true,
      },
      [names.merge]: queryTask(mergeSql(table, tables), workgroup, null, names.merged),
      [names.merged]: { Type: 'Pass', Parameters: { table: table.name, merged: true }, End: true },
    },
  };
}

/** Empties a current-state table, so that the next merge applies its whole change log (nothing applied yet). */
export function rebuildSql(table: Table, tables: MergeTables): string {
  return `DELETE FROM ${tables.current(table)}`;
}

/** The execution input that rebuilds every current-state table from its whole change log. */
export const REBUILD_INPUT = { rebuild: true } as const;

export interface MergeWorkflowOptions {
  readonly tables: readonly Table[];
  /** Glue database of the change-log tables. */
  readonly changesDatabase: string;
  /** Glue database of the current-state tables. */
  readonly currentDatabase: string;
  /** Athena workgroup the queries run in. */
  readonly workgroup: string;
}

/**
 * The merge: every table in parallel (one table's problems leave the others current), each checked and then merged;
 * then the execution fails, naming the tables left unmerged and their problem queries, if any change log had problems.
 * With the input `{"rebuild": true}` every current-state table is emptied first, so the merge applies the whole change
 * log: a replay of the history, and what a change log that is only the last full load (DMS full-load mode, or after a
 * `reload-target`) needs, since the merge otherwise reads only changes newer than the newest one applied. Between the
 * emptying and the merge, a reader sees an empty table.
 */
export function mergeStateMachineDefinition(options: MergeWorkflowOptions): object {
  const tables = athenaMergeTables(options.changesDatabase, options.currentDatabase);
  return {
    Comment:
      'Applies the change log of every contract table to its current-state table (MERGE INTO), unless the change log has rows the merge cannot apply; {"rebuild": true} empties the tables first',
    QueryLanguage: 'JSONPath',
    StartAt: 'Rebuild?',
    States: {
      'Rebuild?': {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.rebuild', IsPresent: true },
              { Variable: '$.rebuild', BooleanEquals: true },
            ],
            Next: 'Empty every table',
          },
        ],
        Default: 'Merge every table',
      },
      'Empty every table': {
        Type: 'Parallel',
        Branches: options.tables.map((table) => {
          const empty = `${table.name}: empty`;
          return { StartAt: empty, States: { [empty]: queryTask(rebuildSql(table, tables), options.workgroup, null, undefined) } };
        }),
        ResultPath: null,
        Next: 'Merge every table',
      },
      'Merge every table': {
        Type: 'Parallel',
        Branches: options.tables.map((table) => mergeBranch(table, tables, options.workgroup)),
        Next: 'Tables left unmerged',
      },
      'Tables left unmerged': {
        Type: 'Pass',
        Parameters: { 'unmerged.$': '$[?(@.merged == false)]' },
        Next: 'Every table merged?',
      },
      'Every table merged?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.unmerged[0]', IsPresent: true, Next: 'Change-log problems' }],
        Default: 'Merged',
      },
      'Change-log problems': {
        Type: 'Fail',
        Error: CHANGE_LOG_PROBLEMS_ERROR,
        CausePath:
          "States.Format('The change log of these tables has rows the merge cannot apply (an unknown operation, a change without a sequence, a row without a key, or two changes of a key with one sequence), so their current state was left as it was; the rows are in the results of each table's problem query in the merge workgroup, whose QueryExecutionId this execution's history shows: {}', States.JsonToString($.unmerged))",
      },
      Merged: { Type: 'Succeed' },
    },
  };
}

export interface MaintenanceWorkflowOptions {
  readonly tables: readonly Table[];
  /** Glue database of the current-state tables. */
  readonly currentDatabase: string;
  readonly workgroup: string;
}

/**
 * The statements that keep one Iceberg table fast and small: compaction of small files and delete files into larger
 * ones, then snapshot expiry and removal of files no snapshot needs
 * (https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-data-optimization.html). Unquoted names: VACUUM
 * takes `[database_name.]target_table` and does not accept double quotes
 * (https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html); the names are lower-case letters, digits and
 * underscores, which need none.
 */
export function maintenanceSql(table: Table, currentDatabase: string): { readonly optimize: string; readonly vacuum: string } {
  const name = `${currentDatabase}.${table.name.toLowerCase()}`;
  return { optimize: `OPTIMIZE ${name} REWRITE DATA USING BIN_PACK`, vacuum: `VACUUM ${name}` };
}

/** The maintenance: for every table in parallel, OPTIMIZE then VACUUM. */
export function maintenanceStateMachineDefinition(options: MaintenanceWorkflowOptions): object {
  return {
    Comment: 'Compacts every current-state table (OPTIMIZE), then expires old snapshots and removes unneeded files (VACUUM)',
    QueryLanguage: 'JSONPath',
    StartAt: 'Maintain every table',
    States: {
      'Maintain every table': {
        Type: 'Parallel',
        Branches: options.tables.map((table) => {
          const sql = maintenanceSql(table, options.currentDatabase);
          const optimize = `${table.name}: optimize`;
          const vacuum = `${table.name}: vacuum`;
          return {
            StartAt: optimize,
            States: {
              [optimize]: queryTask(sql.optimize, options.workgroup, null, vacuum),
              [vacuum]: queryTask(sql.vacuum, options.workgroup, null, undefined),
            },
          };
        }),
        ResultPath: null,
        End: true,
      },
    },
  };
}
