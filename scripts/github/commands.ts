import { existsSync, readFileSync } from 'node:fs';
import { Option } from '@commander-js/extra-typings';
import { AnyCommand, CommandEntry, defineCommand } from '../cli/command';
import { EnvironmentError, InputError } from '../cli/errors';
import { existingDirectory, existingFile, integer } from '../cli/options';
import { COMMENT_MARKER } from '../policy/plan-summary';
import { Fetch } from './api';
import { upsertComment } from './comments';
import { actionsContext, issuesApiFor, pullRequestNumber, setOutputs } from './context';
import { overallState, readDriftResults, reconcileDriftIssue, stateOf, withMissing } from './drift';
import { STATEFUL_DESTROY_LABEL, statefulDestroyApproval } from './labels';
import { waitForPort } from './port-forward';

/** The `fetch` the commands use; tests replace it to answer as GitHub would. */
let fetchForCommands: Fetch | undefined;
export function useFetch(fetch: Fetch | undefined): void {
  fetchForCommands = fetch;
}

const pullRequestOption = () =>
  new Option('--pull-request <n>', 'pull request number (default: the one of the event, GITHUB_EVENT_PATH)').argParser(
    integer({ min: 1, max: 1_000_000_000 }),
  );

const approvalCommand = defineCommand({
  name: 'stateful-destroy-approval',
  description: `Whether the pull request carries the ${STATEFUL_DESTROY_LABEL} label now, read through the GitHub API (step output "approved")`,
  options: (command) => command.addOption(pullRequestOption()),
  help: `
Reads the labels the pull request has at this moment, not those in the event payload, so a re-run sees a label
added after the run started. Sets the step output approved=true|false (GITHUB_OUTPUT). Needs GITHUB_REPOSITORY and
GITHUB_TOKEN (pull-requests: read).`,
  async run(options, { env }) {
    const context = actionsContext(env);
    const pullRequest = pullRequestNumber(options.pullRequest, env);
    const { approved, labels } = await statefulDestroyApproval(issuesApiFor(context, fetchForCommands), pullRequest);
    setOutputs(env, { approved: String(approved) });
    return {
      ok: true,
      json: { pullRequest, approved, labels },
      text: `pull request #${pullRequest}: ${STATEFUL_DESTROY_LABEL} is ${approved ? 'present' : 'absent'} (labels: ${labels.join(', ') || 'none'})`,
    };
  },
});

const commentCommand = defineCommand({
  name: 'upsert-comment',
  description: 'Create or update, in place, the one pull-request comment that starts with a marker',
  options: (command) =>
    command
      .addOption(
        new Option('--body <file>', 'the comment (Markdown), starting with the marker').argParser(existingFile).makeOptionMandatory(),
      )
      .addOption(new Option('--marker <text>', 'what the comment starts with').default(COMMENT_MARKER))
      .addOption(pullRequestOption()),
  help: `
Needs GITHUB_REPOSITORY and GITHUB_TOKEN (pull-requests: write).`,
  async run(options, { env }) {
    const context = actionsContext(env);
    const pullRequest = pullRequestNumber(options.pullRequest, env);
    const outcome = await upsertComment(
      issuesApiFor(context, fetchForCommands),
      pullRequest,
      options.marker,
      readFileSync(options.body, 'utf8'),
    );
    return { ok: true, json: { pullRequest, ...outcome }, text: `comment ${outcome.id} on #${pullRequest}: ${outcome.action}` };
  },
});

const driftCommand = defineCommand({
  name: 'drift-issue',
  description: 'Open, update or close the one drift issue from the plans of every stack',
  options: (command) =>
    command
      .addOption(
        new Option('--results <dir>', 'one folder per stack with exitcode (of plan -detailed-exitcode) and plan.txt')
          .argParser(existingDirectory)
          .makeOptionMandatory(),
      )
      .addOption(new Option('--expect <stacks>', 'comma-separated stacks that must have a result (a missing one is an error)')),
  help: `
Opens the issue (label "drift") while any stack drifts or cannot be planned, updates it on later runs, and closes it
once every stack is in sync. Exit 1 when a plan failed (the state is unknown), 0 otherwise: drift is reported by the
issue. Needs GITHUB_REPOSITORY and GITHUB_TOKEN (issues: write).`,
  async run(options, { env }) {
    const context = actionsContext(env);
    const expected = (options.expect ?? '')
      .split(',')
      .map((stack) => stack.trim())
      .filter(Boolean);
    const results = withMissing(readDriftResults(options.results), expected);
    if (results.length === 0)
      throw new InputError(`${options.results} holds no <stack>/exitcode and no stack is expected: nothing to report`);
    const outcome = await reconcileDriftIssue(issuesApiFor(context, fetchForCommands), results, {
      runUrl: context.runUrl,
      checkedAt: new Date(),
    });
    const state = overallState(results);
    return {
      ok: state !== 'error',
      json: { state, stacks: results.map((r) => ({ stack: r.stack, state: stateOf(r), exitCode: r.exitCode })), issue: outcome },
      text: [
        ...results.map((r) => `${r.stack}: ${stateOf(r)}`),
        outcome.action === 'none' ? 'every stack is in sync; no drift issue is open' : `drift issue #${outcome.issue}: ${outcome.action}`,
      ].join('\n'),
    };
  },
});

const waitCommand = defineCommand({
  name: 'wait-for-port',
  description: 'Wait, bounded, until a local port forward accepts connections',
  options: (command) =>
    command
      .addOption(new Option('--port <port>', 'local port').argParser(integer({ min: 1, max: 65_535 })).makeOptionMandatory())
      .addOption(new Option('--host <host>', 'local address').default('127.0.0.1'))
      .addOption(new Option('--timeout <seconds>', 'give up after').default(60).argParser(integer({ min: 1, max: 600 })))
      .addOption(
        new Option('--pid <pid>', 'the process that opens the port: stop waiting once it has exited').argParser(
          integer({ min: 1, max: 4_194_304 }),
        ),
      )
      .addOption(new Option('--log <file>', "that process's output, shown when the port never opens")),
  help: `
Exit 3 when the port does not accept connections in time or the process exits first.`,
  async run(options) {
    const outcome = await waitForPort({ host: options.host, port: options.port, timeoutMs: options.timeout * 1000, pid: options.pid });
    const where = `${options.host}:${options.port}`;
    if (!outcome.listening) {
      const log = options.log && existsSync(options.log) ? `\n${readFileSync(options.log, 'utf8').slice(-4_000)}` : '';
      const why = outcome.reason === 'timeout' ? `nothing listened within ${options.timeout} s` : `process ${options.pid} exited first`;
      throw new EnvironmentError(`${where}: ${why}${log}`);
    }
    return { ok: true, json: { host: options.host, port: options.port, waitedMs: outcome.waitedMs }, text: `${where} accepts connections` };
  },
});

const entry = (command: AnyCommand, summary: string): CommandEntry => ({
  name: command.name,
  summary,
  load: () => Promise.resolve(command),
});

/** What the workflows run (`tsx scripts/github/run.ts <command>`), through the project's one CLI layer. */
export const GITHUB_COMMANDS: readonly CommandEntry[] = [
  entry(approvalCommand, `Whether the pull request has the ${STATEFUL_DESTROY_LABEL} label now`),
  entry(commentCommand, 'Create or update the one pull-request comment with a marker'),
  entry(driftCommand, 'Open, update or close the one drift issue'),
  entry(waitCommand, 'Wait until a port forward accepts connections'),
];
