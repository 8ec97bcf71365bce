import { Fetch, FetchResponse, Issue, IssueComment, IssuesApi } from '../../../scripts/github/api';

/** An in-memory repository's issues, pull requests, labels and comments, with a log of every write. */
export class FakeGitHub implements IssuesApi {
  readonly labels = new Map<number, string[]>();
  readonly comments = new Map<number, IssueComment[]>();
  readonly issues: (Issue & { pullRequest?: boolean })[] = [];
  readonly writes: string[] = [];
  private nextId = 1000;

  listLabels = async (issue: number): Promise<string[]> => [...(this.labels.get(issue) ?? [])];

  listComments = async (issue: number): Promise<IssueComment[]> => [...(this.comments.get(issue) ?? [])];

  createComment = async (issue: number, body: string): Promise<IssueComment> => {
    const comment = { id: (this.nextId += 1), body };
    this.comments.set(issue, [...(this.comments.get(issue) ?? []), comment]);
    this.writes.push(`create comment ${comment.id} on #${issue}`);
    return comment;
  };

  updateComment = async (id: number, body: string): Promise<IssueComment> => {
    for (const [issue, list] of this.comments) {
      const index = list.findIndex((c) => c.id === id);
      if (index >= 0) {
        list[index] = { id, body };
        this.writes.push(`update comment ${id} on #${issue}`);
        return list[index];
      }
    }
    throw new Error(`no comment ${id}`);
  };

  listIssues = async (label: string, state: 'open' | 'all'): Promise<Issue[]> =>
    this.issues.filter((i) => !i.pullRequest && i.labels.includes(label) && (state === 'all' || i.state === 'open'));

  createIssue = async (issue: { title: string; body: string; labels: readonly string[] }): Promise<Issue> => {
    const created: Issue = { number: this.issues.length + 1, state: 'open', url: '', ...issue, labels: [...issue.labels] };
    this.issues.push(created);
    this.writes.push(`create issue #${created.number}`);
    return created;
  };

  updateIssue = async (number: number, patch: Partial<Pick<Issue, 'title' | 'body' | 'state'>>): Promise<Issue> => {
    const index = this.issues.findIndex((i) => i.number === number);
    if (index < 0) throw new Error(`no issue #${number}`);
    this.issues[index] = { ...this.issues[index], ...patch };
    this.writes.push(`update issue #${number}${patch.state ? ` (${patch.state})` : ''}`);
    return this.issues[index];
  };
}

const response = (status: number, body: unknown, link?: string): FetchResponse => ({
  ok: status >= 200 && status < 300,
  status,
  headers: { get: (name: string) => (name.toLowerCase() === 'link' ? (link ?? null) : null) },
  json: async () => body,
  text: async () => JSON.stringify(body),
});

/**
 * A `fetch` that answers the REST routes the workflows use from a `FakeGitHub`, as GitHub would (labels as objects,
 * pull requests among issues), one item per page so that every list is followed through its `Link` headers.
 * Records each request's method, URL and headers.
 */
export function fakeGitHubFetch(
  github: FakeGitHub,
  repository = 'unicornhealth/data-platform',
): Fetch & { requests: { method: string; url: string; headers: Record<string, string> }[] } {
  const requests: { method: string; url: string; headers: Record<string, string> }[] = [];
  const base = `https://api.github.com/repos/${repository}`;
  const paged = (url: URL, items: unknown[]): FetchResponse => {
    const page = Number(url.searchParams.get('page') ?? '1');
    const next = new URL(url);
    next.searchParams.set('page', String(page + 1));
    return response(200, items.slice(page - 1, page), page < items.length ? `<${next.toString()}>; rel="next"` : undefined);
  };
  const fetch = async (input: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<FetchResponse> => {
    requests.push({ method: init.method, url: input, headers: init.headers });
    if (!input.startsWith(base)) return response(404, { message: 'Not Found' });
    const url = new URL(input);
    const path = url.pathname.slice(new URL(base).pathname.length);
    const body = init.body ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    let match: RegExpExecArray | null;
    if (init.method === 'GET' && (match = /^\/issues\/(\d+)\/labels$/.exec(path)))
      return paged(
        url,
        (await github.listLabels(Number(match[1]))).map((name) => ({ name })),
      );
    if (init.method === 'GET' && (match = /^\/issues\/(\d+)\/comments$/.exec(path)))
      return paged(url, await github.listComments(Number(match[1])));
    if (init.method === 'POST' && (match = /^\/issues\/(\d+)\/comments$/.exec(path)))
      return response(201, await github.createComment(Number(match[1]), body.body as string));
    if (init.method === 'PATCH' && (match = /^\/issues\/comments\/(\d+)$/.exec(path)))
      return response(200, await github.updateComment(Number(match[1]), body.body as string));
    if (init.method === 'GET' && path === '/issues') {
      const label = url.searchParams.get('labels') ?? '';
      const state = url.searchParams.get('state') === 'all' ? 'all' : 'open';
      const all = github.issues.filter((i) => i.labels.includes(label) && (state === 'all' || i.state === 'open'));
      return paged(
        url,
        all.map((i) => ({
          ...i,
          labels: i.labels.map((name) => ({ name })),
          ...(i.pullRequest ? { pull_request: {} } : {}),
        })),
      );
    }
    if (init.method === 'POST' && path === '/issues')
      return response(201, await github.createIssue(body as { title: string; body: string; labels: string[] }));
    if (init.method === 'PATCH' && (match = /^\/issues\/(\d+)$/.exec(path)))
      return response(200, await github.updateIssue(Number(match[1]), body));
    return response(404, { message: 'Not Found' });
  };
  return Object.assign(fetch, { requests });
}
