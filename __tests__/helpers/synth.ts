import { Testing, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { accounts } from '../../config/accounts';
import { dev } from '../../config/environments';
import { AccountConfig, EnvironmentConfig } from '../../config/types';
import { CLINIC_TABLES, Table } from '../../contract/clinic';
import { AccountBaselineStack } from '../../stacks/baseline-stack';
import { PlatformStack } from '../../stacks/platform-stack';
import { AwsEnvironment, awsEnvironment, roleArn } from '../../stacks/core/aws-environment';
import { ReadableStack } from '../../stacks/core/readable-stack';
import { CustomerManagedKey } from '../../stacks/constructs/customer-managed-key';
import { Network } from '../../stacks/constructs/network';
import { LakeStorage } from '../../stacks/constructs/lake-storage';
import { Database } from '../../stacks/constructs/database';
import { Catalog } from '../../stacks/constructs/catalog';
import { CurrentState } from '../../stacks/constructs/current-state';
import { Merge } from '../../stacks/constructs/merge';
import { lakeLocationRoleName } from '../../stacks/constructs/governance';
import { Migration, MigrationProps } from '../../stacks/constructs/migration';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = any;

/** A synthesized stack, parsed, with lookups by Terraform type. */
export class SynthesizedStack {
  readonly json: Json;
  readonly text: string;

  constructor(readonly stack: TerraformStack) {
    this.text = Testing.synth(stack);
    this.json = JSON.parse(this.text);
  }

  /** Resources of one type, by logical id. */
  resources(type: string): Record<string, Json> {
    return this.json.resource?.[type] ?? {};
  }

  /** Resources of one type as a list. */
  all(type: string): Json[] {
    return Object.values(this.resources(type));
  }

  /** The resource of a type whose logical id is `idPart`, or else the only one containing it; fails when there is none or several. */
  one(type: string, idPart = ''): Json {
    return this.resources(type)[this.idOf(type, idPart)];
  }

  /** Logical id of the single resource of a type matching `idPart`. */
  idOf(type: string, idPart = ''): string {
    return onlyMatch(type, this.resources(type), idPart);
  }

  /** The single data source of a type whose logical id contains `idPart`. */
  data(type: string, idPart = ''): Json {
    const sources = this.json.data?.[type] ?? {};
    return sources[onlyMatch(type, sources, idPart)];
  }

  /** `${type.id.attribute}` reference to the single resource of a type matching `idPart`. */
  ref(type: string, idPart: string, attribute: string): string {
    return ref(type, this.idOf(type, idPart), attribute);
  }

  /** The `aws_iam_policy_document` a `${data.aws_iam_policy_document.X.json}` reference points at. */
  policyBehind(reference: string): Json {
    const match = /\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}/.exec(reference);
    if (!match) throw new Error(`not a policy document reference: ${reference}`);
    return this.json.data.aws_iam_policy_document[match[1]];
  }

  /** Statement of a policy document by its sid. */
  statement(reference: string, sid: string): Json {
    const statement = this.policyBehind(reference).statement.find((s: Json) => s.sid === sid);
    if (!statement) throw new Error(`no statement ${sid} behind ${reference}`);
    return statement;
  }

  /** Sids of the statements behind a policy reference, in order. */
  sids(reference: string): string[] {
    return this.policyBehind(reference).statement.map((s: Json) => s.sid);
  }

  outputs(): Record<string, Json> {
    return this.json.output ?? {};
  }

  /** Egress rules of the security group `groupRef` refers to. */
  egressOf(groupRef: string): Json[] {
    return this.all('aws_vpc_security_group_egress_rule').filter((rule) => rule.security_group_id === groupRef);
  }

  /** Ingress rules of the security group `groupRef` refers to. */
  ingressOf(groupRef: string): Json[] {
    return this.all('aws_vpc_security_group_ingress_rule').filter((rule) => rule.security_group_id === groupRef);
  }

  /** Where a security group may connect to: `[port, referenced group or prefix list]`, sorted. */
  egressTargets(groupRef: string): [number, string][] {
    return this.egressOf(groupRef)
      .map((rule): [number, string] => [rule.to_port, rule.referenced_security_group_id ?? rule.prefix_list_id])
      .sort();
  }

  /** The `TrustedService` statement of the trust policy of the single role matching `roleIdPart`. */
  serviceTrustOf(roleIdPart: string): Json {
    return this.statement(this.one('aws_iam_role', roleIdPart).assume_role_policy, 'TrustedService');
  }
}

/** The trust statement `ServiceRole` writes for AWS services: the principals, and the conditions when there are any. */
export function serviceTrust(principals: string[], conditions: Json[] = []): Json {
  return {
    sid: 'TrustedService',
    effect: 'Allow',
    actions: ['sts:AssumeRole'],
    principals: [{ type: 'Service', identifiers: principals }],
    ...(conditions.length > 0 ? { condition: conditions } : {}),
  };
}

