import { Construct } from 'constructs';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable } from '@cdktf/provider-aws/lib/glue-catalog-table';
import { GlueCrawler } from '@cdktf/provider-aws/lib/glue-crawler';
import { GlueSecurityConfiguration } from '@cdktf/provider-aws/lib/glue-security-configuration';
import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup';
import { AnalyticsConfig } from '../../config/types';
import { CLINIC_TABLES, Table } from '../../contract/clinic';
import { rawTablePrefix } from '../../contract/lake';
import { CHANGE_LOG_COLUMNS, changeLogCatalogColumns, changeLogDatabaseOf } from '../../contract/merge';
import { AwsEnvironment, glueArn } from '../core/aws-environment';
import { encryptedWorkgroupConfig } from '../core/encrypted-workgroup';
import { allow, catalogKeyThroughGlue, lakeFormationDataAccess, throughServices } from '../core/policy-document';
import { LAKE_ROLE_SUFFIX, lakeRoleName } from '../core/lake-roles';
import { ServiceRole } from '../core/service-role';
import { CustomerManagedKey } from './customer-managed-key';
import { LakeStorage } from './lake-storage';

export interface CatalogProps extends Omit<AnalyticsConfig, 'athenaEngineVersion'>, Partial<Pick<AnalyticsConfig, 'athenaEngineVersion'>> {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  /**
   * The contract tables the catalog defines.
   * @default CLINIC_TABLES
   */
  readonly tables?: readonly Table[];
  /** The lake whose raw zone the change-log tables describe; its results bucket and key serve Athena. */
  readonly storage: LakeStorage;
  /** Key of the crawler's CloudWatch logs. */
  readonly logsKey: CustomerManagedKey;
  /**
   * Alias (without `alias/`) of the key that encrypts the account's Data Catalog. The account baseline owns the key
   * and the catalog encryption and is applied first; whoever reads or writes the catalog uses the key through Glue.
   */
  readonly catalogKeyAlias: string;
}

/** What the crawler may do to the change-log tables: read them and their partitions, update them, add partitions. */
const CRAWLER_TABLE_ACTIONS = [
  'glue:GetDatabase',
  'glue:GetTable',
  'glue:GetTables',
  'glue:UpdateTable',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:BatchGetPartition',
  'glue:BatchCreatePartition',
  'glue:BatchUpdatePartition',
];

/** What the columns DMS adds to every change-log row hold, as their catalog comments. */
const CHANGE_LOG_COLUMN_COMMENTS: Readonly<Record<string, string>> = {
  [CHANGE_LOG_COLUMNS.operation]: 'DMS: the operation, I (full load and inserts), U or D',
  [CHANGE_LOG_COLUMNS.commitTime]: 'DMS: when the change was committed at the source (the load time for full-load rows)',
  [CHANGE_LOG_COLUMNS.changeSequence]: 'DMS: $AR_H_CHANGE_SEQ, the order of every change; empty for full-load rows',
};

/** A contract table, the change-log table defined from it, and the crawler that re-crawls it. */
export interface ChangeLogTable {
  readonly contract: Table;
  readonly glueTable: GlueCatalogTable;
  readonly crawler: GlueCrawler;
}

/** The crawler of one contract table: named after the table, so an operator and the smoke checks can tell them apart. */
export function crawlerName(namePrefix: string, table: Pick<Table, 'name'>): string {
  return `${namePrefix}-raw-${table.name.toLowerCase()}`;
}

