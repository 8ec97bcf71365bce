import { Construct } from 'constructs';
import { ITerraformDependable, TerraformResourceLifecycle } from 'cdktf';
import { LakeformationResource } from '@cdktf/provider-aws/lib/lakeformation-resource';
import { LakeformationPermissions, LakeformationPermissionsConfig } from '@cdktf/provider-aws/lib/lakeformation-permissions';
import { GovernanceConfig } from '../../config/types';
import { PERSONA_ROLE_SUFFIX, READABLE_COLUMNS, ReaderPersona } from '../../contract/lake';
import { AwsEnvironment, glueDatabaseArns } from '../core/aws-environment';
import { allow, catalogKeyThroughGlue, lakeFormationDataAccess, throughServices } from '../core/policy-document';
import { replaceTrigger } from '../core/replace-triggered-by';
import { ServiceRole } from '../core/service-role';
import { Catalog } from './catalog';
import { CurrentState, CurrentTable } from './current-state';
import { LakeStorage } from './lake-storage';

export interface GovernanceProps extends Pick<GovernanceConfig, 'analystTrustedPrincipalArns' | 'deployRoleArn'> {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  /** The lake whose zones, the change log and the current state, are registered with Lake Formation. */
  readonly storage: LakeStorage;
}

/** What reading the change log takes: the rows, and the table definitions. */
const CHANGE_LOG_READ = ['SELECT', 'DESCRIBE'];

/**
 * What writing a current-state table through Athena takes: MERGE INTO reads the table and inserts, updates and deletes
 * rows (SELECT, INSERT, DELETE: "data access permissions (SELECT, INSERT, and DELETE) on Data Catalog tables that point
 * to that location"), and every Iceberg commit updates the table's catalog entry, its metadata location (ALTER), as do
 * OPTIMIZE and VACUUM (https://docs.aws.amazon.com/lake-formation/latest/dg/access-control-underlying-data.html,
 * https://docs.aws.amazon.com/lake-formation/latest/dg/lf-permissions-reference.html).
 */
const CURRENT_STATE_WRITE = ['SELECT', 'INSERT', 'DELETE', 'ALTER', 'DESCRIBE'];

/**
 * A grant on a current-state table goes with the table: Lake Formation drops a table's grants when the table is
 * deleted, and a contract change replaces the table (`CurrentState`), so the grant is replaced with it rather than
 * left in the state while gone in AWS.
 */
const replacedWith = (table: CurrentTable): TerraformResourceLifecycle => ({ replaceTriggeredBy: [replaceTrigger(table.glueTable)] });

/**
 * The role the lake's zones are registered with, as whom Lake Formation vends credentials to Athena, Redshift and the
 * crawlers: the one role the lake bucket and key let read lake data, so they name it before it exists.
 */
export function lakeLocationRoleName(namePrefix: string): string {
  return `${namePrefix}-lake-location`;
}

/** Sessions of the analysts' and the smoke runner's roles, in seconds. */
const PERSON_SESSION_SECONDS = 3600;

/** Running Athena queries and reading their state and results. */
const ATHENA_QUERY_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:GetQueryExecution',
  'athena:GetQueryResults',
  'athena:StopQueryExecution',
  'athena:GetWorkGroup',
];

/**
 * Lake Formation governance of one environment: the lake's two zones, the change log (raw) and the current state,
 * registered with one dedicated role, the grants, and the analyst and smoke-runner roles. The change log, the history
 * of every row including deleted ones, is granted only to whom needs the history: the merge, the crawler and the
 * lake admins (policy rule UH-LF-008); readers are granted the current state. Who administers the lake (the data-lake
 * settings, the lake-admin roles, `LakeAdministrators`) is the same for the whole account and region, so the account
 * baseline owns it and is applied first; nothing here waits for it. Inside this stack the registrations wait for
 * their role's permissions, and every grant for the registrations and the grant before it.
 */
export class Governance extends Construct {
  readonly analystRole: ServiceRole;
  /**
   * The release's smoke runner: reconciles every column of every table with the source, so it is granted them all.
   * Only the deploying role may assume it; the release pipeline already holds PHI (it seeds the database).
   */
  readonly smokeRunnerRole: ServiceRole;
  readonly registrationRole: ServiceRole;
  /** The raw zone, the change log DMS writes, as a Lake Formation location. */
  readonly changeLogLocation: LakeformationResource;
  /** The current-state zone, the Iceberg tables the merge writes through Athena, as a Lake Formation location. */
  readonly currentStateLocation: LakeformationResource;
  private readonly lastGrant: ITerraformDependable[] = [];
  private readonly env: AwsEnvironment;
  private readonly storage: LakeStorage;

