import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandIo, runCli } from '../../../scripts/cli/command';
import { GITHUB_COMMANDS, useFetch } from '../../../scripts/github/commands';
import { DRIFT_LABEL } from '../../../scripts/github/drift';
import { COMMENT_MARKER } from '../../../scripts/policy/plan-summary';
import { FakeGitHub, fakeGitHubFetch } from './fake-github';

describe('the workflow commands (tsx scripts/github/run.ts)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'github-commands-'));
  let github: FakeGitHub;
  beforeEach(() => {
    github = new FakeGitHub();
    useFetch(fakeGitHubFetch(github));
  });
  afterAll(() => {
    useFetch(undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  const event = join(scratch, 'event.json');
  writeFileSync(event, JSON.stringify({ action: 'synchronize', pull_request: { number: 21, labels: [] } }));
  const outputs = join(scratch, 'outputs');
  const actionsEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    GITHUB_REPOSITORY: 'unicornhealth/data-platform',
    GITHUB_TOKEN: 'token',
    GITHUB_EVENT_PATH: event,
    GITHUB_OUTPUT: outputs,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '42',
    ...extra,
  });
  async function run(args: string[], env: NodeJS.ProcessEnv = actionsEnv()) {
    let stdout = '';
    let stderr = '';
    const io: CommandIo = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env };
    const code = await runCli(GITHUB_COMMANDS, args, io);
    return { code, stdout, stderr };
  }

  test('stateful-destroy-approval reads the current labels, not the payload, and sets the step output', async () => {
    writeFileSync(outputs, '');
    // The payload has no label; the pull request has it now.
    github.labels.set(21, ['allow-stateful-destroy']);
    const { code, stdout } = await run(['stateful-destroy-approval']);
    expect(code).toBe(0);
    expect(stdout).toContain('pull request #21: allow-stateful-destroy is present');
    expect(readFileSync(outputs, 'utf8')).toBe('approved=true\n');
    github.labels.set(21, []);
    writeFileSync(outputs, '');
    expect((await run(['stateful-destroy-approval', '--pull-request', '21'])).code).toBe(0);
    expect(readFileSync(outputs, 'utf8')).toBe('approved=false\n');
  });

  test('outside a workflow the missing variable is named (exit 2)', async () => {
    const { code, stderr } = await run(['stateful-destroy-approval'], actionsEnv({ GITHUB_TOKEN: '' }));
    expect(code).toBe(2);
    expect(stderr).toContain('GITHUB_TOKEN is not set');
  });

  test('upsert-comment creates the comment, then updates it in place', async () => {
    const body = join(scratch, 'comment.md');
    writeFileSync(body, `${COMMENT_MARKER}\nfirst`);
    expect((await run(['upsert-comment', '--body', body])).stdout).toMatch(/comment \d+ on #21: created/);
    writeFileSync(body, `${COMMENT_MARKER}\nsecond`);
    expect((await run(['upsert-comment', '--body', body, '--json'])).stdout).toContain('"action": "updated"');
    expect((await github.listComments(21)).map((c) => c.body)).toEqual([`${COMMENT_MARKER}\nsecond`]);
  });

  test('drift-issue opens the issue for drift, reports a missing stack as an error (exit 1), and closes it when in sync', async () => {
    const results = join(scratch, 'drift');
    const write = (stack: string, code: number, text: string): void => {
      mkdirSync(join(results, stack), { recursive: true });
      writeFileSync(join(results, stack, 'exitcode'), `${code}\n`);
      writeFileSync(join(results, stack, 'plan.txt'), text);
    };
    write('unicornhealth-dev', 2, 'Plan: 1 to add, 0 to change, 0 to destroy.');
    const drift = await run(['drift-issue', '--results', results]);
    expect(drift.code).toBe(0);
    expect(drift.stdout).toContain('drift issue #1: opened');
    expect(github.issues[0]).toMatchObject({ labels: [DRIFT_LABEL], state: 'open' });
    expect(github.issues[0].body).toContain('[this run](https://github.com/unicornhealth/data-platform/actions/runs/42)');

    const missing = await run(['drift-issue', '--results', results, '--expect', 'unicornhealth-dev,unicornhealth-prod', '--json']);
    expect(missing.code).toBe(1);
    const document = JSON.parse(missing.stdout);
    expect(document.stacks).toEqual([
      { stack: 'unicornhealth-dev', state: 'drift', exitCode: 2 },
      { stack: 'unicornhealth-prod', state: 'error', exitCode: 1 },
    ]);
    expect(document.issue).toEqual({ action: 'updated', issue: 1 });

    write('unicornhealth-dev', 0, 'No changes.');
    write('unicornhealth-prod', 0, 'No changes.');
    const synced = await run(['drift-issue', '--results', results, '--expect', 'unicornhealth-dev,unicornhealth-prod']);
    expect(synced.code).toBe(0);
    expect(synced.stdout).toContain('drift issue #1: closed');
  });

  test('wait-for-port succeeds on a listening port and fails with exit 3 and the log when nothing listens', async () => {
    const server: Server = await new Promise((resolve) => {
      const s = createServer((socket) => socket.end()).listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (server.address() as { port: number }).port;
    try {
      expect((await run(['wait-for-port', '--port', String(port)])).stdout).toContain(`127.0.0.1:${port} accepts connections`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const log = join(scratch, 'port-forward.log');
    writeFileSync(log, 'An error occurred (TargetNotConnected) when calling the StartSession operation');
    const failed = await run(['wait-for-port', '--port', String(port), '--timeout', '1', '--log', log]);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain(`127.0.0.1:${port}: nothing listened within 1 s`);
    expect(failed.stderr).toContain('TargetNotConnected');
  });

  test('every command has --help', async () => {
    for (const entry of GITHUB_COMMANDS) {
      const { code, stdout } = await run([entry.name, '--help'], {});
      expect(code).toBe(0);
      expect(stdout).toContain(`npm run ${entry.name} --`);
    }
  });
});
