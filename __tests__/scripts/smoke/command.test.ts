import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../../helpers/cli';

const smoke = (args: string[]): ReturnType<typeof runInProcess> => runInProcess('smoke', args, { AWS_EC2_METADATA_DISABLED: 'true' });
/** A fresh outputs.json holding `text`, as `terraform output -json` would leave it. */
const outputsFile = (text: string): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'outputs-')), 'outputs.json');
  writeFileSync(path, text);
  return path;
};
/** A run against the outputs file with every connection flag given, so only the outputs can stop it. */
const smokeWithOutputs = (outputs: string): ReturnType<typeof runInProcess> =>
  smoke(['--outputs', outputs, '--host', '127.0.0.1', '--user', 'u', '--database', 'd', '--ssl-mode', 'DISABLED', '--port', '1']);

describe('npm run smoke (the command)', () => {
  test('--help lists the steps, the name flags and the exit codes', async () => {
    const { code, stdout } = await smoke(['--help']);
    expect(code).toBe(0);
    expect(stdout.replace(/\s+/g, ' ')).toContain('source, probe, dms, merge, glue, redshift-schema, freshness, reconcile, governance');
    expect(stdout).toMatch(/--freshness-target <minutes>/);
    expect(stdout).toMatch(/--merge-state-machine-arn <arn>/);
    expect(stdout).toMatch(/--timeout <seconds>\s+bound on the whole run \(default: 3600\)/);
    expect(stdout).toMatch(/Exit codes: 0 success/);
  });

  test('an unknown step is a usage error (exit 2) naming the valid steps', async () => {
    const { code, stderr } = await smoke(['--only', 'dms,lakes']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown "lakes"; choose from source, probe, dms, merge, glue');
  });

  test('a missing Terraform output is named (exit 2), before anything connects', async () => {
    const outputs = outputsFile(JSON.stringify({ region: { value: 'us-east-1' } }));
    const { code, stderr } = await smokeWithOutputs(outputs);
    expect(code).toBe(2);
    expect(stderr).toContain('Terraform output glue_database_name is missing');
  });

  test('a crawler-names output that is not a map of names is named (exit 2), before anything connects', async () => {
    const names = Object.fromEntries(
      ['region', 'glue_database_name', 'glue_changes_database_name', 'merge_state_machine_arn', 'athena_workgroup']
        .concat([
          'redshift_workgroup',
          'redshift_database',
          'redshift_role_arn',
          'analyst_role_arn',
          'smoke_runner_role_arn',
          'dms_task_arn',
        ])
        .map((name) => [name, { value: name === 'region' ? 'us-east-1' : `${name}-value` }]),
    );
    // The single crawler name of an older stack.
    const outputs = outputsFile(JSON.stringify({ ...names, glue_crawler_names: { value: 'unicornhealth-dev-raw' } }));
    const { code, stderr } = await smokeWithOutputs(outputs);
    expect(code).toBe(2);
    expect(stderr).toContain('Terraform output glue_crawler_names is not a map of names: "unicornhealth-dev-raw"');
  });

  test('a freshness target of no minutes is a usage error', async () => {
    const { code, stderr } = await smoke(['--freshness-target', '0']);
    expect(code).toBe(2);
    expect(stderr).toContain("--freshness-target <minutes>' argument '0' is invalid");
  });

  test('an outputs file that is not JSON is an input error naming it', async () => {
    const outputs = outputsFile('region = "us-east-1"');
    const { code, stdout } = await smoke(['--outputs', outputs, '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      error: { kind: 'input', message: expect.stringContaining('not the JSON of terraform output -json') },
    });
  });
});