/** Confused-deputy conditions: a request on behalf of a resource of the test account whose ARN matches `sourceArn`. */
export function fromTestAccount(sourceArn: string): Json[] {
  return [
    { test: 'StringEquals', variable: 'aws:SourceAccount', values: [TEST_ENV.accountId] },
    { test: 'ArnLike', variable: 'aws:SourceArn', values: [sourceArn] },
  ];
}

/** The logical id that is `idPart`, or else the only one that contains it. */
function onlyMatch(type: string, entries: Record<string, Json>, idPart: string): string {
  if (idPart in entries) return idPart;
  const ids = Object.keys(entries).filter((id) => id.includes(idPart));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching "${idPart}", found ${ids.join(', ') || 'none'}`);
  return ids[0];
}

/** The platform stack of an environment, synthesized; `tables` stand in for the contract's. */
export function synthesize(config: EnvironmentConfig, tables?: readonly Table[]): SynthesizedStack {
  return new SynthesizedStack(new PlatformStack(Testing.app(), config, tables));
}

/** The declared account an environment lives in. */
export function accountOf(config: EnvironmentConfig): AccountConfig {
  const account = accounts.find((a) => a.name === config.account);
  if (!account) throw new Error(`environment ${config.name} names no declared account`);
  return account;
}

/** The account baseline stack of an account with these environments, synthesized. */
export function synthesizeBaseline(account: AccountConfig, environments: readonly EnvironmentConfig[]): SynthesizedStack {
  return new SynthesizedStack(new AccountBaselineStack(Testing.app(), account, environments));
}

/**
 * A copy of the contract with one more direct identifier on `patient`, `ssn`, required free text like the names:
 * for tests that follow a change of the contract through the platform.
 */
export function contractWithPatientSsn(): Table[] {
  return CLINIC_TABLES.map((table) => {
    if (table.name !== 'patient') return table;
    const firstName = table.columns.find((column) => column.name === 'first_name')!;
    return { ...table, columns: [...table.columns, { ...firstName, name: 'ssn', description: 'Social security number' }] };
  });
}

/** Names of the Glue columns of the `patient` change-log and current-state tables, in order. */
export function patientGlueColumns(stack: SynthesizedStack): { changeLog: string[]; current: string[] } {
  const columnsOf = (idPart: string): string[] =>
    stack.one('aws_glue_catalog_table', idPart).storage_descriptor.columns.map((column: Json) => column.name);
  return { changeLog: columnsOf('change-log-patient'), current: columnsOf('current-state_table-patient') };
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A copy of `base` with `patch` merged in (arrays are replaced, not merged). */
export function withConfig(base: EnvironmentConfig, patch: DeepPartial<EnvironmentConfig>): EnvironmentConfig {
  const merge = (a: Json, b: Json): Json => {
    if (b === undefined) return a;
    if (Array.isArray(b) || typeof b !== 'object' || b === null) return b;
    const out: Json = { ...a };
    for (const [key, value] of Object.entries(b)) out[key] = merge(a?.[key], value);
    return out;
  };
  return merge(base, patch);
}

/** `${aws_x.id.attr}` reference to a resource attribute, as the synthesized JSON spells it. */
export function ref(type: string, id: string, attribute: string): string {
  return `\${${type}.${id}.${attribute}}`;
}

// Building blocks for construct tests: each construct is built alone in a bare stack with the few constructs it needs.

/** The account and region construct tests build in. */
export const TEST_ENV: AwsEnvironment = awsEnvironment(dev.accountId, dev.region);
export const TEST_PREFIX = 'uh-test';

/** An empty stack with an AWS provider and the platform's readable addresses, as construct tests start from. */
export function bareStack(): TerraformStack {
  const stack = new ReadableStack(Testing.app(), 'test');
  new AwsProvider(stack, 'aws', { region: TEST_ENV.region });
  return stack;
}

/** Builds constructs in a bare stack and synthesizes it. */
export function synthesizeWith(build: (stack: TerraformStack) => void): SynthesizedStack {
  const stack = bareStack();
  build(stack);
  return new SynthesizedStack(stack);
}

/**
 * The child of `stack` with id `id`, if a building block made it already: building blocks make their constructs on
 * first use, so that two of them needing the same network, lake or key share it.
 */
function existing<T extends IConstruct>(stack: TerraformStack, id: string): T | undefined {
  return stack.node.tryFindChild(id) as T | undefined;
}

/** The stack's key named `name` (`lake`, `database`, `logs`). */
export function testKey(stack: TerraformStack, name: string): CustomerManagedKey {
  const id = `${name}-key`;
  return (
    existing(stack, id) ?? new CustomerManagedKey(stack, id, { environment: TEST_ENV, alias: `${TEST_PREFIX}-${name}`, description: name })
  );
}

export function testNetwork(stack: TerraformStack): Network {
  return (
    existing(stack, 'network') ??
    new Network(stack, 'network', {
      environment: TEST_ENV,
      namePrefix: TEST_PREFIX,
      vpcCidr: '10.20.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      logsKey: testKey(stack, 'logs'),
      flowLogRetentionDays: 365,
    })
  );
}

/** The role the test lake's location is registered with, the one that may read lake objects (Governance's name for it). */
export const TEST_LAKE_READER_ARN = roleArn(TEST_ENV, lakeLocationRoleName(TEST_PREFIX));

export function testStorage(stack: TerraformStack): LakeStorage {
  return (
    existing(stack, 'storage') ??
    new LakeStorage(stack, 'storage', {
      environment: TEST_ENV,
      namePrefix: TEST_PREFIX,
      lakeKey: testKey(stack, 'lake'),
      lakeReaderRoleArns: [TEST_LAKE_READER_ARN],
      ...dev.storage,
      changeLog: dev.lake.changeLog,
    })
  );
}

/** The MySQL database in the stack's network. */
export function testDatabase(stack: TerraformStack): Database {
  return (
    existing(stack, 'database') ??
    new Database(stack, 'database', {
      ...dev.database,
      namePrefix: TEST_PREFIX,
      network: testNetwork(stack),
      databaseKey: testKey(stack, 'database'),
      logsKey: testKey(stack, 'logs'),
      logRetentionDays: 365,
    })
  );
}

/** Alias of the account's catalog key in construct tests (the account baseline's, which they do not build). */
export const TEST_CATALOG_KEY_ALIAS = `${TEST_PREFIX}-catalog`;

/** The statement that lets a role use the account's catalog key, as `catalogKeyThroughGlue` writes it for the test account. */
export const TEST_CATALOG_KEY_STATEMENT = {
  sid: 'CatalogKeyThroughGlue',
  effect: 'Allow',
  actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
  resources: [`arn:aws:kms:us-east-1:${TEST_ENV.accountId}:key/*`],
  condition: [
    { test: 'ForAnyValue:StringEquals', variable: 'kms:ResourceAliases', values: [`alias/${TEST_CATALOG_KEY_ALIAS}`] },
    { test: 'StringEquals', variable: 'kms:ViaService', values: ['glue.us-east-1.amazonaws.com'] },
  ],
};

/** The catalog of the stack's lake. */
export function testCatalog(stack: TerraformStack, tables?: readonly Table[]): Catalog {
  return (
    existing(stack, 'catalog') ??
    new Catalog(stack, 'catalog', {
      environment: TEST_ENV,
      namePrefix: TEST_PREFIX,
      bytesScannedCutoffPerQuery: 10_000_000,
      storage: testStorage(stack),
      logsKey: testKey(stack, 'logs'),
      catalogKeyAlias: TEST_CATALOG_KEY_ALIAS,
      tables,
    })
  );
}

/** The current-state tables of the stack's catalog. */
export function testCurrentState(stack: TerraformStack, tables?: readonly Table[]): CurrentState {
  return existing(stack, 'current-state') ?? new CurrentState(stack, 'current-state', { catalog: testCatalog(stack, tables) });
}

/** The merge of the stack's change log into its current state. */
export function testMerge(stack: TerraformStack, tables?: readonly Table[]): Merge {
  return (
    existing(stack, 'merge') ??
    new Merge(stack, 'merge', {
      environment: TEST_ENV,
      namePrefix: TEST_PREFIX,
      bytesScannedCutoffPerQuery: 10_000_000,
      currentState: testCurrentState(stack, tables),
      logsKey: testKey(stack, 'logs'),
      logRetentionDays: 365,
    })
  );
}

/** DMS from the stack's database into its lake, with dev's settings where `props` give none. */
export function testMigration(stack: TerraformStack, props: Partial<MigrationProps> = {}): Migration {
  return new Migration(stack, 'migration', {
    ...dev.migration,
    environment: TEST_ENV,
    namePrefix: TEST_PREFIX,
    network: testNetwork(stack),
    source: testDatabase(stack),
    storage: testStorage(stack),
    databaseKey: testKey(stack, 'database'),
    logsKey: testKey(stack, 'logs'),
    logRetentionDays: 365,
    ...props,
  });
}

/** Where a client of the test database may connect to: MySQL, the interface endpoints and S3, as `egressTargets` lists them. */
export function mysqlAndAwsApiTargets(stack: SynthesizedStack): [number, string][] {
  const targets: [number, string][] = [
    [3306, stack.ref('aws_security_group', 'database_mysql', 'id')],
    [443, stack.ref('aws_security_group', 'endpoints', 'id')],
    [443, stack.ref('aws_vpc_endpoint', 'endpoint-s3', 'prefix_list_id')],
  ];
  return targets.sort();
}

/**
 * The Lake Formation grants of a stack, by address, leaving out the release smoke runner's (which reads every
 * column, so a new column reaches it by design).
 */
export const governedGrants = (stack: SynthesizedStack): Record<string, Json> =>
  Object.fromEntries(Object.entries(stack.resources('aws_lakeformation_permissions')).filter(([id]) => !id.includes('smoke-runner')));

/** The columns the smoke runner is granted on the patient table. */
export const smokeRunnerPatientColumns = (stack: SynthesizedStack): string[] =>
  stack.one('aws_lakeformation_permissions', 'smoke-runner-table-patient').table_with_columns.column_names;
