import { Construct } from 'constructs';
import { GlueCatalogTable } from '@cdktf/provider-aws/lib/glue-catalog-table';
import { Table } from '../../contract/clinic';
import { currentTablePrefix } from '../../contract/lake';
import { currentCatalogColumns } from '../../contract/merge';
import { replaceTrigger } from '../core/replace-triggered-by';
import { Catalog } from './catalog';

export interface CurrentStateProps {
  /** Its main database holds the current-state tables, one per change-log table, under the same names. */
  readonly catalog: Catalog;
}

/** A contract table and its current-state table. */
export interface CurrentTable {
  readonly contract: Table;
  readonly glueTable: GlueCatalogTable;
}

/**
 * The Iceberg format version the tables are created with: Athena "only creates and operates on Iceberg v2 tables"
 * (https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg.html; policy rule UH-AWS-GLUE-002).
 */
export const ICEBERG_FORMAT_VERSION = '2';

/**
 * The catalog entries Athena rewrites on every commit to an Iceberg table: the metadata pointer and the previous one
 * in `parameters`, the columns (with `iceberg.field.*` parameters) in the storage descriptor
 * (https://github.com/apache/iceberg/pull/3352), and the description it keeps in the table's properties. Terraform
 * creates the table and leaves these to Athena: an UpdateTable from Terraform would replace what the last commit
 * wrote, and it cannot change an Iceberg schema anyway, which lives in the metadata files
 * (https://github.com/hashicorp/terraform-provider-aws/issues/36641).
 */
export const ICEBERG_ENTRIES_ATHENA_WRITES = ['description', 'parameters', 'storage_descriptor'];

/**
 * The current-state zone: one Apache Iceberg table per contract table, in the catalog's main database under the
 * contract's table name (analysts query `patient`), at `s3://<lake bucket>/current/<table>/`, with the contract's
 * columns and `last_change_seq`, the change sequence of the last change the merge applied to the row. Glue creates
 * the Iceberg metadata when the table is created (`open_table_format_input`, metadata operation CREATE,
 * https://docs.aws.amazon.com/glue/latest/webapi/API_IcebergInput.html); from then on only the merge writes the
 * tables, through Athena (MERGE INTO, OPTIMIZE, VACUUM).
 *
 * A contract column added later cannot be added to an existing table by an update (see ICEBERG_ENTRIES_ATHENA_WRITES,
 * and Athena runs no DDL on Iceberg tables in a Lake Formation location:
 * https://docs.aws.amazon.com/athena/latest/ug/lf-athena-limitations.html): the table is replaced whenever the
 * columns of its change-log table change (`replace_triggered_by`), in the same reviewed plan that adds the column to
 * the change log and to the merge's SQL, and the next merge fills the new, empty table from the whole change log
 * (nothing applied yet: README, "Changing the contract"). The grants on it are replaced with it (`CurrentTable`).
 */
export class CurrentState extends Construct {
  /** The current-state tables by contract table name. */
  readonly tables: ReadonlyMap<string, CurrentTable>;
  readonly catalog: Catalog;

  constructor(scope: Construct, id: string, props: CurrentStateProps) {
    super(scope, id);
    const { catalog } = props;
    const storage = catalog.storage;
    this.catalog = catalog;
    const defineTable = (table: Table, changeLogTable: GlueCatalogTable): GlueCatalogTable => {
      const comments = new Map(
        table.columns.map((column) => [column.name.toLowerCase(), `${column.classification}: ${column.description}`]),
      );
      return new GlueCatalogTable(this, `table-${table.name}`, {
        name: table.name.toLowerCase(),
        databaseName: catalog.database.name,
        description: table.description,
        tableType: 'EXTERNAL_TABLE',
        openTableFormatInput: { icebergInput: { metadataOperation: 'CREATE', version: ICEBERG_FORMAT_VERSION } },
        storageDescriptor: {
          location: `s3://${storage.lakeBucket.name}/${currentTablePrefix(storage.currentZonePrefix, table)}`,
          columns: currentCatalogColumns(table).map(({ name, type }) => ({
            name,
            type,
            comment: comments.get(name) ?? 'Change sequence of the last change the merge applied to the row',
          })),
        },
        lifecycle: {
          ignoreChanges: ICEBERG_ENTRIES_ATHENA_WRITES,
          replaceTriggeredBy: [replaceTrigger(changeLogTable, 'storage_descriptor[0].columns')],
        },
      });
    };
    this.tables = new Map(
      [...catalog.changeLogTables.values()].map(({ contract, glueTable }) => [
        contract.name,
        { contract, glueTable: defineTable(contract, glueTable) },
      ]),
    );
  }
}
