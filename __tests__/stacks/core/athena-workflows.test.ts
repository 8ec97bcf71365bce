import { CLINIC_TABLES, tableNamed } from '../../../contract/clinic';
import { changeLogProblemsSql, mergeSql } from '../../../contract/merge';
import {
  ATHENA_GET_QUERY_RESULTS,
  ATHENA_START_QUERY_SYNC,
  CHANGE_LOG_PROBLEMS_ERROR,
  athenaMergeTables,
  maintenanceSql,
  maintenanceStateMachineDefinition,
  mergeStateMachineDefinition,
  mergeStateNames,
  rebuildSql,
} from '../../../stacks/core/athena-workflows';
import { Json } from '../../helpers/synth';

/** Every state of a state machine or branch, the states of its Parallel branches included, as [name, state]. */
function allStates(machine: Json): [string, Json][] {
  return Object.entries<Json>(machine.States).flatMap(([name, state]) => [
    [name, state] as [string, Json],
    ...(state.Branches ?? []).flatMap((branch: Json) => allStates(branch)),
  ]);
}

/**
 * What Step Functions checks of a definition's shape: StartAt names a state, every Next and Choice target names a
 * state of the same scope, and every state either ends the scope or goes on.
 */
function shapeProblems(machine: Json, scope = 'the state machine'): string[] {
  const names = new Set(Object.keys(machine.States));
  const problems: string[] = names.has(machine.StartAt) ? [] : [`${scope}: StartAt ${machine.StartAt} is no state`];
  for (const [name, state] of Object.entries<Json>(machine.States)) {
    const targets = [state.Next, state.Default, ...(state.Choices ?? []).map((c: Json) => c.Next)].filter(Boolean);
    for (const target of targets) if (!names.has(target)) problems.push(`${scope}: ${name} goes to ${target}, which is no state`);
    const terminal = state.End === true || ['Succeed', 'Fail', 'Choice'].includes(state.Type);
    if (!terminal && !state.Next) problems.push(`${scope}: ${name} neither ends nor goes on`);
    for (const [index, branch] of (state.Branches ?? []).entries()) problems.push(...shapeProblems(branch, `${name} branch ${index}`));
  }
  return problems;
}

