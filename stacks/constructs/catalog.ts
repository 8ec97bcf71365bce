import { Construct } from 'constructs';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable } from '@cdktf/provider-aws/lib/glue-catalog-table';
import { GlueCrawler } from '@cdktf/provider-aws/lib/glue-crawler';
import { GlueSecurityConfiguration } from '@cdktf/provider-aws/lib/glue-security-configuration';
import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup';
import { AnalyticsConfig } from '../../config/types';
import { CLINIC_TABLES, Table } from '../../contract/clinic';
import { glueType, rawTablePrefix } from '../../contract/lake';
import { AwsEnvironment, glueArn } from '../core/aws-environment';
import { allow, catalogKeyThroughGlue, lakeFormationDataAccess, throughServices } from '../core/policy-document';
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
  /** The lake whose raw zone the tables describe; its results bucket and key serve Athena. */
  readonly storage: LakeStorage;
  /** Key of the crawler's CloudWatch logs. */
  readonly logsKey: CustomerManagedKey;
  /**
   * Alias (without `alias/`) of the key that encrypts the account's Data Catalog. The account baseline owns the key
   * and the catalog encryption and is applied first; whoever reads or writes the catalog uses the key through Glue.
   */
  readonly catalogKeyAlias: string;
}

/** What the crawler may do to the contract tables: read them and their partitions, update them, add partitions. */
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

/** A contract table and the Glue table defined from it. */
export interface CatalogTable {
  readonly contract: Table;
  readonly glueTable: GlueCatalogTable;
}

/**
 * The Glue Data Catalog of the lake and Athena's workgroup. The catalog database holds one table per contract table
 * with the contract's column names and types (the original design ended with `col0…colN` and a table named after a
 * CSV file). Defining them here, rather than leaving their creation to the first crawl, means Lake Formation column
 * grants exist from the first apply; the crawler then re-crawls exactly those tables (a catalog target) under
 * Lake Formation credentials, records drift in its log instead of deleting anything, and updates the schema only
 * if DMS writes a new column. What the catalog needs of the whole account (its encryption, and the Lake Formation
 * settings without IAM-only defaults) is the account baseline's, applied before this stack, so the database waits
 * for nothing in this stack.
 */
export class Catalog extends Construct {
  readonly storage: LakeStorage;
  readonly database: GlueCatalogDatabase;
  /** The catalog's tables by contract table name. */
  readonly tables: ReadonlyMap<string, CatalogTable>;
  readonly crawler: GlueCrawler;
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
    this.storage = storage;
    this.catalogKeyAlias = props.catalogKeyAlias;

    this.database = new GlueCatalogDatabase(this, 'database', {
      name: databaseName,
      description: 'UnicornHealth lake: raw zone written by DMS, governed by Lake Formation',
    });
    const defineGlueTable = (table: Table): GlueCatalogTable =>
      new GlueCatalogTable(this, `table-${table.name}`, {
        name: table.name.toLowerCase(),
        databaseName: this.database.name,
        description: table.description,
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'parquet', EXTERNAL: 'TRUE' },
        storageDescriptor: {
          location: `s3://${storage.lakeBucket.name}/${rawTablePrefix(storage.rawZonePrefix, table)}`,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serDeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          columns: table.columns.map((column) => ({
            name: column.name.toLowerCase(),
            type: glueType(column.type),
            comment: `${column.classification}: ${column.description}`,
          })),
        },
        lifecycle: { ignoreChanges: ['parameters', 'storage_descriptor[0].parameters'] },
      });
    this.tables = new Map(
      (props.tables ?? CLINIC_TABLES).map((table) => [table.name, { contract: table, glueTable: defineGlueTable(table) }]),
    );
    const glueTableNames = [...this.tables.values()].map((table) => table.glueTable.name);

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
      roleName: `${props.namePrefix}-crawler`,
      description: 'Glue crawler of the raw zone, reading data through Lake Formation credentials',
      trust: { kind: 'services', services: ['glue'] },
      inlinePolicy: {
        name: 'crawl-raw-zone',
        statements: [
          allow('UpdateContractTables', CRAWLER_TABLE_ACTIONS, [
            glueArn(env, 'catalog'),
            glueArn(env, `database/${databaseName}`),
            ...glueTableNames.map((name) => glueArn(env, `table/${databaseName}/${name}`)),
          ]),
          lakeFormationDataAccess(),
          catalogKeyThroughGlue(env, props.catalogKeyAlias),
          // The raw zone through S3; the security configuration's bookmarks and output through Glue.
          allow('LakeKeyForDataAndCrawlerOutput', ['kms:Decrypt', 'kms:GenerateDataKey'], [lakeKeyArn], throughServices(env, 'glue', 's3')),
          allow(
            'WriteEncryptedCrawlerLogs',
            ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
            [`arn:${env.partition}:logs:${env.region}:${env.accountId}:log-group:/aws-glue/crawlers*`],
          ),
        ],
      },
    });

    this.crawler = new GlueCrawler(this, 'crawler', {
      name: `${props.namePrefix}-raw-zone`,
      description: 'Re-crawls the contract tables of the raw zone written by DMS',
      role: this.crawlerRole.arn,
      databaseName: this.database.name,
      securityConfiguration: securityConfiguration.name,
      catalogTarget: [{ databaseName: this.database.name, tables: glueTableNames }],
      lakeFormationConfiguration: { useLakeFormationCredentials: true, accountId: env.accountId },
      schemaChangePolicy: { updateBehavior: 'UPDATE_IN_DATABASE', deleteBehavior: 'LOG' },
      recrawlPolicy: { recrawlBehavior: 'CRAWL_EVERYTHING' },
      configuration: JSON.stringify({
        Version: 1.0,
        CrawlerOutput: { Tables: { AddOrUpdateBehavior: 'MergeNewColumns' }, Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
      }),
    });

    this.resultsLocation = `s3://${storage.athenaResultsBucket.name}/athena/`;
    this.workgroup = new AthenaWorkgroup(this, 'workgroup', {
      name: `${props.namePrefix}-analysts`,
      description: 'Queries of the lake; settings enforced, results encrypted with the lake key',
      state: 'ENABLED',
      forceDestroy: false,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        requesterPaysEnabled: false,
        engineVersion: { selectedEngineVersion: props.athenaEngineVersion ?? 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: this.resultsLocation,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: lakeKeyArn },
        },
      },
    });
  }
}
