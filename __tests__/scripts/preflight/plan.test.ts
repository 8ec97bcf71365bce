import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSummary, parsePlanSummary, planError, terraformPlanRunner } from '../../../scripts/preflight/plan';

/** A stand-in `terraform` on PATH that records its arguments, prints a plan and exits with FAKE_EXIT. */
function fakeTerraform(): { bin: string; argsFile: string } {
  const bin = mkdtempSync(join(tmpdir(), 'fake-terraform-'));
  const argsFile = join(bin, 'args');
  writeFileSync(
    join(bin, 'terraform'),
    [
      '#!/bin/sh',
      `printf '%s\\n' "$@" > '${argsFile}'`,
      'echo "Plan: 0 to add, 1 to change, 0 to destroy."',
      'echo "Error: fake failure" >&2',
      'exit "${FAKE_EXIT:-0}"',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'terraform'), 0o755);
  return { bin, argsFile };
}

describe('the terraform plan runner', () => {
  test.each([0, 1, 2])('returns exit %i with the output, never throwing for it', async (code) => {
    const { bin, argsFile } = fakeTerraform();
    const run = terraformPlanRunner(30_000, { PATH: `${bin}:/usr/bin:/bin`, FAKE_EXIT: String(code) });
    const outcome = await run('cdktf.out/stacks/unicornhealth-dev');
    expect(outcome.exitCode).toBe(code);
    expect(outcome.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
    expect(readFileSync(argsFile, 'utf8').trim().split('\n')).toEqual([
      '-chdir=cdktf.out/stacks/unicornhealth-dev',
      'plan',
      '-detailed-exitcode',
      '-lock=false',
      '-input=false',
      '-no-color',
    ]);
  });

  test('no terraform on PATH is an environment error (exit 3) saying how to install it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-terraform-'));
    await expect(terraformPlanRunner(30_000, { PATH: empty })('x')).rejects.toMatchObject({
      kind: 'environment',
      exitCode: 3,
      message: expect.stringContaining('install Terraform'),
    });
  });
});

describe('plan output', () => {
  test('the summary line, with and without imports', () => {
    expect(parsePlanSummary('...\nPlan: 3 to add, 0 to change, 1 to destroy.\n')).toEqual({ add: 3, change: 0, destroy: 1, import: 0 });
    const withImport = parsePlanSummary('Plan: 2 to import, 0 to add, 1 to change, 0 to destroy.');
    expect(withImport).toEqual({ import: 2, add: 0, change: 1, destroy: 0 });
    expect(describeSummary(withImport!)).toBe('2 to import, 0 to add, 1 to change, 0 to destroy');
    expect(parsePlanSummary('Changes to Outputs:\n  ~ region = "us-east-1" -> "us-east-2"')).toBeUndefined();
  });

  test("the error lines of a failed plan, without terraform's box drawing", () => {
    const stderr =
      '╷\n│ Error: No valid credential sources found\n│ \n│ Please see https://registry.terraform.io/providers/hashicorp/aws\n╵\n';
    expect(planError({ exitCode: 1, stdout: '', stderr })).toBe('Error: No valid credential sources found');
    expect(planError({ exitCode: 1, stdout: 'a\nb\nc\nd', stderr: '' })).toBe('b c d');
  });
});
