import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable } from '@cdktf/provider-aws/lib/glue-catalog-table';
import { GlueCrawler } from '@cdktf/provider-aws/lib/glue-crawler';
import { GlueSecurityConfiguration } from '@cdktf/provider-aws/lib/glue-security-configuration';
import { GlueDataCatalogEncryptionSettings } from '@cdktf/provider-aws/lib/glue-data-catalog-encryption-settings';
import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Table } from '../../contract/clinic';
import { glueType, rawTablePrefix } from '../../contract/lake';
import { AwsEnvironment, glueArn } from '../core/aws-environment';
import { policyDocument, serviceTrustStatement, throughServices } from '../core/policy-document';

export interface CatalogProps {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  readonly tables: readonly Table[];
  readonly lakeBucketName: string;
  readonly rawZonePrefix: string;
  readonly athenaResultsBucketName: string;
  readonly lakeKeyArn: string;
  readonly logsKeyArn: string;
  readonly bytesScannedCutoffPerQuery: number;
  /** @default 'Athena engine version 3' */
  readonly athenaEngineVersion?: string;
  /** Resources the catalog database must wait for: the Lake Formation settings that remove IAM-only defaults. */
  readonly after: readonly ITerraformDependable[];
}

/**
 * The Glue Data Catalog of the lake and Athena's workgroup. The catalog database holds one table per contract table
 * with the contract's column names and types (the original design ended with `col0…colN` and a table named after a
 * CSV file). Defining them here, rather than leaving their creation to the first crawl, means Lake Formation column
 * grants exist from the first apply; the crawler then re-crawls exactly those tables (a catalog target) under
 * Lake Formation credentials, records drift in its log instead of deleting anything, and updates the schema only
 * if DMS writes a new column.
 */
export class Catalog extends Construct {
  readonly database: GlueCatalogDatabase;
  readonly tables: GlueCatalogTable[];
  readonly crawler: GlueCrawler;
  readonly crawlerRole: IamRole;
  readonly workgroup: AthenaWorkgroup;
  readonly resultsLocation: string;

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);
    const env = props.environment;
    const databaseName = props.namePrefix.replace(/-/g, '_');

    new GlueDataCatalogEncryptionSettings(this, 'catalog-encryption', {
      dataCatalogEncryptionSettings: {
        encryptionAtRest: { catalogEncryptionMode: 'SSE-KMS', sseAwsKmsKeyId: props.lakeKeyArn },
        connectionPasswordEncryption: { returnConnectionPasswordEncrypted: true, awsKmsKeyId: props.lakeKeyArn },
      },
    });

    this.database = new GlueCatalogDatabase(this, 'database', {
      name: databaseName,
      description: 'UnicornHealth lake: raw zone written by DMS, governed by Lake Formation',
      dependsOn: [...props.after],
    });
    this.tables = props.tables.map(
      (table) =>
        new GlueCatalogTable(this, `table-${table.name}`, {
          name: table.name.toLowerCase(),
          databaseName: this.database.name,
          description: table.description,
          tableType: 'EXTERNAL_TABLE',
          parameters: { classification: 'parquet', EXTERNAL: 'TRUE' },
          storageDescriptor: {
            location: `s3://${props.lakeBucketName}/${rawTablePrefix(props.rawZonePrefix, table)}`,
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
        }),
    );

    const securityConfiguration = new GlueSecurityConfiguration(this, 'security', {
      name: `${props.namePrefix}-crawler`,
      encryptionConfiguration: {
        cloudwatchEncryption: { cloudwatchEncryptionMode: 'SSE-KMS', kmsKeyArn: props.logsKeyArn },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'CSE-KMS', kmsKeyArn: props.lakeKeyArn },
        s3Encryption: { s3EncryptionMode: 'SSE-KMS', kmsKeyArn: props.lakeKeyArn },
      },
    });

    const crawlerName = `${props.namePrefix}-raw-zone`;
    this.crawlerRole = new IamRole(this, 'crawler-role', {
      name: `${props.namePrefix}-crawler`,
      description: 'Glue crawler of the raw zone, reading data through Lake Formation credentials',
      assumeRolePolicy: policyDocument(this, 'crawler-trust', [serviceTrustStatement('glue.amazonaws.com', env.accountId)]).json,
    });
    const tableArns = this.tables.map((t) => glueArn(env, `table/${databaseName}/${t.name}`));
    new IamRolePolicy(this, 'crawler-policy', {
      role: this.crawlerRole.name,
      name: 'crawl-raw-zone',
      policy: policyDocument(this, 'crawler-access', [
        {
          sid: 'UpdateContractTables',
          effect: 'Allow',
          actions: [
            'glue:GetDatabase',
            'glue:GetTable',
            'glue:GetTables',
            'glue:UpdateTable',
            'glue:GetPartition',
            'glue:GetPartitions',
            'glue:BatchGetPartition',
            'glue:BatchCreatePartition',
            'glue:BatchUpdatePartition',
          ],
          resources: [glueArn(env, 'catalog'), glueArn(env, `database/${databaseName}`), ...tableArns],
        },
        { sid: 'LakeFormationCredentials', effect: 'Allow', actions: ['lakeformation:GetDataAccess'], resources: ['*'] },
        {
          sid: 'ReadEncryptedCatalogAndData',
          effect: 'Allow',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.lakeKeyArn],
          condition: throughServices(env, 'glue', 's3'),
        },
        {
          sid: 'WriteEncryptedCrawlerLogs',
          effect: 'Allow',
          actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
          resources: [`arn:${env.partition}:logs:${env.region}:${env.accountId}:log-group:/aws-glue/crawlers*`],
        },
      ]).json,
    });

    this.crawler = new GlueCrawler(this, 'crawler', {
      name: crawlerName,
      description: 'Re-crawls the contract tables of the raw zone written by DMS',
      role: this.crawlerRole.arn,
      databaseName: this.database.name,
      securityConfiguration: securityConfiguration.name,
      catalogTarget: [{ databaseName: this.database.name, tables: this.tables.map((t) => t.name) }],
      lakeFormationConfiguration: { useLakeFormationCredentials: true, accountId: env.accountId },
      schemaChangePolicy: { updateBehavior: 'UPDATE_IN_DATABASE', deleteBehavior: 'LOG' },
      recrawlPolicy: { recrawlBehavior: 'CRAWL_EVERYTHING' },
      configuration: JSON.stringify({
        Version: 1.0,
        CrawlerOutput: { Tables: { AddOrUpdateBehavior: 'MergeNewColumns' }, Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
      }),
    });

    this.resultsLocation = `s3://${props.athenaResultsBucketName}/athena/`;
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
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: props.lakeKeyArn },
        },
      },
    });
  }
}
