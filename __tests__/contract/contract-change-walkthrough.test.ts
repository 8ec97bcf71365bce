/** @needs mariadb and terraform: migrates a throwaway MariaDB, rehearses the lake, plans a stack offline (npm run test:unit leaves this suite out). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Testing } from 'cdktf';
import type { RowDataPacket } from 'mysql2/promise';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { dev } from '../../config/environments';
import { CLINIC_TABLES, Column, Table } from '../../contract/clinic';
import { dmsTableMappings } from '../../contract/lake';
import { describeChange } from '../../contract/mysql-migration';
import { installChangeCapture, exportChangesLikeDms } from '../../scripts/local/change-capture';
import { ChangeScript, applyChangeScript, splitStatements } from '../../scripts/local/change-script';
import { DuckDbLake } from '../../scripts/local/duckdb-lake';
import { grantsByPersona } from '../../scripts/local/personas';
import { checkLocalLake, seedAndExport } from '../../scripts/local/rehearsal';
import { checkSchema } from '../../scripts/seed/loader';
import { migrateSchema } from '../../scripts/seed/migrate';
import { realClock, Deadline } from '../../scripts/smoke/waiting';
import { summarizePlan } from '../../scripts/policy/plan-summary';
import { planOffline } from '../../scripts/terraform/offline-plan';
import { PlatformStack, stackName } from '../../stacks/platform-stack';
import { replanAgainstAppliedState } from '../helpers/applied-state';
import { SEED_DIR, freshDatabase, useLocalMariadb } from '../helpers/mariadb';
import { Json } from '../helpers/synth';

/*
 * Issue 13, item 5: one nullable column added to the contract, walked through everything it changes. The contract
 * is a copy (every consumer takes the tables as an argument: the loader, the migration, the rehearsal, the stack),
 * so the committed contract stays as it is.
 */
const preferredLanguage: Column = {
  name: 'preferred_language',
  type: { kind: 'varchar', length: 20 },
  nullable: true,
  csv: { kind: 'text' },
  classification: 'phi',
  description: 'Language the patient prefers to be addressed in',
};
const CHANGED: readonly Table[] = CLINIC_TABLES.map((t) =>
  t.name === 'patient' ? { ...t, columns: [...t.columns, preferredLanguage] } : t,
);
const patientAfter = CHANGED.find((t) => t.name === 'patient')!;

/**
 * The difference of two synthesized values, one line per changed leaf: `path: before → after`, inserted array items
 * as `path[+index]`, and for long text (a state machine definition) the words it gained.
 */
function jsonDiff(before: Json, after: Json, path = ''): string[] {
  const text = (value: Json): string => JSON.stringify(value);
  if (text(before) === text(after)) return [];
  if (Array.isArray(before) && Array.isArray(after)) {
    // Items inserted anywhere (the old items still in order): each reported with its new index.
    const inserted: number[] = [];
    let next = 0;
    after.forEach((item, i) => (next < before.length && text(item) === text(before[next]) ? (next += 1) : inserted.push(i)));
    if (next === before.length) return inserted.map((i) => `${path}[+${i}]: ${text(after[i])}`);
    return after.flatMap((item, i) => jsonDiff(before[i], item, `${path}[${i}]`));
  }
  if (before && after && typeof before === 'object' && typeof after === 'object') {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])].flatMap((key) =>
      jsonDiff(before[key], after[key], path ? `${path}.${key}` : key),
    );
  }
  if (typeof before === 'string' && typeof after === 'string' && after.length > 200) {
    const words = (value: string): Set<string> => new Set(value.match(/\w+/g));
    const known = words(before);
    return [`${path}: gains ${[...words(after)].filter((w) => !known.has(w)).join(', ')}`];
  }
  return [`${path}: ${text(before)} → ${text(after)}`];
}

/** Every resource whose synthesized configuration differs, with its changed leaves. */
function synthesizedDiff(before: Json, after: Json): Record<string, string[]> {
  const changed: Record<string, string[]> = {};
  for (const type of new Set([...Object.keys(before.resource), ...Object.keys(after.resource)])) {
    for (const name of new Set([...Object.keys(before.resource[type] ?? {}), ...Object.keys(after.resource[type] ?? {})])) {
      const lines = jsonDiff(before.resource[type]?.[name], after.resource[type]?.[name]);
      if (lines.length > 0) changed[`${type}.${name}`] = lines;
    }
  }
  return changed;
}

const synthesized = (tables: readonly Table[]): Json => JSON.parse(Testing.synth(new PlatformStack(Testing.app(), dev, tables)));