describe('the merge and maintenance workflows (Amazon States Language)', () => {
  const merge = mergeStateMachineDefinition({
    tables: CLINIC_TABLES,
    changesDatabase: 'uh_test_changes',
    currentDatabase: 'uh_test',
    workgroup: 'uh-test-merge',
  }) as Json;
  const maintenance = maintenanceStateMachineDefinition({
    tables: CLINIC_TABLES,
    currentDatabase: 'uh_test',
    workgroup: 'uh-test-merge',
  }) as Json;
  const tables = athenaMergeTables('uh_test_changes', 'uh_test');

  test('the merge names the change log and the current state as Athena does', () => {
    const patient = tableNamed('patient');
    expect(tables.changeLog(patient)).toBe('"uh_test_changes"."patient"');
    expect(tables.current(patient)).toBe('"uh_test"."patient"');
  });

  test.each([
    ['merge', merge],
    ['maintenance', maintenance],
  ])('the %s definition is well formed: JSONPath, every transition names a state, every state ends or goes on', (_name, definition) => {
    expect(definition.QueryLanguage).toBe('JSONPath');
    expect(shapeProblems(definition)).toEqual([]);
    expect(JSON.parse(JSON.stringify(definition))).toEqual(definition);
  });

  test('the merge runs every table in parallel: the problem query, a count of its rows, then MERGE INTO or nothing', () => {
    const parallel = merge.States['Merge every table'];
    expect(parallel.Type).toBe('Parallel');
    expect(parallel.Branches).toHaveLength(CLINIC_TABLES.length);
    for (const [index, table] of CLINIC_TABLES.entries()) {
      const names = mergeStateNames(table);
      const branch = parallel.Branches[index];
      expect(branch.StartAt).toBe(names.findProblems);
      expect(branch.States[names.findProblems]).toMatchObject({
        Type: 'Task',
        Resource: ATHENA_START_QUERY_SYNC,
        Parameters: { QueryString: changeLogProblemsSql(table, tables), WorkGroup: 'uh-test-merge' },
        Next: names.countProblems,
      });
      expect(branch.States[names.countProblems]).toMatchObject({
        Resource: ATHENA_GET_QUERY_RESULTS,
        Parameters: { 'QueryExecutionId.$': '$.problemQuery.QueryExecutionId', MaxResults: 2 },
      });
      // More rows than the header: problems, and the table is left as it is.
      expect(branch.States[names.clean]).toEqual({
        Type: 'Choice',
        Choices: [{ Variable: '$.problems.rows', NumericGreaterThan: 1, Next: names.refuse }],
        Default: names.merge,
      });
      expect(branch.States[names.merge]).toMatchObject({
        Resource: ATHENA_START_QUERY_SYNC,
        Parameters: { QueryString: mergeSql(table, tables), WorkGroup: 'uh-test-merge' },
        Next: names.merged,
      });
      expect(branch.States[names.merged]).toEqual({ Type: 'Pass', Parameters: { table: table.name, merged: true }, End: true });
      expect(branch.States[names.refuse].Parameters).toEqual({
        table: table.name,
        merged: false,
        'problemQueryExecutionId.$': '$.problemQuery.QueryExecutionId',
      });
    }
  });

  test('{"rebuild": true} empties every current-state table first, so that the merge applies the whole change log', () => {
    expect(merge.StartAt).toBe('Rebuild?');
    expect(merge.States['Rebuild?']).toEqual({
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
    });
    const empty = merge.States['Empty every table'];
    expect(empty).toMatchObject({ Type: 'Parallel', ResultPath: null, Next: 'Merge every table' });
    expect(empty.Branches.map((b: Json) => Object.values<Json>(b.States)[0].Parameters.QueryString)).toEqual(
      CLINIC_TABLES.map((t) => `DELETE FROM "uh_test"."${t.name}"`),
    );
    expect(rebuildSql(tableNamed('patient'), tables)).toBe('DELETE FROM "uh_test"."patient"');
  });

  test('a change log with problems fails the execution with a clear error once every other table is merged', () => {
    expect(merge.States['Tables left unmerged']).toMatchObject({ Parameters: { 'unmerged.$': '$[?(@.merged == false)]' } });
    expect(merge.States['Every table merged?']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.unmerged[0]', IsPresent: true, Next: 'Change-log problems' }],
      Default: 'Merged',
    });
    expect(merge.States['Change-log problems']).toMatchObject({ Type: 'Fail', Error: CHANGE_LOG_PROBLEMS_ERROR });
    expect(merge.States['Change-log problems'].CausePath).toMatch(
      /^States\.Format\('The change log of these tables has rows the merge cannot apply .*', States\.JsonToString\(\$\.unmerged\)\)$/,
    );
  });

  test('no state keeps table data: query results are reduced to an execution id or a row count as they are read', () => {
    for (const [name, state] of allStates(merge)) {
      if (state.Type !== 'Task') continue;
      expect([name, state.ResultSelector]).toEqual([
        name,
        state.Resource === ATHENA_GET_QUERY_RESULTS
          ? { 'rows.$': 'States.ArrayLength($.ResultSet.Rows)' }
          : { 'QueryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
      ]);
    }
  });

  test('every query is retried: Iceberg commit races, throttling and the maintenance’s “more runs needed” are transient', () => {
    const tasks = [...allStates(merge), ...allStates(maintenance)].filter(([, state]) => state.Type === 'Task');
    expect(tasks.length).toBe(6 * CLINIC_TABLES.length);
    for (const [, task] of tasks)
      expect(task.Retry).toEqual([{ ErrorEquals: ['States.ALL'], IntervalSeconds: 30, MaxAttempts: 3, BackoffRate: 2 }]);
  });

  test('the maintenance compacts, then vacuums, every table, in parallel', () => {
    const branches = maintenance.States['Maintain every table'].Branches;
    expect(branches.map((b: Json) => Object.values<Json>(b.States).map((s) => s.Parameters.QueryString))).toEqual(
      CLINIC_TABLES.map((t) => [`OPTIMIZE uh_test.${t.name} REWRITE DATA USING BIN_PACK`, `VACUUM uh_test.${t.name}`]),
    );
    expect(maintenanceSql(tableNamed('account'), 'uh_test')).toEqual({
      optimize: 'OPTIMIZE uh_test.account REWRITE DATA USING BIN_PACK',
      vacuum: 'VACUUM uh_test.account',
    });
  });

  test('the shape check finds a transition to nowhere and a state that neither ends nor goes on', () => {
    expect(shapeProblems({ StartAt: 'a', States: { a: { Type: 'Pass', Next: 'b' }, c: { Type: 'Task' } } })).toEqual([
      'the state machine: a goes to b, which is no state',
      'the state machine: c neither ends nor goes on',
    ]);
  });
});
