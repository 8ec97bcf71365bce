import { EnvironmentError } from '../cli/errors';

/** A comment on an issue or pull request, as far as the workflows need it. */
export interface IssueComment {
  readonly id: number;
  readonly body: string;
}

/** An issue, as far as the workflows need it. */
export interface Issue {
  readonly number: number;
  readonly title: string;
  readonly body: string;
  readonly state: 'open' | 'closed';
  readonly labels: readonly string[];
  readonly url: string;
}

/**
 * The few GitHub REST calls the workflows make, on one repository. The logic takes this interface, so tests give it
 * an in-memory fake and the workflows the REST client below.
 */
export interface IssuesApi {
  /** The labels an issue or pull request has now (not those of the event that started the run). */
  listLabels(issue: number): Promise<string[]>;
  listComments(issue: number): Promise<IssueComment[]>;
  createComment(issue: number, body: string): Promise<IssueComment>;
  updateComment(id: number, body: string): Promise<IssueComment>;
  /** Issues (pull requests left out) with a label, open or all. */
  listIssues(label: string, state: 'open' | 'all'): Promise<Issue[]>;
  createIssue(issue: { title: string; body: string; labels: readonly string[] }): Promise<Issue>;
  updateIssue(
    number: number,
    patch: { title?: string; body?: string; state?: 'open' | 'closed'; state_reason?: 'completed' | 'reopened' },
  ): Promise<Issue>;
}

/** What `fetch` needs to be for the client: the global one, or a fake in tests. */
export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<FetchResponse>;

export interface FetchResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export interface RestOptions {
  /** `owner/name`. */
  readonly repository: string;
  readonly token: string;
  /** @default https://api.github.com */
  readonly apiUrl?: string;
}

/** The URL of the next page from a `Link` header, if there is one. */
export function nextPage(link: string | null): string | undefined {
  return link
    ?.split(',')
    .map((part) => /<([^>]+)>\s*;\s*rel="next"/.exec(part)?.[1])
    .find(Boolean);
}

/** The fields of GitHub's answers that are read here. */
interface RawLabel {
  readonly name: string;
}
interface RawComment {
  readonly id: number;
  readonly body?: string | null;
}
interface RawIssue {
  readonly number: number;
  readonly title?: string | null;
  readonly body?: string | null;
  readonly state: 'open' | 'closed';
  readonly labels?: readonly (string | RawLabel)[];
  readonly html_url?: string;
  /** Present when the "issue" is a pull request. */
  readonly pull_request?: object;
}

const toIssue = (raw: RawIssue): Issue => ({
  number: raw.number,
  title: raw.title ?? '',
  body: raw.body ?? '',
  state: raw.state,
  labels: (raw.labels ?? []).map((label) => (typeof label === 'string' ? label : label.name)),
  url: raw.html_url ?? '',
});
const toComment = (raw: RawComment): IssueComment => ({ id: raw.id, body: raw.body ?? '' });

/** `IssuesApi` over the GitHub REST API with `fetch`: every list followed through its pages. */
export function restIssuesApi(fetch: Fetch, options: RestOptions): IssuesApi {
  const base = `${(options.apiUrl ?? 'https://api.github.com').replace(/\/$/, '')}/repos/${options.repository}`;
  const headers = {
    accept: 'application/vnd.github+json',
    authorization: `Bearer ${options.token}`,
    'x-github-api-version': '2022-11-28',
    'user-agent': 'unicornhealth-workflows',
  };
  const send = async (method: string, url: string, body?: object): Promise<FetchResponse> => {
    let response: FetchResponse;
    try {
      response = await fetch(url, {
        method,
        headers: body ? { ...headers, 'content-type': 'application/json' } : headers,
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new EnvironmentError(`GitHub API ${method} ${url} failed: ${(error as Error).message}`);
    }
    if (!response.ok) {
      const detail = (await response.text().catch(() => '')).slice(0, 500);
      throw new EnvironmentError(`GitHub API ${method} ${url} answered ${response.status}: ${detail}`);
    }
    return response;
  };
  const json = async <T>(method: string, path: string, body?: object): Promise<T> =>
    (await send(method, `${base}${path}`, body)).json() as Promise<T>;
  const all = async <T>(path: string): Promise<T[]> => {
    const items: T[] = [];
    for (let url: string | undefined = `${base}${path}${path.includes('?') ? '&' : '?'}per_page=100`; url; ) {
      const response = await send('GET', url);
      items.push(...((await response.json()) as T[]));
      url = nextPage(response.headers.get('link'));
    }
    return items;
  };
  return {
    listLabels: async (issue) => (await all<RawLabel>(`/issues/${issue}/labels`)).map((label) => label.name),
    listComments: async (issue) => (await all<RawComment>(`/issues/${issue}/comments`)).map(toComment),
    createComment: async (issue, body) => toComment(await json<RawComment>('POST', `/issues/${issue}/comments`, { body })),
    updateComment: async (id, body) => toComment(await json<RawComment>('PATCH', `/issues/comments/${id}`, { body })),
    listIssues: async (label, state) =>
      (await all<RawIssue>(`/issues?state=${state}&labels=${encodeURIComponent(label)}`)).filter((raw) => !raw.pull_request).map(toIssue),
    createIssue: async (issue) => toIssue(await json<RawIssue>('POST', '/issues', issue)),
    updateIssue: async (number, patch) => toIssue(await json<RawIssue>('PATCH', `/issues/${number}`, patch)),
  };
}
