import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { LakeformationResource } from '@cdktf/provider-aws/lib/lakeformation-resource';
import { LakeformationPermissions, LakeformationPermissionsConfig } from '@cdktf/provider-aws/lib/lakeformation-permissions';
import { GovernanceConfig } from '../../config/types';
import { PERSONA_ROLE_SUFFIX, READABLE_COLUMNS, ReaderPersona } from '../../contract/lake';
import { AwsEnvironment, glueDatabaseArns } from '../core/aws-environment';
import { allow, catalogKeyThroughGlue, lakeFormationDataAccess, throughServices } from '../core/policy-document';
import { ServiceRole } from '../core/service-role';
import { Catalog } from './catalog';
import { LakeStorage } from './lake-storage';

export interface GovernanceProps extends Pick<GovernanceConfig, 'analystTrustedPrincipalArns' | 'deployRoleArn'> {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  /** The lake whose raw zone is registered with Lake Formation. */
  readonly storage: LakeStorage;
}

/**
 * The role the raw zone is registered with, as whom Lake Formation vends credentials to Athena, Redshift and the
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
 * Lake Formation governance of one environment: the raw zone registered with a dedicated role, the grants, and the
 * analyst role. Who administers the lake (the data-lake settings, the lake-admin roles, `LakeAdministrators`) is
 * the same for the whole account and region, so the account baseline owns it and is applied first; nothing here
 * waits for it. Inside this stack the registration waits for its role's permissions, and every grant for the
 * registration and the grant before it.
 */
export class Governance extends Construct {
  readonly analystRole: ServiceRole;
  /**
   * The release's smoke runner: reconciles every column of every table with the source, so it is granted them all.
   * Only the deploying role may assume it; the release pipeline already holds PHI (it seeds the database).
   */
  readonly smokeRunnerRole: ServiceRole;
  readonly registrationRole: ServiceRole;
  private readonly lastGrant: ITerraformDependable[] = [];
  private readonly env: AwsEnvironment;
  private readonly storage: LakeStorage;
  private readonly registration: LakeformationResource;

  constructor(scope: Construct, id: string, props: GovernanceProps) {
    super(scope, id);
    const { environment: env, storage } = props;
    this.env = env;
    this.storage = storage;

    this.registrationRole = new ServiceRole(this, 'registration-role', {
      environment: env,
      roleName: lakeLocationRoleName(props.namePrefix),
      description: 'Lake Formation reads and writes the registered lake location with this role',
      trust: { kind: 'services', services: ['lakeformation'] },
      inlinePolicy: {
        name: 'lake-location-access',
        statements: [
          allow('LakeObjects', ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [storage.rawZoneObjectsArn]),
          allow('LakeBucket', ['s3:ListBucket', 's3:GetBucketLocation'], [storage.lakeBucket.arn]),
          allow('LakeKey', ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'], [storage.lakeKey.arn], throughServices(env, 's3')),
        ],
      },
    });
    this.registration = new LakeformationResource(this, 'lake-location', {
      arn: storage.rawZoneArn,
      roleArn: this.registrationRole.arn,
      useServiceLinkedRole: false,
      hybridAccessEnabled: false,
      // Lake Formation reads the location with this role: the role and its policy exist before the location is registered.
      dependsOn: this.registrationRole.dependables,
    });

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
      dependsOn: [this.registration, ...this.lastGrant],
    });
    this.lastGrant.splice(0, this.lastGrant.length, permission);
    return permission;
  }

  /** The catalog's crawler may update the contract tables in the database and read the registered location. */
  grantCrawler(catalog: Catalog): void {
    const principal = catalog.crawlerRole.arn;
    const databaseName = catalog.database.name;
    this.grant('crawler-database', {
      principal,
      permissions: ['DESCRIBE', 'ALTER', 'CREATE_TABLE'],
      database: { name: databaseName },
    });
    for (const [name, table] of catalog.tables) {
      this.grant(`crawler-table-${name}`, {
        principal,
        permissions: ['SELECT', 'ALTER', 'DESCRIBE', 'INSERT'],
        table: { databaseName, name: table.glueTable.name },
      });
    }
    this.grant('crawler-location', {
      principal,
      permissions: ['DATA_LOCATION_ACCESS'],
      dataLocation: { arn: this.registration.arn },
    });
  }

  /**
   * SELECT on every catalog table for a reader persona, listing exactly the columns the contract lets that persona
   * read (`READABLE_COLUMNS`): an allow-list, so a new direct-identifier column is hidden from analysts and Redshift
   * by default. The smoke checks expect exactly these columns, and the local rehearsal reads them back from here.
   */
  grantReader(persona: ReaderPersona, reader: ServiceRole, catalog: Catalog): void {
    const databaseName = catalog.database.name;
    this.grant(`${persona}-database`, { principal: reader.arn, permissions: ['DESCRIBE'], database: { name: databaseName } });
    for (const [tableName, table] of catalog.tables) {
      this.grant(`${persona}-table-${tableName}`, {
        principal: reader.arn,
        permissions: ['SELECT'],
        tableWithColumns: {
          databaseName,
          name: table.glueTable.name,
          columnNames: READABLE_COLUMNS[persona](table.contract).map((c) => c.name.toLowerCase()),
        },
      });
    }
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
