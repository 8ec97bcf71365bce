import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript } from '../../helpers/cli';

const smokeCli = (args: string[]): ReturnType<typeof runScript> =>
  runScript('smoke/command.ts', args, { AWS_EC2_METADATA_DISABLED: 'true' });

describe('npm run smoke (the zx command)', () => {
  test('--help lists the steps, the name flags and the exit codes', async () => {
    const { code, stdout } = await smokeCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('source, dms, glue, redshift-schema, reconcile, governance');
    expect(stdout).toMatch(/--timeout SECONDS/);
    expect(stdout).toMatch(/Exit status: 0 when every check passes/);
  });

  test('an unknown step is a usage error (exit 2) naming the valid steps', async () => {
    const { code, stderr } = await smokeCli(['--only', 'dms,lakes']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown step "lakes"');
  });

  test('a missing Terraform output is named (exit 2)', async () => {
    const outputs = join(mkdtempSync(join(tmpdir(), 'outputs-')), 'outputs.json');
    writeFileSync(outputs, JSON.stringify({ region: { value: 'us-east-1' } }));
    const { code, stderr } = await smokeCli([
      '--outputs',
      outputs,
      '--host',
      '127.0.0.1',
      '--user',
      'u',
      '--database',
      'd',
      '--ssl-mode',
      'DISABLED',
      '--port',
      '1',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('Terraform output glue_database_name is missing');
  });
});
