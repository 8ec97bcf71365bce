import { appendFileSync, readFileSync } from 'node:fs';
import { InputError, UsageError } from '../cli/errors';
import { Fetch, IssuesApi, restIssuesApi } from './api';

/**
 * What a step of a GitHub Actions job knows from its environment: the repository, a token, the API and the run.
 * Read in one place so that the commands name exactly the variable that is missing.
 */
export interface ActionsContext {
  readonly repository: string;
  readonly token: string;
  readonly apiUrl: string;
  /** Link to this workflow run, for notes that say where the artifacts are. */
  readonly runUrl: string | undefined;
}

export function actionsContext(env: NodeJS.ProcessEnv): ActionsContext {
  const repository = env.GITHUB_REPOSITORY;
  if (!repository || !/^[^/\s]+\/[^/\s]+$/.test(repository)) {
    throw new UsageError('GITHUB_REPOSITORY (owner/name) is not set: run this in a GitHub Actions step, or set it');
  }
  const token = env.GITHUB_TOKEN;
  if (!token) throw new UsageError('GITHUB_TOKEN is not set: pass it to the step (env: GITHUB_TOKEN: ${{ github.token }})');
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  return {
    repository,
    token,
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    runUrl: env.GITHUB_RUN_ID ? `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
  };
}

/** The REST client of the context's repository, with the global `fetch` unless another is given. */
export function issuesApiFor(context: ActionsContext, fetch: Fetch = globalThis.fetch): IssuesApi {
  return restIssuesApi(fetch, { repository: context.repository, token: context.token, apiUrl: context.apiUrl });
}

/** The pull request the run is about: `--pull-request`, else the event payload's (`GITHUB_EVENT_PATH`). */
export function pullRequestNumber(given: number | undefined, env: NodeJS.ProcessEnv): number {
  if (given !== undefined) return given;
  const path = env.GITHUB_EVENT_PATH;
  if (!path) throw new UsageError('no pull request: give --pull-request N, or run in a pull_request workflow (GITHUB_EVENT_PATH)');
  let event: { pull_request?: { number?: unknown }; number?: unknown };
  try {
    event = JSON.parse(readFileSync(path, 'utf8')) as typeof event;
  } catch (error) {
    throw new InputError(`GITHUB_EVENT_PATH ${path}: ${(error as Error).message}`);
  }
  const number = event.pull_request?.number ?? event.number;
  if (typeof number !== 'number') throw new InputError(`the event in ${path} is not about a pull request: give --pull-request N`);
  return number;
}

/** Sets step outputs (`$GITHUB_OUTPUT`), when the step has that file. */
export function setOutputs(env: NodeJS.ProcessEnv, outputs: Readonly<Record<string, string>>): void {
  if (!env.GITHUB_OUTPUT) return;
  appendFileSync(
    env.GITHUB_OUTPUT,
    Object.entries(outputs)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(''),
  );
}
