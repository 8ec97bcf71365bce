import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { dev } from '../../../config/environments';
import { CLINIC_TABLES, isSeeded } from '../../../contract/clinic';
import { grantableColumns } from '../../../contract/lake';
import { InputError } from '../../../scripts/cli/errors';
import { grantsByPersona, grantsOfEnvironment, readSynthesizedStack } from '../../../scripts/local/personas';
import { PlatformStack } from '../../../stacks/platform-stack';
import { Json } from '../../helpers/synth';

const synthesized = (): Json => JSON.parse(Testing.synth(new PlatformStack(Testing.app(), dev)));
/** The tables without identifiers; analysts get no grant at all on the smoke probe, Redshift reads it. */
const contractView = (tables: typeof CLINIC_TABLES): Map<string, string[]> =>
  new Map(tables.map((t) => [t.name.toLowerCase(), grantableColumns(t).map((c) => c.name.toLowerCase())]));

describe('personas from the Lake Formation grants of a synthesized stack', () => {
  test.each([
    ['analyst', CLINIC_TABLES.filter(isSeeded)],
    ['redshift', CLINIC_TABLES],
  ] as const)('%s is granted exactly the contract columns of its tables, no identifier', (persona, tables) => {
    expect(grantsByPersona(synthesized()).get(persona)).toEqual(contractView(tables));
  });

  test('the smoke runner is granted every column of every table', () => {
    expect(grantsByPersona(synthesized()).get('smoke-runner')).toEqual(
      new Map(CLINIC_TABLES.map((t) => [t.name.toLowerCase(), t.columns.map((c) => c.name.toLowerCase())])),
    );
  });

  test('roles that are not reader personas (the crawler) are not personas', () => {
    expect([...grantsByPersona(synthesized()).keys()].sort()).toEqual(['analyst', 'redshift', 'smoke-runner']);
  });

  test('a grant on a whole table or a wildcard is read as every column; principals are found by role name', () => {
    const stack: Json = {
      resource: {
        aws_iam_role: { reader: { name: 'unicornhealth-dev-analyst' }, other: { name: 'unicornhealth-dev-crawler' } },
        aws_glue_catalog_table: { patient: { name: 'patient' } },
        aws_lakeformation_permissions: {
          whole: {
            permissions: ['SELECT'],
            principal: '${aws_iam_role.reader.arn}',
            table: { name: '${aws_glue_catalog_table.patient.name}' },
          },
          wild: { permissions: ['ALL'], principal: '${aws_iam_role.reader.arn}', table_with_columns: { name: 'account', wildcard: true } },
          describe: { permissions: ['DESCRIBE'], principal: '${aws_iam_role.reader.arn}', table: { name: 'employee' } },
          crawler: { permissions: ['SELECT'], principal: '${aws_iam_role.other.arn}', table: { name: 'insurance' } },
        },
      },
    };
    expect(grantsByPersona(stack)).toEqual(
      new Map([
        [
          'analyst',
          new Map([
            ['patient', 'all'],
            ['account', 'all'],
          ]),
        ],
      ]),
    );
  });

  test('a stack file is read as it is, and an unreadable one is an input error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grants-'));
    const json = synthesized();
    json.resource.aws_lakeformation_permissions = {};
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(json));
    expect(await grantsOfEnvironment({ environment: 'dev', stackFile: join(dir, 'cdk.tf.json'), workDir: dir })).toEqual(new Map());
    expect(() => readSynthesizedStack(join(dir, 'missing.json'))).toThrow(InputError);
    await expect(grantsOfEnvironment({ environment: 'qa', workDir: dir })).rejects.toThrow(/--env qa is not an environment/);
  });

  test("an environment's grants are read from its stack synthesized now", async () => {
    const grants = await grantsOfEnvironment({ environment: 'dev', workDir: mkdtempSync(join(tmpdir(), 'grants-')) });
    expect(grants.get('analyst')).toEqual(contractView(CLINIC_TABLES.filter(isSeeded)));
  });
});
