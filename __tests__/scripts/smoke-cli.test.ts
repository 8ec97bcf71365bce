import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

async function smokeCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'smoke.ts'), ...args], {
      cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0', AWS_EC2_METADATA_DISABLED: 'true' }, timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

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
    const { code, stderr } = await smokeCli(['--outputs', outputs, '--host', '127.0.0.1', '--user', 'u', '--database', 'd', '--ssl-mode', 'DISABLED', '--port', '1']);
    expect(code).toBe(2);
    expect(stderr).toContain('Terraform output glue_database_name is missing');
  });
});