describe('a nullable column added to the contract, from the contract to the lake', () => {
  const server = useLocalMariadb();

  test('MariaDB is migrated in place; the local lake reads the column across the change, history as NULL, and reconciles as every persona', async () => {
    const work = mkdtempSync(join(tmpdir(), 'contract-change-'));
    const lakeDir = join(work, 'lake');
    const database = await freshDatabase(server.admin());
    const connection = await server.db().connect(database);
    const session = await server.db().connect(database);
    try {
      // Before the change: the committed contract, seeded, and DMS's full load exported from it.
      const { load, exported } = await seedAndExport({
        connection,
        database,
        tables: CLINIC_TABLES,
        inputDir: SEED_DIR,
        lakeDir,
        workDir: work,
      });
      expect(load.ok).toBe(true);
      expect(exported.patient).toBe(500);

      // The release: seed --migrate adds the column; every existing row reads NULL in it; a second run does nothing.
      const migration = await migrateSchema({ connection, database, tables: CHANGED, apply: true });
      expect(migration.plan.additive.map(describeChange)).toEqual(['patient.preferred_language: new column (none → varchar(20) NULL)']);
      expect(migration.applied).toEqual([
        "ALTER TABLE `patient`\n  ADD COLUMN `preferred_language` varchar(20) NULL COMMENT 'phi: Language the patient prefers to be addressed in'",
      ]);
      expect(await checkSchema(connection, database, CHANGED)).toEqual({ differences: [], missing: [] });
      expect((await migrateSchema({ connection, database, tables: CHANGED, apply: true })).applied).toEqual([]);

      // After it: changes captured as DMS captures them, now with the column in the row images.
      const capture = await installChangeCapture(connection, CHANGED);
      const text = [
        "UPDATE patient SET preferred_language = 'es' WHERE person_id = 'PER1';",
        "INSERT INTO patient VALUES ('PER9001', 'Ana', 'Lima', 'ana.lima@example.org', '1990-04-02', '1 Rua Nova', '02139', 'INS1', 'pt');",
        "UPDATE patient SET address = '2 Elm Street' WHERE person_id = 'PER2';",
      ].join('\n');
      const script: ChangeScript = { path: 'contract-change.sql', statements: splitStatements(text, 'contract-change.sql') };
      try {
        await applyChangeScript(script, { script: session, observer: connection }, capture.count);
        const changes = await exportChangesLikeDms({ source: connection, tables: CHANGED, lakeDir, workDir: work });
        expect(changes.patient).toMatchObject({ inserts: 1, updates: 2, deletes: 0 });
      } finally {
        await capture.remove();
      }

      // The change log holds files from before the column (the full load) and after it: read by name, as Athena
      // reads Parquet, the older rows read NULL.
      const lake = await DuckDbLake.open({ lakeDir, tables: CHANGED, workDir: work });
      try {
        const engine = lake.engine('duckdb');
        const deadline = Deadline.in(realClock, 60_000);
        const log = await engine.query(
          'SELECT "Op" AS op, count(*) AS n, count(preferred_language) AS with_language FROM change_log.patient GROUP BY op ORDER BY op',
          deadline,
        );
        expect(log).toEqual([
          { op: 'I', n: '501', with_language: '1' },
          { op: 'U', n: '2', with_language: '1' },
        ]);
      } finally {
        lake.close();
      }

      // The merge rebuilds the current tables from the whole log ({"rebuild": true}); every persona reads them through
      // the synthesized grants of the changed stack, and every table reconciles with MariaDB after the change.
      const grants = grantsByPersona(synthesized(CHANGED));
      const result = await checkLocalLake({ connection, tables: CHANGED, lakeDir, grants, workDir: work, rebuild: true });
      expect(result.checks.filter((c) => !c.pass)).toEqual([]);
      expect(result.merge.find((m) => m.table === 'patient')).toEqual({
        table: 'patient',
        fullLoad: { inserted: 0, updated: 0, deleted: 0 },
        changes: { inserted: 501, updated: 0, deleted: 0 },
        again: { inserted: 0, updated: 0, deleted: 0 },
      });
      const checks = result.checks.map((c) => c.check);
      expect(result.checks.find((c) => c.check === 'patient columns')?.expected).toContain('preferred_language:string');
      // PHI, not a direct identifier: analysts and Redshift are granted it, and reconcile it.
      expect(checks).toEqual(expect.arrayContaining(['athena (duckdb) as analyst patient allowed columns']));
      expect(grants.get('analyst')?.get('patient')).toContain('preferred_language');

      const [source] = await connection.query<RowDataPacket[]>(
        'SELECT COUNT(*) AS n, COUNT(preferred_language) AS with_language FROM patient',
      );
      expect(source[0]).toMatchObject({ n: 501, with_language: 2 });
    } finally {
      await session.end();
      await connection.end();
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('the synthesized stack: the two patient tables gain the column, the three patient grants include it, the merge reads it; nothing else changes', () => {
    const before = synthesized(CLINIC_TABLES);
    const after = synthesized(CHANGED);
    const column = `"comment":"phi: ${preferredLanguage.description}","name":"preferred_language","type":"string"`;
    expect(synthesizedDiff(before, after)).toEqual({
      'aws_glue_catalog_table.catalog_change-log-patient': [`storage_descriptor.columns[+11]: {${column}}`],
      // Before last_change_seq, which the current tables add after the contract's columns.
      'aws_glue_catalog_table.current-state_table-patient': [`storage_descriptor.columns[+8]: {${column}}`],
      // Analysts and Redshift are granted the patient's key, insurance and now the new PHI column, no identifier.
      'aws_lakeformation_permissions.governance_analyst-table-patient': ['table_with_columns.column_names[+2]: "preferred_language"'],
      'aws_lakeformation_permissions.governance_redshift-table-patient': ['table_with_columns.column_names[+2]: "preferred_language"'],
      'aws_lakeformation_permissions.governance_smoke-runner-table-patient': ['table_with_columns.column_names[+8]: "preferred_language"'],
      'aws_sfn_state_machine.merge_merge-state-machine': ['definition: gains preferred_language'],
    });
    // DMS selects whole tables: an added column needs no mapping change (a new table would add a selection rule).
    expect(dmsTableMappings(CHANGED)).toEqual(dmsTableMappings(CLINIC_TABLES));
    expect(patientAfter.columns.at(-1)).toBe(preferredLanguage);
  });

  test('offline plan against the state the unchanged stack leaves: the change-log table is updated in place, the Iceberg table and its grants replaced', async () => {
    const before = mkdtempSync(join(tmpdir(), 'contract-change-before-'));
    const after = mkdtempSync(join(tmpdir(), 'contract-change-after-'));
    try {
      const unchanged = new App({ outdir: before });
      new PlatformStack(unchanged, dev);
      unchanged.synth();
      const stackDir = (outdir: string): string => join(outdir, 'stacks', stackName(dev));
      const oldJson: Json = JSON.parse(readFileSync(join(stackDir(before), 'cdk.tf.json'), 'utf8'));
      const changed = new App({ outdir: after });
      const stack = new PlatformStack(changed, dev, CHANGED);
      // The provider validates a changed state machine definition through the Step Functions API at plan time
      // (ValidateStateMachineDefinition, https://github.com/hashicorp/terraform-provider-aws/pull/39229), which an
      // offline plan cannot reach: the merge keeps its old definition here, and the test above shows its change.
      const merge = stack.node
        .findAll()
        .filter((c): c is SfnStateMachine => c instanceof SfnStateMachine)
        .filter((machine) => machine.node.path.endsWith('/merge-state-machine'));
      expect(merge).toHaveLength(1);
      merge[0].addOverride('definition', oldJson.resource.aws_sfn_state_machine['merge_merge-state-machine'].definition);
      changed.synth();

      const { results } = await replanAgainstAppliedState({ stacksDir: join(before, 'stacks') });
      const applied = results.find((r) => r.stack === stackName(dev))!;
      expect(applied.changes).toEqual([]);
      const [plan] = await planOffline({ stacksDir: join(after, 'stacks'), states: { [stackName(dev)]: applied.state } });
      const planned = Object.fromEntries(
        plan.resourceChanges.filter((c) => c.actions.join() !== 'no-op').map((c) => [c.address, c.actions.join('+')]),
      );
      expect(planned).toEqual({
        'aws_glue_catalog_table.catalog_change-log-patient': 'update',
        // Its policy document names the change-log tables by reference: a data source that depends on a resource
        // with changes is read at apply, so the plan shows the policy as known after apply (it comes out the same).
        'aws_iam_role_policy.catalog_crawler-role_crawler-policy': 'update',
        // The Iceberg table cannot gain a column by an update: it is replaced (its change-log table's columns
        // changed), and the next merge fills it from the whole change log. Its grants go with it.
        'aws_glue_catalog_table.current-state_table-patient': 'delete+create',
        'aws_lakeformation_permissions.governance_analyst-table-patient': 'delete+create',
        'aws_lakeformation_permissions.governance_redshift-table-patient': 'delete+create',
        'aws_lakeformation_permissions.governance_smoke-runner-table-patient': 'delete+create',
        'aws_lakeformation_permissions.governance_merge-current-patient': 'delete+create',
        'aws_lakeformation_permissions.governance_maintenance-current-patient': 'delete+create',
      });
      // The PR comment calls the replacement out as a stateful destroy: it needs the allow-stateful-destroy label.
      expect(summarizePlan(stackName(dev), plan.planJson).statefulDestroys.map((d) => d.address)).toEqual([
        'aws_glue_catalog_table.current-state_table-patient',
      ]);
      // Only the patient tables: no other table, and nothing that holds data, is touched.
      expect(Object.keys(planned).filter((address) => !address.includes('patient'))).toEqual([
        'aws_iam_role_policy.catalog_crawler-role_crawler-policy',
      ]);
    } finally {
      rmSync(before, { recursive: true, force: true });
      rmSync(after, { recursive: true, force: true });
    }
  }, 900_000);
});
