import { CLINIC_TABLES } from '../../../contract/clinic';
import { glueType } from '../../../contract/lake';
import { LAST_CHANGE_SEQUENCE } from '../../../contract/merge';
import { CurrentState, ICEBERG_ENTRIES_ATHENA_WRITES } from '../../../stacks/constructs/current-state';
import { Json, SynthesizedStack, synthesizeWith, testCurrentState } from '../../helpers/synth';

describe('CurrentState (Apache Iceberg)', () => {
  let currentState!: CurrentState;
  const stack: SynthesizedStack = synthesizeWith((scope) => {
    currentState = testCurrentState(scope);
  });
  const lakeBucket = stack.ref('aws_s3_bucket', 'storage_lake_', 'bucket');

  test.each(CLINIC_TABLES.map((t) => [t.name, t] as const))(
    '%s is an Iceberg v2 table in the main database under the contract name, over current/<table>/',
    (name, table) => {
      const glueTable = stack.one('aws_glue_catalog_table', `current-state_table-${name}`);
      expect(glueTable).toEqual({
        name,
        database_name: stack.ref('aws_glue_catalog_database', 'catalog_database', 'name'),
        description: table.description,
        table_type: 'EXTERNAL_TABLE',
        // Glue writes the Iceberg metadata when it creates the table; Athena writes only format version 2.
        open_table_format_input: { iceberg_input: { metadata_operation: 'CREATE', version: '2' } },
        storage_descriptor: {
          location: `s3://${lakeBucket}/current/${name}/`,
          columns: expect.any(Array),
        },
        // Replaced when its change-log table's columns change: the columns of an Iceberg table are Athena's to change.
        lifecycle: {
          ignore_changes: ['description', 'parameters', 'storage_descriptor'],
          replace_triggered_by: [`aws_glue_catalog_table.catalog_change-log-${name}.storage_descriptor[0].columns`],
        },
      });
      expect(stack.json.resource.aws_glue_catalog_table[`catalog_change-log-${name}`]).toBeDefined();
      expect(glueTable.storage_descriptor.columns.map((c: Json) => [c.name, c.type])).toEqual([
        ...table.columns.map((c) => [c.name.toLowerCase(), glueType(c.type)]),
        [LAST_CHANGE_SEQUENCE, 'string'],
      ]);
    },
  );

  test('what Athena rewrites on every commit is left to Athena', () => {
    expect(ICEBERG_ENTRIES_ATHENA_WRITES).toEqual(['description', 'parameters', 'storage_descriptor']);
  });

  test('one current-state table per change-log table, paired by name, in the catalog the construct names', () => {
    expect([...currentState.tables.keys()]).toEqual([...currentState.catalog.changeLogTables.keys()]);
    for (const [name, table] of currentState.tables) expect(table.contract.name).toBe(name);
    expect(stack.all('aws_glue_catalog_table')).toHaveLength(2 * CLINIC_TABLES.length);
  });

  test('the tables follow the catalog’s contract tables', () => {
    const two = synthesizeWith((scope) => testCurrentState(scope, CLINIC_TABLES.slice(0, 2)));
    expect(
      two
        .all('aws_glue_catalog_table')
        .filter((t: Json) => t.open_table_format_input)
        .map((t: Json) => t.name)
        .sort(),
    ).toEqual(['employee', 'insurance']);
  });
});
