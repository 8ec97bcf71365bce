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

/** A contract table, the Glue table defined from it, and the crawler that re-crawls it. */
export interface CatalogTable {
  readonly contract: Table;
  readonly glueTable: GlueCatalogTable;
  readonly crawler: GlueCrawler;
}

/** The crawler of one contract table: named after the table, so an operator and the smoke checks can tell them apart. */
export function crawlerName(namePrefix: string, table: Pick<Table, 'name'>): string {
  return `${namePrefix}-raw-${table.name.toLowerCase()}`;
}

/**
 * The Glue Data Catalog of the lake and Athena's workgroup. The catalog database holds one table per contract table
 * with the contract's column names and types (the original design ended with `col0…colN` and a table named after a
 * CSV file). Defining them here, rather than leaving their creation to the first crawl, means Lake Formation column
 * grants exist from the first apply. Each table then has its own crawler that re-crawls exactly it (a catalog
 * target) under Lake Formation credentials, records drift in its log instead of deleting anything, and updates the
 * schema only if DMS writes a new column: with Lake Formation credentials Glue allows "only a single catalog target
 * with a single catalog table" per crawler (https://docs.aws.amazon.com/glue/latest/dg/crawler-lf-integ.html;
 * policy rule UH-AWS-GLUE-001). The crawlers share one role, so one set of Lake Formation grants serves them all. What the catalog needs of the whole account (its encryption, and the Lake Formation
 * settings without IAM-only defaults) is the account baseline's, applied before this stack, so the database waits
 * for nothing in this stack.
 */
export class Catalog extends Construct {
  readonly storage: LakeStorage;
  readonly database: GlueCatalogDatabase;
  /** The catalog's tables, each with its crawler, by contract table name. */
  readonly tables: ReadonlyMap<string, CatalogTable>;
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
    const glueTables = (props.tables ?? CLINIC_TABLES).map((table) => ({ contract: table, glueTable: defineGlueTable(table) }));
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
        description: `Re-crawls the ${contract.name} table of the raw zone written by DMS`,
        role: this.crawlerRole.arn,
        databaseName: this.database.name,
        securityConfiguration: securityConfiguration.name,
        catalogTarget: [{ databaseName: this.database.name, tables: [glueTable.name] }],
        lakeFormationConfiguration: { useLakeFormationCredentials: true, accountId: env.accountId },
        schemaChangePolicy: { updateBehavior: 'UPDATE_IN_DATABASE', deleteBehavior: 'LOG' },
        recrawlPolicy: { recrawlBehavior: 'CRAWL_EVERYTHING' },
        configuration: crawlerConfiguration,
      });
    this.tables = new Map(glueTables.map((table) => [table.contract.name, { ...table, crawler: defineCrawler(table) }]));
    this.crawlers = new Map([...this.tables].map(([name, table]) => [name, table.crawler]));

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