/**
 * The Glue Data Catalog of the lake and the analysts' Athena workgroup, in two databases. The main database `<db>`
 * is what analysts, Redshift and the smoke checks read: it holds the current-state tables (`CurrentState`, Apache
 * Iceberg) under the contract's table names. The change-log database `<db>_changes` holds one table per contract
 * table over the raw zone DMS writes: DMS's operation, commit time and change sequence, then the contract's columns
 * and types (the original design ended with `col0…colN` and a table named after a CSV file), so every insert, update
 * and delete ever made is there, and only the merge, the crawler and the lake admins are granted it. Defining the
 * tables here, rather than leaving their creation to the first crawl, means Lake Formation grants exist from the first
 * apply and a crawl finds nothing to add. Each change-log table has its own crawler that re-crawls exactly it (a
 * catalog target) under Lake Formation credentials, records drift in its log instead of deleting anything, and
 * updates the schema only if DMS writes a new column: with Lake Formation credentials Glue allows "only a single
 * catalog target with a single catalog table" per crawler (https://docs.aws.amazon.com/glue/latest/dg/crawler-lf-integ.html;
 * policy rule UH-AWS-GLUE-001). The crawlers share one role, so one set of Lake Formation grants serves them all.
 * What the catalog needs of the whole account (its encryption, and the Lake Formation settings without IAM-only
 * defaults) is the account baseline's, applied before this stack, so the databases wait for nothing in this stack.
 */
