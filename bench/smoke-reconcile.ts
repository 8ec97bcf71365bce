import { mockClient } from 'aws-sdk-client-mock';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryExecutionCommandInput,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { CLINIC_TABLES } from '../contract/clinic';
import { AthenaEngine, Row, SourceEngine } from '../scripts/smoke/engines';
import { mysqlDialect } from '../scripts/smoke/checksum';
import { runSmoke } from '../scripts/smoke/steps';
import { Deadline, realClock } from '../scripts/smoke/waiting';
import { defineCommand, exitWhenDone, runCommand } from '../scripts/cli/command';
import { formatTable, right } from '../scripts/cli/output';

/**
 * Benchmark of the reconciliation step with mocked Athena latencies: each table's query takes a different time
 * (the patient table the longest). With bounded concurrency the step should take about as long as the slowest
 * query, not the sum of all of them.
 */
const LATENCY_MS: Record<string, number> = { insurance: 150, employee: 250, patient: 900, appointment: 300, encounter: 500, account: 450 };
const tableOf = (sql: string): string => /FROM [`"]?([a-z_]+)/.exec(sql)![1];

async function measure(onConcurrency: (n: number) => void): Promise<{ concurrency: number; ms: number }[]> {
  const athena = mockClient(AthenaClient);
  const queries = new Map<string, { sql: string; started: number }>();
  athena.on(StartQueryExecutionCommand).callsFake((input: StartQueryExecutionCommandInput) => {
    const id = `q${queries.size}`;
    queries.set(id, { sql: input.QueryString!, started: Date.now() });
    return Promise.resolve({ QueryExecutionId: id });
  });
  athena.on(GetQueryExecutionCommand).callsFake((input: GetQueryExecutionCommandInput) => {
    const query = queries.get(input.QueryExecutionId!)!;
    const done = Date.now() - query.started >= LATENCY_MS[tableOf(query.sql)];
    return Promise.resolve({ QueryExecution: { Status: { State: done ? 'SUCCEEDED' : 'RUNNING' } } });
  });
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: ['row_count', 'checksum_a', 'checksum_b'].map((Name) => ({ Name, Type: 'bigint' })) },
      Rows: [
        { Data: [{ VarCharValue: 'row_count' }, { VarCharValue: 'checksum_a' }, { VarCharValue: 'checksum_b' }] },
        { Data: [{ VarCharValue: '1' }, { VarCharValue: '2' }, { VarCharValue: '3' }] },
      ],
    },
  });
  const source: SourceEngine = {
    name: 'mysql',
    dialect: mysqlDialect,
    query: (): Promise<Row[]> => Promise.resolve([{ row_count: '1', checksum_a: '2', checksum_b: '3' }]),
    inSnapshot: (read) => read(),
    execute: () => Promise.resolve(),
  };
  const engine = new AthenaEngine(new AthenaClient({ region: 'us-east-1' }), {
    clock: realClock,
    workgroup: 'wg',
    database: 'db',
    baseMs: 25,
    capMs: 100,
  });

  const measured: { concurrency: number; ms: number }[] = [];
  for (const concurrency of [1, 2, 4, 6]) {
    onConcurrency(concurrency);
    const started = Date.now();
    const result = await runSmoke(
      {
        tables: CLINIC_TABLES,
        clock: realClock,
        deadline: Deadline.in(realClock, 60_000),
        names: { dmsTaskArn: '', crawlerNames: {}, mergeStateMachineArn: '', glueDatabase: '', externalSchemaSql: '' },
        source,
        readers: [{ persona: 'smoke-runner', engine }],
        concurrency,
      },
      ['source', 'reconcile'],
    );
    if (!result.ok) throw new Error(JSON.stringify(result.checks.filter((c) => !c.pass)));
    measured.push({ concurrency, ms: Date.now() - started });
  }
  athena.restore();
  return measured;
}

const benchSmokeCommand = defineCommand({
  name: 'bench:smoke',
  description: 'Time the reconciliation step at several concurrencies against mocked Athena latencies',
  options: (command) => command,
  async run(_options, { progress, width }) {
    const slowest = Math.max(...Object.values(LATENCY_MS));
    const sum = Object.values(LATENCY_MS).reduce((a, b) => a + b, 0);
    const measured = await measure((n) => progress.update(`reconciling with concurrency ${n}`));
    return {
      ok: true,
      json: { latencyMs: LATENCY_MS, slowest, sum, measured },
      text: [
        `per-table query latency (ms): ${JSON.stringify(LATENCY_MS)}; slowest ${slowest}, sum ${sum}`,
        formatTable(
          ['concurrency', 'reconcile ms', '/ slowest', '/ sum'].map(right),
          measured.map(({ concurrency, ms }) => [String(concurrency), String(ms), (ms / slowest).toFixed(2), (ms / sum).toFixed(2)]),
          width,
        ),
      ].join('\n'),
    };
  },
});

exitWhenDone(runCommand(benchSmokeCommand, process.argv.slice(2)));
