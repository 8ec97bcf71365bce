import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../../helpers/cli';

/** The command's option handling only: planning itself needs terraform and is tested in offline-plan.test.ts. */
describe('npm run plan-offline (the command)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plan-offline-command-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('--help lists --stacks-dir with its default, the repeatable --stack, --keep and the exit codes', async () => {
    const { code, stdout } = await runInProcess('plan-offline', ['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--stacks-dir <dir>\s+synthesized stacks \(default: "cdktf\.out\/stacks"\)/);
    expect(stdout).toMatch(/--stack <name>\s+plan only this stack \(repeatable\)/);
    expect(stdout).toMatch(/--keep\s+keep the working folders/);
    expect(stdout).toMatch(/Exit codes: 0 success/);
  });

  test.each([
    ['a missing folder', () => join(dir, 'no-such-folder'), 'does not exist'],
    [
      'a file',
      () => {
        const file = join(dir, 'cdk.tf.json');
        writeFileSync(file, '{}');
        return file;
      },
      'is a file, not a folder',
    ],
  ])('--stacks-dir to %s is a usage error (exit 2) naming it, before terraform runs', async (_case, path, problem) => {
    const stacksDir = path();
    const { code, stdout, stderr } = await runInProcess('plan-offline', ['--stacks-dir', stacksDir]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${stacksDir} ${problem}`);
    expect(stdout).toBe('');
  });

  test('with --json the refusal is one JSON document', async () => {
    const { code, stdout } = await runInProcess('plan-offline', ['--stacks-dir', join(dir, 'no-such-folder'), '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, command: 'plan-offline', error: { kind: 'usage', exitCode: 2 } });
  });
});