export class Catalog extends Construct {
  readonly storage: LakeStorage;
  /** The main database: the current-state tables analysts query. */
  readonly database: GlueCatalogDatabase;
  /** The change-log database, `<db>_changes`: the raw zone's tables, the history of every row. */
  readonly changesDatabase: GlueCatalogDatabase;
  /** The change-log tables, each with its crawler, by contract table name. */
  readonly changeLogTables: ReadonlyMap<string, ChangeLogTable>;
  /** The crawler of each table, by contract table name. */
  readonly crawlers: ReadonlyMap<string, GlueCrawler>;
  /** The role every crawler of the catalog runs as. */
  readonly crawlerRole: ServiceRole;
  readonly workgroup: AthenaWorkgroup;
  readonly resultsLocation: string;
  /** Alias of the account's catalog key, for the roles that read this catalog. */
  readonly catalogKeyAlias: string;

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);
    const { environment: env, storage } = props;
    const lakeKeyArn = storage.lakeKey.arn;
    const databaseName = props.namePrefix.replace(/-/g, '_');
    const changesDatabaseName = changeLogDatabaseOf(databaseName);
    this.storage = storage;
    this.catalogKeyAlias = props.catalogKeyAlias;

    this.database = new GlueCatalogDatabase(this, 'database', {
      name: databaseName,
      description: 'UnicornHealth lake: the current state of every clinic table (Apache Iceberg), governed by Lake Formation',
    });
    this.changesDatabase = new GlueCatalogDatabase(this, 'changes-database', {
      name: changesDatabaseName,
      description: 'UnicornHealth lake: the change log DMS writes (every insert, update and delete), for the merge and the lake admins',
    });
    const defineChangeLogTable = (table: Table): GlueCatalogTable => {
      const comments = new Map([
        ...Object.entries(CHANGE_LOG_COLUMN_COMMENTS),
        ...table.columns.map((column): [string, string] => [column.name.toLowerCase(), `${column.classification}: ${column.description}`]),
      ]);
      return new GlueCatalogTable(this, `change-log-${table.name}`, {
        name: table.name.toLowerCase(),
        databaseName: this.changesDatabase.name,
        description: `Change log of ${table.name}: ${table.description}`,
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'parquet', EXTERNAL: 'TRUE' },
        storageDescriptor: {
          location: `s3://${storage.lakeBucket.name}/${rawTablePrefix(storage.rawZonePrefix, table)}`,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serDeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          // DMS's own columns first (the operation, the commit time, the change sequence), then the row image.
          columns: changeLogCatalogColumns(table).map(({ name, type }) => ({
            name,
            type,
            comment: comments.get(name),
          })),
        },
        lifecycle: { ignoreChanges: ['parameters', 'storage_descriptor[0].parameters'] },
      });
    };
    const glueTables = (props.tables ?? CLINIC_TABLES).map((table) => ({ contract: table, glueTable: defineChangeLogTable(table) }));
    const glueTableNames = glueTables.map((table) => table.glueTable.name);

    const securityConfiguration = new GlueSecurityConfiguration(this, 'security', {
      name: `${props.namePrefix}-crawler`,
      encryptionConfiguration: {
        cloudwatchEncryption: { cloudwatchEncryptionMode: 'SSE-KMS', kmsKeyArn: props.logsKey.arn },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'CSE-KMS', kmsKeyArn: lakeKeyArn },
        s3Encryption: { s3EncryptionMode: 'SSE-KMS', kmsKeyArn: lakeKeyArn },
      },
    });

    this.crawlerRole = new ServiceRole(this, 'crawler-role', {
      environment: env,
      roleName: lakeRoleName(props.namePrefix, LAKE_ROLE_SUFFIX.crawler),
      description: 'Glue crawler of the raw zone, reading data through Lake Formation credentials',
      trust: { kind: 'services', services: ['glue'] },
      inlinePolicy: {
        name: 'crawl-raw-zone',
        statements: [
          allow('UpdateChangeLogTables', CRAWLER_TABLE_ACTIONS, [
            glueArn(env, 'catalog'),
            glueArn(env, `database/${changesDatabaseName}`),
            ...glueTableNames.map((name) => glueArn(env, `table/${changesDatabaseName}/${name}`)),
          ]),
          lakeFormationDataAccess(),
          catalogKeyThroughGlue(env, props.catalogKeyAlias),
          // The security configuration's bookmarks and output, through Glue. The crawlers read the raw zone with Lake
          // Formation's credentials "instead of the IAM role credentials"
          // (https://docs.aws.amazon.com/glue/latest/webapi/API_LakeFormationConfiguration.html), that is as the
          // registration role, the one principal the lake bucket and key let read lake data (policy rule UH-AWS-LF-001).
          allow('LakeKeyForCrawlerOutput', ['kms:Decrypt', 'kms:GenerateDataKey'], [lakeKeyArn], throughServices(env, 'glue')),
          allow(
            'WriteEncryptedCrawlerLogs',
            ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
            [`arn:${env.partition}:logs:${env.region}:${env.accountId}:log-group:/aws-glue/crawlers*`],
          ),
        ],
      },
    });

    const crawlerConfiguration = JSON.stringify({
      Version: 1.0,
      CrawlerOutput: { Tables: { AddOrUpdateBehavior: 'MergeNewColumns' }, Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
    });
    const defineCrawler = ({ contract, glueTable }: (typeof glueTables)[number]): GlueCrawler =>
      new GlueCrawler(this, `crawler-${contract.name}`, {
        name: crawlerName(props.namePrefix, contract),
        description: `Re-crawls the change log of ${contract.name} in the raw zone written by DMS`,
        role: this.crawlerRole.arn,
        databaseName: this.changesDatabase.name,
        securityConfiguration: securityConfiguration.name,
        catalogTarget: [{ databaseName: this.changesDatabase.name, tables: [glueTable.name] }],
        lakeFormationConfiguration: { useLakeFormationCredentials: true, accountId: env.accountId },
        schemaChangePolicy: { updateBehavior: 'UPDATE_IN_DATABASE', deleteBehavior: 'LOG' },
        recrawlPolicy: { recrawlBehavior: 'CRAWL_EVERYTHING' },
        configuration: crawlerConfiguration,
      });
    this.changeLogTables = new Map(glueTables.map((table) => [table.contract.name, { ...table, crawler: defineCrawler(table) }]));
    this.crawlers = new Map([...this.changeLogTables].map(([name, table]) => [name, table.crawler]));

    this.resultsLocation = `s3://${storage.athenaResultsBucket.name}/athena/`;
    this.workgroup = new AthenaWorkgroup(
      this,
      'workgroup',
      encryptedWorkgroupConfig({
        name: `${props.namePrefix}-analysts`,
        description: 'Queries of the lake; settings enforced, results encrypted with the lake key',
        resultsLocation: this.resultsLocation,
        kmsKeyArn: lakeKeyArn,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        engineVersion: props.athenaEngineVersion ?? 'Athena engine version 3',
      }),
    );
  }
}
