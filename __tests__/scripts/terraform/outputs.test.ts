import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environments } from '../../../config/environments';
import { InputError, UsageError } from '../../../scripts/cli/errors';
import { Outputs, output, outputMap, readTerraformOutputs, stackDirectory } from '../../../scripts/terraform/outputs';

const OUTPUTS: Outputs = {
  rds_endpoint: { value: 'unicornhealth-dev-mysql.c9akciq32.us-east-1.rds.amazonaws.com' },
  rds_port: { value: 3306 },
  private_subnet_ids: { value: ['subnet-1', 'subnet-2'] },
  tags: { value: { Environment: 'dev' } },
  multi_az: { value: false },
  zero: { value: 0 },
  empty: { value: '' },
};

describe('Terraform outputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outputs-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a map output of names is read as a record; anything else is an input error naming it', () => {
    const crawlers = { patient: 'unicornhealth-dev-raw-patient', account: 'unicornhealth-dev-raw-account' };
    expect(outputMap({ glue_crawler_names: { value: crawlers } }, 'glue_crawler_names')).toEqual(crawlers);
    for (const value of ['unicornhealth-dev-raw', ['a'], {}, { patient: 3 }, { patient: '' }]) {
      expect(() => outputMap({ glue_crawler_names: { value } }, 'glue_crawler_names')).toThrow(
        `Terraform output glue_crawler_names is not a map of names: ${JSON.stringify(value)}`,
      );
    }
    expect(() => outputMap({}, 'glue_crawler_names')).toThrow('Terraform output glue_crawler_names is missing');
  });

  test('a saved terraform output -json file is read as it is', async () => {
    const file = join(dir, 'outputs.json');
    writeFileSync(file, JSON.stringify(OUTPUTS));
    expect(await readTerraformOutputs({ outputsFile: file, environment: 'dev' })).toEqual(OUTPUTS);
  });

  test.each([
    ['text that is not JSON', 'rds_endpoint = "x"'],
    ['an empty file', ''],
  ])('%s is an input error naming the file', async (_case, text) => {
    const file = join(dir, 'not-json.txt');
    writeFileSync(file, text);
    const reading = readTerraformOutputs({ outputsFile: file, environment: 'dev' });
    await expect(reading).rejects.toThrow(InputError);
    await expect(reading).rejects.toThrow(`--outputs ${file}: not the JSON of terraform output -json (`);
  });

  test('an unknown --env is a usage error listing the environments, before terraform runs', async () => {
    const reading = readTerraformOutputs({ environment: 'staging' });
    await expect(reading).rejects.toThrow(UsageError);
    await expect(reading).rejects.toThrow(
      `--env staging is not an environment (environments: ${environments.map((e) => e.name).join(', ')})`,
    );
  });

  test.each(environments.map((e) => [e.name, `${e.project}-${e.name}`] as const))(
    'the stack folder of %s is its synthesized stack %s',
    (name, stack) => {
      expect(stackDirectory(name)).toBe(join('cdktf.out', 'stacks', stack));
    },
  );

  test.each([
    ['a string', 'rds_endpoint', OUTPUTS.rds_endpoint.value],
    ['a number', 'rds_port', '3306'],
    ['zero', 'zero', '0'],
    ['false', 'multi_az', 'false'],
    ['a list', 'private_subnet_ids', '["subnet-1","subnet-2"]'],
    ['a map', 'tags', '{"Environment":"dev"}'],
  ])('an output holding %s is given as text', (_case, name, text) => {
    expect(output(OUTPUTS, name)).toBe(text);
  });

  test.each([
    ['missing', 'rds_master_secret_arn'],
    ['empty', 'empty'],
  ])('a %s output is an input error naming it', (_case, name) => {
    expect(() => output(OUTPUTS, name)).toThrow(InputError);
    expect(() => output(OUTPUTS, name)).toThrow(`Terraform output ${name} is missing`);
  });
});
