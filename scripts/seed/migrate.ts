import type { Connection, RowDataPacket } from 'mysql2/promise';
import { Table } from '../../contract/clinic';
import { ACTUAL_COLUMNS_SQL, ActualColumn, compareSchema } from '../../contract/mysql';
import { BASE_TABLES_SQL, DeployedSchema, MigrationPlan, describeChange, planMigration } from '../../contract/mysql-migration';
import { CommandResult } from '../cli/command';
import { EXIT } from '../cli/errors';
import { Progress } from '../cli/progress';

/** The actual columns, keys and foreign keys of the given tables, as `information_schema` reports them. */
export async function readActualColumns(connection: Connection, database: string, tables: readonly Table[]): Promise<ActualColumn[]> {
  const [rows] = await connection.query<RowDataPacket[]>(ACTUAL_COLUMNS_SQL, [database, tables.map((t) => t.name)]);
  return rows.map((r) => ({
    table: String(r.table),
    column: String(r.column),
    position: Number(r.position),
    columnType: String(r.columnType),
    nullable: Boolean(Number(r.nullable)),
    primaryKey: Boolean(Number(r.primaryKey)),
    references: typeof r.references === 'string' ? r.references : undefined,
  }));
}

/** Reads what the database holds: its base tables, and the columns, keys and foreign keys of the contract's tables. */
export async function readDeployedSchema(connection: Connection, database: string, tables: readonly Table[]): Promise<DeployedSchema> {
  const [names] = await connection.query<RowDataPacket[]>(BASE_TABLES_SQL, [database]);
  return { tables: names.map((row) => String(row.name)), columns: await readActualColumns(connection, database, tables) };
}

export interface MigrationOptions {
  readonly connection: Connection;
  readonly database: string;
  readonly tables: readonly Table[];
  /** Apply the statements when every change is additive; otherwise only plan. */
  readonly apply: boolean;
  /** Told before each statement runs. */
  readonly onStatement?: (statement: string) => void;
}

export interface MigrationOutcome {
  readonly plan: MigrationPlan;
  /** The statements that ran, in order. */
  readonly applied: readonly string[];
}

/**
 * Plans the migration of the database to the contract and, when asked and nothing is refused, applies it. DDL
 * commits statement by statement; one failing leaves the earlier ones applied (each additive, so harmless to keep), and
 * the error says which ran. Once applied, the schema must equal the contract, as the loader then checks.
 */
export async function migrateSchema(options: MigrationOptions): Promise<MigrationOutcome> {
  const { connection, database, tables } = options;
  const plan = planMigration(tables, await readDeployedSchema(connection, database, tables));
  if (!options.apply || plan.refused.length > 0) return { plan, applied: [] };
  const applied: string[] = [];
  for (const statement of plan.statements) {
    options.onStatement?.(statement);
    try {
      await connection.query(statement);
    } catch (error) {
      const before = applied.length ? `after ${applied.length} applied statement(s):\n${applied.join(';\n')}` : 'before any statement ran';
      throw new Error(`the migration failed ${before}\nfailed: ${statement}\n${(error as Error).message}`, { cause: error });
    }
    applied.push(statement);
  }
  const { differences } = compareSchema(tables, (await readDeployedSchema(connection, database, tables)).columns);
  if (differences.length > 0) throw new Error(`the migrated schema still differs from the contract:\n${differences.join('\n')}`);
  return { plan, applied };
}

export interface MigrationStepOptions {
  readonly connection: Connection;
  readonly database: string;
  readonly tables: readonly Table[];
  /** `--migrate`: apply additive changes. */
  readonly migrate: boolean;
  /** `--dry-run`: show what `--migrate` would apply, change nothing. */
  readonly dryRun: boolean;
  readonly progress: Progress;
}

const indent = (lines: readonly string[]): string => lines.map((line) => `  ${line.replace(/\n/g, '\n  ')}`).join('\n');

/**
 * The seed command's schema step, before the load: nothing to do when the schema is the contract's (or the database
 * is new: the loader creates the tables). Otherwise refuses (exit 2) a migration with any destructive or unsupported
 * change, naming each; refuses an additive one without `--migrate`, listing the statements `--migrate` would run; in
 * a dry run lists them and stops, since the files can only be checked against the migrated schema; with `--migrate`
 * applies them and lets the load go on. Returns the command's result when the run ends here.
 */
export async function migrationStep(options: MigrationStepOptions): Promise<CommandResult | undefined> {
  const { progress } = options;
  progress.update('comparing the deployed schema with the contract');
  const apply = options.migrate && !options.dryRun;
  const { plan, applied } = await migrateSchema({
    connection: options.connection,
    database: options.database,
    tables: options.tables,
    apply,
    onStatement: (statement) => progress.log(`migrate: ${statement.replace(/\s*\n\s*/g, ' ')}`),
  });
  if (plan.statements.length === 0 && plan.refused.length === 0) return undefined;
  const json = {
    migration: {
      refused: plan.refused.map(describeChange),
      additive: plan.additive.map(describeChange),
      statements: plan.statements,
      applied,
    },
  };
  if (plan.refused.length > 0) {
    const additive = plan.additive.length ? `\nadditive changes (not applied either):\n${indent(plan.additive.map(describeChange))}` : '';
    return {
      ok: false,
      exitCode: EXIT.usage,
      json,
      text:
        `refused: the deployed schema differs from the contract in ways seed --migrate does not apply:\n` +
        `${indent(plan.refused.map(describeChange))}${additive}\nnothing was changed or loaded`,
    };
  }
  if (applied.length > 0) {
    progress.log(`migrated ${options.database}: ${plan.additive.map(describeChange).join('; ')}`);
    return undefined;
  }
  const changes = indent(plan.additive.map(describeChange));
  const statements = indent(plan.statements.map((s) => `${s};`));
  if (options.dryRun && options.migrate) {
    return {
      ok: true,
      json,
      text:
        `dry run: the deployed schema lacks additive changes of the contract:\n${changes}\n--migrate would run:\n${statements}\n` +
        'nothing was written; the files are checked once the schema is migrated',
    };
  }
  return {
    ok: false,
    exitCode: EXIT.usage,
    json,
    text:
      `refused: the deployed schema lacks additive changes of the contract:\n${changes}\n` +
      `--migrate would apply them with:\n${statements}\nnothing was changed or loaded`,
  };
}
