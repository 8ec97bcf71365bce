import type { Connection } from 'mysql2/promise';
import { Table } from '../../contract/clinic';
import { selectInputFiles } from '../seed/input-files';
import { LoadReport, loadClinicData } from '../seed/loader';
import { MysqlEngine } from '../smoke/engines';
import { LakeReader, SmokeResult, StepName, runSmoke } from '../smoke/steps';
import { Deadline, realClock } from '../smoke/waiting';
import { DuckDbLake, exportLikeDms } from './duckdb-lake';
import { GrantedColumns } from './personas';
import { ReaderPersona } from '../../contract/lake';

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
 * The smoke checks against the local lake: the MariaDB source, DuckDB standing in for Athena and Redshift (the same
 * SQL through the same engine interface), the catalog read from the Parquet files, and every query run as the
 * persona that runs it in AWS, each persona seeing exactly what the synthesized Lake Formation grants give it.
 */
export async function checkLocalLake(options: {
  connection: Connection;
  tables: readonly Table[];
  lakeDir: string;
  /** What each persona was granted, from the synthesized stack (`grantsByPersona`). */
  grants: ReadonlyMap<ReaderPersona, GrantedColumns>;
  timeoutMs?: number;
}): Promise<SmokeResult> {
  const lake = await DuckDbLake.open(options.lakeDir);
  try {
    const readers: LakeReader[] = [];
    for (const persona of LOCAL_PERSONAS) {
      const schema = persona.replace(/-/g, '_');
      await lake.createPersonaSchema(schema, options.grants.get(persona) ?? new Map());
      readers.push({ persona, engine: lake.engine(`${PERSONA_ENGINE[persona]} (duckdb)`, schema) });
    }
    return await runSmoke(
      {
        tables: options.tables,
        clock: realClock,
        deadline: Deadline.in(realClock, options.timeoutMs ?? 10 * 60_000),
        names: { dmsTaskArn: '', crawlerName: '', glueDatabase: '', externalSchemaSql: '' },
        source: new MysqlEngine(options.connection),
        readers,
        catalog: () => lake.catalog(),
      },
      LOCAL_STEPS,
    );
  } finally {
    lake.close();
  }
}

/** The personas the smoke run reads the lake as, in AWS and here. */
const LOCAL_PERSONAS: readonly ReaderPersona[] = ['smoke-runner', 'analyst', 'redshift'];
/** The engine each persona reads through in AWS, which DuckDB stands in for here. */
const PERSONA_ENGINE: Readonly<Record<ReaderPersona, string>> = { 'smoke-runner': 'athena', analyst: 'athena', redshift: 'redshift' };
