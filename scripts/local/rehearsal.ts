import type { Connection } from 'mysql2/promise';
import { Table } from '../../contract/clinic';
import { selectInputFiles } from '../seed/input-files';
import { LoadReport, loadClinicData } from '../seed/loader';
import { MysqlEngine } from '../smoke/engines';
import { SmokeResult, StepName, runSmoke } from '../smoke/steps';
import { Deadline, realClock } from '../smoke/waiting';
import { DuckDbLake, exportLikeDms } from './duckdb-lake';

/** The smoke steps a local rehearsal can run: there is no DMS task, crawler run or Redshift schema to create. */
export const LOCAL_STEPS: readonly StepName[] = ['source', 'glue', 'reconcile', 'governance'];

export interface SeedAndExportOptions {
  readonly connection: Connection;
  readonly database: string;
  readonly tables: readonly Table[];
  /** Folder of `<table>.csv` exports. */
  readonly inputDir: string;
  readonly lakeDir: string;
  readonly workDir: string;
  readonly log?: (line: string) => void;
}

/** Loads the exports with the real seed loader, then writes the lake the way the DMS task would. */
export async function seedAndExport(options: SeedAndExportOptions): Promise<{ load: LoadReport; exported: Record<string, number> }> {
  const log = options.log ?? (() => undefined);
  const { files, errors } = selectInputFiles(options.tables, options.inputDir, []);
  if (errors.length > 0) throw new Error(errors.join('\n'));
  const load = await loadClinicData({ connection: options.connection, database: options.database, tables: options.tables, files });
  if (!load.ok) return { load, exported: {} };
  log(`seeded ${load.tables.map((t) => `${t.table} ${t.read}`).join(', ')}`);
  const exported = await exportLikeDms({
    source: options.connection,
    tables: options.tables,
    lakeDir: options.lakeDir,
    workDir: options.workDir,
    onTable: (table, rows) => log(`exported ${table}: ${rows} rows`),
  });
  return { load, exported };
}

/**
 * The smoke checks against the local lake: the MariaDB source, DuckDB standing in for Athena and Redshift (the
 * same reconciliation SQL through the same engine interface), the catalog read from the Parquet files, and the
 * analyst's and Redshift role's views without the contract's direct identifiers.
 */
export async function checkLocalLake(options: {
  connection: Connection;
  tables: readonly Table[];
  lakeDir: string;
  timeoutMs?: number;
}): Promise<SmokeResult> {
  const lake = await DuckDbLake.open(options.lakeDir);
  try {
    await lake.createGovernedSchema('analyst', options.tables);
    await lake.createGovernedSchema('redshift_role', options.tables);
    return await runSmoke(
      {
        tables: options.tables,
        clock: realClock,
        deadline: Deadline.in(realClock, options.timeoutMs ?? 10 * 60_000),
        names: { dmsTaskArn: '', crawlerName: '', glueDatabase: '', externalSchemaSql: '' },
        source: new MysqlEngine(options.connection),
        lakeEngines: [lake.engine('athena (duckdb)'), lake.engine('redshift (duckdb)')],
        governedEngines: [lake.engine('analyst (duckdb)', 'analyst'), lake.engine('redshift role (duckdb)', 'redshift_role')],
        catalog: () => lake.catalog(),
      },
      LOCAL_STEPS,
    );
  } finally {
    lake.close();
  }
}