  constructor(scope: Construct, id: string, props: GovernanceProps) {
    super(scope, id);
    const { environment: env, storage } = props;
    this.env = env;
    this.storage = storage;

    this.registrationRole = new ServiceRole(this, 'registration-role', {
      environment: env,
      roleName: lakeLocationRoleName(props.namePrefix),
      description: 'Lake Formation reads and writes the registered lake locations with this role',
      trust: { kind: 'services', services: ['lakeformation'] },
      inlinePolicy: {
        name: 'lake-location-access',
        statements: [
          allow(
            'LakeObjects',
            ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
            [storage.rawZoneObjectsArn, storage.currentZoneObjectsArn],
          ),
          allow('LakeBucket', ['s3:ListBucket', 's3:GetBucketLocation'], [storage.lakeBucket.arn]),
          allow('LakeKey', ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'], [storage.lakeKey.arn], throughServices(env, 's3')),
        ],
      },
    });
    // Lake Formation reads each location with this role: the role and its policy exist before a location is
    // registered. Two prefixes of one bucket, not the bucket: nothing else in it is Lake Formation's to vend.
    const register = (registrationId: string, arn: string): LakeformationResource =>
      new LakeformationResource(this, registrationId, {
        arn,
        roleArn: this.registrationRole.arn,
        useServiceLinkedRole: false,
        hybridAccessEnabled: false,
        dependsOn: this.registrationRole.dependables,
      });
    this.changeLogLocation = register('lake-location', storage.rawZoneArn);
    this.currentStateLocation = register('current-state-location', storage.currentZoneArn);

    this.analystRole = new ServiceRole(this, 'analyst-role', {
      environment: env,
      roleName: `${props.namePrefix}-${PERSONA_ROLE_SUFFIX.analyst}`,
      description: 'Analysts: Athena over the lake without direct patient identifiers',
      maxSessionDurationSeconds: PERSON_SESSION_SECONDS,
      trust: { kind: 'principals', principalArns: props.analystTrustedPrincipalArns },
    });
    this.smokeRunnerRole = new ServiceRole(this, 'smoke-runner-role', {
      environment: env,
      roleName: `${props.namePrefix}-${PERSONA_ROLE_SUFFIX['smoke-runner']}`,
      description: "The release's smoke checks: reconcile every lake table with the source through Athena",
      maxSessionDurationSeconds: PERSON_SESSION_SECONDS,
      trust: { kind: 'principals', principalArns: [props.deployRoleArn] },
    });
  }

  /** Lake Formation grants are applied one after another: parallel grants fail with ConcurrentModificationException. */
  private grant(id: string, config: Omit<LakeformationPermissionsConfig, 'dependsOn'>): LakeformationPermissions {
    const permission = new LakeformationPermissions(this, id, {
      ...config,
      dependsOn: [this.changeLogLocation, this.currentStateLocation, ...this.lastGrant],
    });
    this.lastGrant.splice(0, this.lastGrant.length, permission);
    return permission;
  }

  /**
   * The grant made last so far, which waits for every earlier one: what must not run before those grants exist (the
   * schedules that start the merge) waits for it.
   */
  get grantsMade(): ITerraformDependable[] {
    return [...this.lastGrant];
  }

  /** The catalog's crawler may update the change-log tables in their database and read the change log's location. */
  grantCrawler(catalog: Catalog): void {
    const principal = catalog.crawlerRole.arn;
    const databaseName = catalog.changesDatabase.name;
    this.grant('crawler-database', {
      principal,
      permissions: ['DESCRIBE', 'ALTER', 'CREATE_TABLE'],
      database: { name: databaseName },
    });
    for (const [name, table] of catalog.changeLogTables) {
      this.grant(`crawler-table-${name}`, {
        principal,
        permissions: ['SELECT', 'ALTER', 'DESCRIBE', 'INSERT'],
        table: { databaseName, name: table.glueTable.name },
      });
    }
    this.grant('crawler-location', {
      principal,
      permissions: ['DATA_LOCATION_ACCESS'],
      dataLocation: { arn: this.changeLogLocation.arn },
    });
  }

  /**
   * SELECT on the current-state tables for a reader persona, listing exactly the columns the contract lets that persona
   * read (`READABLE_COLUMNS`): an allow-list, so a new direct-identifier column is hidden from analysts and Redshift
   * by default. A table of which the persona may read no column gets no grant at all (Lake Formation refuses a grant
   * of no columns). The smoke checks expect exactly these columns, and the local rehearsal reads them back from here.
   * Readers are never granted the change log: it holds deleted rows and every earlier image of a row.
   */
  grantReader(persona: ReaderPersona, reader: ServiceRole, currentState: CurrentState): void {
    const databaseName = currentState.catalog.database.name;
    this.grant(`${persona}-database`, { principal: reader.arn, permissions: ['DESCRIBE'], database: { name: databaseName } });
    for (const [tableName, table] of currentState.tables) {
      const columnNames = READABLE_COLUMNS[persona](table.contract).map((c) => c.name.toLowerCase());
      if (columnNames.length === 0) continue;
      this.grant(`${persona}-table-${tableName}`, {
        principal: reader.arn,
        permissions: ['SELECT'],
        tableWithColumns: { databaseName, name: table.glueTable.name, columnNames },
        lifecycle: replacedWith(table),
      });
    }
  }

  /**
   * Reading the whole change log, every column of every table, for a principal that needs the history: a lake-admin
   * role (audits, replays), named by ARN because the account baseline owns it, or the merge.
   * @param grantee the prefix of the grants' construct ids: `lake-admin`, `merge`
   */
  grantChangeLogReader(grantee: string, principalArn: string, catalog: Catalog): void {
    const databaseName = catalog.changesDatabase.name;
    this.grant(`${grantee}-changes-database`, { principal: principalArn, permissions: ['DESCRIBE'], database: { name: databaseName } });
    for (const [name, table] of catalog.changeLogTables) {
      this.grant(`${grantee}-change-log-${name}`, {
        principal: principalArn,
        permissions: CHANGE_LOG_READ,
        table: { databaseName, name: table.glueTable.name },
      });
    }
  }

  /**
   * Writing the current-state tables through Athena: the table permissions every MERGE INTO, OPTIMIZE and VACUUM needs,
   * and DATA_LOCATION_ACCESS on their location, which Lake Formation asks of whoever alters a table that points to a
   * registered location ("when you grant the CREATE_TABLE or ALTER permission to a principal, you also grant data
   * location permissions": https://docs.aws.amazon.com/lake-formation/latest/dg/access-control-underlying-data.html).
   * @param grantee the prefix of the grants' construct ids: `merge`, `maintenance`
   */
  grantCurrentStateWriter(grantee: string, writer: ServiceRole, currentState: CurrentState): void {
    const databaseName = currentState.catalog.database.name;
    this.grant(`${grantee}-database`, { principal: writer.arn, permissions: ['DESCRIBE'], database: { name: databaseName } });
    for (const [name, table] of currentState.tables) {
      this.grant(`${grantee}-current-${name}`, {
        principal: writer.arn,
        permissions: CURRENT_STATE_WRITE,
        table: { databaseName, name: table.glueTable.name },
        lifecycle: replacedWith(table),
      });
    }
    this.grant(`${grantee}-current-location`, {
      principal: writer.arn,
      permissions: ['DATA_LOCATION_ACCESS'],
      dataLocation: { arn: this.currentStateLocation.arn },
    });
  }

  /** What a reader that uses Athena needs besides its grants: run queries in the catalog's workgroup and use its results. */
  allowAthenaQueries(reader: ServiceRole, catalog: Catalog): void {
    const env = this.env;
    const resultsBucketArn = catalog.storage.athenaResultsBucket.arn;
    reader.addInlinePolicy({
      name: 'query-lake-with-athena',
      statements: [
        allow('QueryInWorkgroup', ATHENA_QUERY_ACTIONS, [catalog.workgroup.arn]),
        allow(
          'ReadCatalog',
          ['glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
          glueDatabaseArns(env, catalog.database.name),
        ),
        lakeFormationDataAccess(),
        catalogKeyThroughGlue(env, catalog.catalogKeyAlias),
        allow(
          'QueryResults',
          ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:GetBucketLocation', 's3:AbortMultipartUpload'],
          [resultsBucketArn, `${resultsBucketArn}/athena/*`],
        ),
        // Query results; the catalog has its own key (above), and Lake Formation reads the lake with the registration role.
        allow(
          'LakeKeyThroughServices',
          ['kms:Decrypt', 'kms:GenerateDataKey'],
          [this.storage.lakeKey.arn],
          throughServices(env, 's3', 'athena'),
        ),
      ],
    });
  }
}
