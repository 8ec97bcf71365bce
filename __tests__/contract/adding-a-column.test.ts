/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import type { RowDataPacket } from 'mysql2/promise';
import { dev } from '../../config/environments';
import { CLINIC_TABLES, Column, Table, tableNamed } from '../../contract/clinic';
import { dmsTableMappings, glueType, grantableColumns } from '../../contract/lake';
import { compareSchema, createTableSql } from '../../contract/mysql';
import { checkLocalLake, seedAndExport } from '../../scripts/local/rehearsal';
import { checkSchema } from '../../scripts/seed/loader';
import { generateSeed } from '../../scripts/seed/generator';
import { checksumSql, mysqlDialect } from '../../scripts/smoke/checksum';
import { PlatformStack } from '../../stacks/platform-stack';
import { Json } from '../helpers/synth';
import { grantsByPersona } from '../../scripts/local/personas';
import { freshDatabase, useLocalMariadb } from '../helpers/mariadb';

/** A copy of the contract with two new patient columns: a nullable PHI note and a direct identifier. */
const preferredName: Column = {
  name: 'preferred_name',
  type: { kind: 'varchar', length: 50 },
  nullable: true,
  csv: { kind: 'text' },
  classification: 'direct-identifier',
  description: 'Name the patient asks to be called',
};
const firstVisit: Column = {
  name: 'first_visit',
  type: { kind: 'date' },
  nullable: true,
  csv: { kind: 'date-mdy' },
  classification: 'phi',
  description: 'Date of the first visit',
};
const CHANGED: readonly Table[] = CLINIC_TABLES.map((t) =>
  t.name === 'patient' ? { ...t, columns: [...t.columns, preferredName, firstVisit] } : t,
);
const patient = CHANGED.find((t) => t.name === 'patient')!;

/**
 * The contract drives everything: adding columns to a copy of it changes the DDL, the generated exports, the loader,
 * the DMS mappings, the Glue tables, the Lake Formation grants and the smoke expectations, with no other edit.
 */
describe('a column added to the contract flows everywhere', () => {
  const server = useLocalMariadb();

  test('DDL, generator, loader, local lake and smoke checks all follow', async () => {
    expect(createTableSql(patient)).toMatch(/`preferred_name` varchar\(50\) NULL COMMENT 'direct-identifier: /);
    expect(createTableSql(patient)).toMatch(/`first_visit` date NULL/);

    const exportsDir = mkdtempSync(join(tmpdir(), 'added-column-'));
    await generateSeed({ outDir: exportsDir, tables: CHANGED });

    const database = await freshDatabase(server.admin());
    const connection = await server.db().connect(database);
    try {
      const lakeDir = join(exportsDir, 'lake');
      const { load, exported } = await seedAndExport({
        connection,
        database,
        tables: CHANGED,
        inputDir: exportsDir,
        lakeDir,
        workDir: exportsDir,
      });
      expect(load.errors).toEqual([]);
      expect(exported.patient).toBe(500);
      expect((await checkSchema(connection, database, CHANGED)).differences).toEqual([]);
      const [filled] = await connection.query<RowDataPacket[]>('SELECT COUNT(first_visit) AS dated, COUNT(*) AS n FROM patient');
      expect(Number(filled[0].dated)).toBeGreaterThan(0);
      expect(checksumSql(patient, mysqlDialect)).toContain('`first_visit`');

      const result = await checkLocalLake({
        connection,
        tables: CHANGED,
        lakeDir,
        grants: grantsByPersona(JSON.parse(Testing.synth(new PlatformStack(Testing.app(), dev, CHANGED)))),
      });
      expect(result.checks.filter((c) => !c.pass)).toEqual([]);
      const checks = result.checks.map((c) => c.check);
      expect(result.checks.find((c) => c.check === 'patient columns')?.expected).toContain('first_visit:date');
      expect(checks).toContain('athena (duckdb) as analyst patient allowed columns');
      expect(checks).toContain('redshift (duckdb) as redshift patient.preferred_name hidden');
    } finally {
      await connection.end();
    }
  });

  test('the unchanged contract would refuse the changed database: the schema check names the new columns', () => {
    const actual = patient.columns.map((c, i) => ({
      table: 'patient',
      column: c.name,
      position: i + 1,
      columnType: 'varchar(50)',
      nullable: c.nullable,
      primaryKey: i === 0,
    }));
    const { differences } = compareSchema(
      CLINIC_TABLES.filter((t) => t.name === 'patient'),
      actual,
    );
    expect(differences.join('\n')).toMatch(/preferred_name, first_visit/);
  });

  test('DMS mappings, Glue tables and Lake Formation grants follow in the synthesized stack', () => {
    expect(JSON.stringify(dmsTableMappings(CHANGED))).toContain('"table-name":"patient"');
    const json: Json = JSON.parse(Testing.synth(new PlatformStack(Testing.app(), dev, CHANGED)));
    const glue = Object.values<Json>(json.resource.aws_glue_catalog_table).find((t) => t.name === 'patient');
    expect(glue.storage_descriptor.columns).toContainEqual(
      expect.objectContaining({ name: 'first_visit', type: glueType(firstVisit.type) }),
    );
    expect(glue.storage_descriptor.columns).toContainEqual(expect.objectContaining({ name: 'preferred_name', type: 'string' }));

    const patientGrants = Object.entries<Json>(json.resource.aws_lakeformation_permissions)
      .filter(([id, g]) => !id.includes('smoke-runner') && String(g.table_with_columns?.name).includes('patient'))
      .map(([, g]) => g.table_with_columns);
    expect(patientGrants.length).toBeGreaterThan(0);
    for (const grant of patientGrants) {
      expect(grant.column_names).toContain('first_visit');
      expect(grant.column_names).not.toContain('preferred_name');
    }
    expect(grantableColumns(patient).map((c) => c.name)).toEqual([
      ...grantableColumns(tableNamed('patient')).map((c) => c.name),
      'first_visit',
    ]);
  });
});
