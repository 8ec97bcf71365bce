import { join } from 'node:path';
import * as accountsModule from '../../config/accounts';
import { environments } from '../../config/environments';
import type { EnvironmentConfig } from '../../config/types';
import { interfaceEndpointServices } from '../../stacks/core/interface-endpoints';
import { UsageError } from '../cli/errors';

/** The CA the database construct uses unless the config names another (`caCertIdentifier`). */
export const DEFAULT_RDS_CA = 'rds-ca-rsa2048-g1';

/** Managed policy each account-level DMS role must have attached (the names DMS looks the roles up by). */
export const DMS_ACCOUNT_ROLES = [
  { role: 'dms-vpc-role', policy: 'AmazonDMSVPCManagementRole' },
  { role: 'dms-cloudwatch-logs-role', policy: 'AmazonDMSCloudWatchLogsRole' },
] as const;

/**
 * What the preflight checks need to know about one environment, read from the config in one place: the config is
 * being restructured (accounts and account-wide singletons may move to an account baseline), and only this adapter
 * has to follow it.
 */
export interface PreflightTarget {
  readonly environment: string;
  readonly project: string;
  /** Terraform stack name, also the prefix of every resource name (`unicornhealth-dev`). */
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly deployRoleArn: string;
  /** IAM users put in the LakeAdministrators group. */
  readonly lakeAdministratorUsers: readonly string[];
  /** Principals the Lake Formation settings name as data-lake admins. */
  readonly lakeFormationAdmins: readonly string[];
  /**
   * The stack that owns the account-wide singletons (Lake Formation settings, DMS account roles, LakeAdministrators):
   * the account baseline (`<project>-account-<account>`) where accounts are explicit, else the environment stack.
   */
  readonly singletons: { readonly owner: 'account-baseline' | 'environment-stack'; readonly stack: string };
  /** Who creates `dms-vpc-role` and `dms-cloudwatch-logs-role`; `nobody` when the config leaves them to the account. */
  readonly dmsRolesCreatedBy: 'account-baseline' | 'environment-stack' | 'nobody';
  readonly network: {
    readonly natGateway: boolean;
    /** Interface endpoint services (short names) the stack creates in its VPC. */
    readonly interfaceEndpoints: readonly string[];
  };
  /** The stack creates a Redshift Serverless namespace and workgroup of this name. */
  readonly warehouseName?: string;
  readonly rdsCaIdentifier: string;
  /** Remote state of the stack; absent when the environment uses a local backend. */
  readonly state?: { readonly bucket: string; readonly key: string; readonly region: string };
  /** Synthesized stack folder (`cdktf.out/stacks/<stack>`). */
  readonly stackDirectory: string;
}

/** A field of a config object read without trusting its shape: the config is being restructured. */
const field = (object: unknown, key: string): unknown =>
  object !== null && typeof object === 'object' ? (object as Record<string, unknown>)[key] : undefined;
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const texts = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.map(String) : undefined);

/**
 * The account an environment lives in, where accounts are explicit (`config/accounts.ts`: `accounts`, each with the
 * `name` an environment's `account` refers to). Read loosely, like the rest, while the account layout settles.
 */
function accountOf(config: EnvironmentConfig): unknown {
  const name = text(field(config, 'account'));
  const accounts = field(accountsModule, 'accounts');
  if (!name || !Array.isArray(accounts)) return undefined;
  return accounts.find((account) => field(account, 'name') === name);
}

/**
 * The preflight view of an environment's config: the fields that exist today (accountId, region,
 * governance.deployRoleArn and lakeAdministratorUsers, migration, database, network, stateBackend), each read
 * tolerantly, and the environment's account where accounts are explicit (lake administrators move there, and the
 * account baseline owns the DMS roles and the Lake Formation settings).
 */
export function preflightTarget(
  config: EnvironmentConfig,
  stacksDir = join('cdktf.out', 'stacks'),
  account = accountOf(config),
): PreflightTarget {
  const stackName = `${config.project}-${config.name}`;
  const governance = field(config, 'governance');
  const network = field(config, 'network');
  const backend = field(config, 'stateBackend');
  const accountId = text(field(config, 'accountId')) ?? text(field(account, 'id')) ?? '';
  const deployRoleArn = text(field(governance, 'deployRoleArn')) ?? '';
  const partition = /^arn:([^:]+):/.exec(deployRoleArn)?.[1] ?? 'aws';
  const lakeAdminRoleArn = text(field(governance, 'lakeAdminRoleArn')) ?? `arn:${partition}:iam::${accountId}:role/${stackName}-lake-admin`;
  const bucket = text(field(backend, 'bucket'));
  const region = text(field(config, 'region')) ?? text(field(account, 'region')) ?? '';
  const accountName = text(field(config, 'account'));
  return {
    environment: config.name,
    project: config.project,
    stackName,
    region,
    accountId,
    deployRoleArn,
    lakeAdministratorUsers: texts(field(governance, 'lakeAdministratorUsers')) ?? texts(field(account, 'lakeAdministratorUsers')) ?? [],
    lakeFormationAdmins: [lakeAdminRoleArn, deployRoleArn].filter(Boolean),
    singletons: accountName
      ? { owner: 'account-baseline', stack: `${config.project}-account-${accountName}` }
      : { owner: 'environment-stack', stack: stackName },
    dmsRolesCreatedBy: accountName
      ? 'account-baseline'
      : field(field(config, 'migration'), 'createServiceRoles') === true
        ? 'environment-stack'
        : 'nobody',
    network: {
      natGateway: field(network, 'internetEgress') === 'nat-gateway',
      // The services the stack makes endpoints for, from the module the constructs ask it with (no provider bindings).
      interfaceEndpoints: interfaceEndpointServices({
        network: {
          accessHost: {
            enabled: field(field(network, 'accessHost'), 'enabled') === true,
            connection: field(field(network, 'accessHost'), 'connection'),
          },
        },
      } as Pick<EnvironmentConfig, 'network'>),
    },
    ...(field(config, 'warehouse') ? { warehouseName: `${stackName}-warehouse` } : {}),
    rdsCaIdentifier: text(field(field(config, 'database'), 'caCertIdentifier')) ?? DEFAULT_RDS_CA,
    ...(bucket
      ? { state: { bucket, key: `${config.project}/${config.name}/terraform.tfstate`, region: text(field(backend, 'region')) ?? region } }
      : {}),
    stackDirectory: join(stacksDir, stackName),
  };
}

/** Names of the environments in config, for `--env` choices. */
export const environmentNames = (): string[] => environments.map((e) => e.name);

/** The preflight target of the environment named `name`. */
export function targetOf(name: string, stacksDir?: string): PreflightTarget {
  const config = environments.find((e) => e.name === name);
  if (!config) throw new UsageError(`--env ${name} is not an environment (environments: ${environmentNames().join(', ')})`);
  return preflightTarget(config, stacksDir);
}
