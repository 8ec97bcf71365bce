/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { CLINIC_TABLES, tableNamed } from '../../contract/clinic';
import { columnType, compareSchema, createTableSql, schemaDdl } from '../../contract/mysql';
import { checkSchema } from '../../scripts/seed/loader';
import { freshDatabase, useLocalMariadb } from '../helpers/mariadb';

describe('the data contract and its MySQL DDL', () => {
  const server = useLocalMariadb();

  test('the DDL runs on a real server and the resulting schema equals the contract', async () => {
    const database = await freshDatabase(server.admin());
    const connection = await server.db().connect(database);
    for (const statement of schemaDdl(CLINIC_TABLES)) await connection.query(statement);
    expect(await checkSchema(connection, database, CLINIC_TABLES)).toEqual({ differences: [], missing: [] });
    await connection.end();
  });

  test('a schema that drifts from the contract is described column by column', async () => {
    const database = await freshDatabase(server.admin());
    const connection = await server.db().connect(database);
    for (const statement of schemaDdl(CLINIC_TABLES)) await connection.query(statement);
    await connection.query('ALTER TABLE account MODIFY account_balance VARCHAR(20) NOT NULL');
    await connection.query('ALTER TABLE patient MODIFY email VARCHAR(254) NULL');
    const { differences } = await checkSchema(connection, database, CLINIC_TABLES);
    expect(differences).toEqual([
      'patient.email: allows NULL, the contract forbids it',
      'account.account_balance: type is varchar(20), the contract has decimal(10,2)',
    ]);
    await connection.end();
  });

  test('dates, times and money have real types, not text', () => {
    expect(columnType(CLINIC_TABLES.find((t) => t.name === 'patient')!.columns.find((c) => c.name === 'dob')!.type)).toBe('date');
    expect(columnType(CLINIC_TABLES.find((t) => t.name === 'appointment')!.columns.find((c) => c.name === 'app_time')!.type)).toBe('time');
    expect(columnType(CLINIC_TABLES.find((t) => t.name === 'account')!.columns.find((c) => c.name === 'last_payment')!.type)).toBe('date');
    expect(columnType(CLINIC_TABLES.find((t) => t.name === 'account')!.columns.find((c) => c.name === 'account_balance')!.type)).toBe(
      'decimal(10,2)',
    );
  });

  test('a date-time is a DATETIME, checked by its type: patterns become CHECK constraints on text columns only', () => {
    const probe = tableNamed('smoke_probe');
    expect(columnType(probe.columns.find((c) => c.name === 'written_at')!.type)).toBe('datetime');
    const ddl = createTableSql(probe);
    expect(ddl).toContain('CONSTRAINT `chk_smoke_probe_probe_id` CHECK');
    expect(ddl).not.toContain('chk_smoke_probe_written_at');
    expect(createTableSql(tableNamed('employee'))).toContain('CONSTRAINT `chk_employee_phone_number` CHECK');
  });

  test('a missing table is reported as missing, not as a difference', () => {
    expect(compareSchema(CLINIC_TABLES, [])).toEqual({ differences: [], missing: CLINIC_TABLES.map((t) => t.name) });
  });
});
