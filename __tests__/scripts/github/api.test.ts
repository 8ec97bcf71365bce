import { EnvironmentError } from '../../../scripts/cli/errors';
import { FetchResponse, nextPage, restIssuesApi } from '../../../scripts/github/api';
import { FakeGitHub, fakeGitHubFetch } from './fake-github';

describe('the GitHub REST client', () => {
  test('follows the next link of a Link header, and stops without one', () => {
    const link =
      '<https://api.github.com/repositories/1/issues?page=3>; rel="next", <https://api.github.com/repositories/1/issues?page=9>; rel="last"';
    expect(nextPage(link)).toBe('https://api.github.com/repositories/1/issues?page=3');
    expect(nextPage('<https://api.github.com/x?page=1>; rel="prev"')).toBeUndefined();
    expect(nextPage(null)).toBeUndefined();
  });

  test('reads every page of a list, 100 per page, with the token and API version in the headers', async () => {
    const github = new FakeGitHub();
    github.labels.set(7, ['documentation', 'allow-stateful-destroy', 'infrastructure']);
    const fetch = fakeGitHubFetch(github);
    const api = restIssuesApi(fetch, { repository: 'unicornhealth/data-platform', token: 't0ken' });
    expect(await api.listLabels(7)).toEqual(['documentation', 'allow-stateful-destroy', 'infrastructure']);
    // The fake answers one item per page: three pages, each asked for.
    expect(fetch.requests.map((r) => new URL(r.url).searchParams.get('page') ?? '1')).toEqual(['1', '2', '3']);
    expect(new URL(fetch.requests[0].url).searchParams.get('per_page')).toBe('100');
    expect(fetch.requests[0].headers).toMatchObject({ authorization: 'Bearer t0ken', 'x-github-api-version': '2022-11-28' });
  });

  test('leaves pull requests out of the issues with a label', async () => {
    const github = new FakeGitHub();
    await github.createIssue({ title: 'drift', body: 'x', labels: ['drift'] });
    github.issues.push({ number: 9, title: 'a PR', body: '', state: 'open', labels: ['drift'], url: '', pullRequest: true });
    const api = restIssuesApi(fakeGitHubFetch(github), { repository: 'unicornhealth/data-platform', token: 't' });
    expect((await api.listIssues('drift', 'open')).map((i) => i.number)).toEqual([1]);
  });

  test('an answer that is not a success is an environment error with the status and GitHub message', async () => {
    const forbidden = async (): Promise<FetchResponse> => ({
      ok: false,
      status: 403,
      headers: { get: () => null },
      json: async () => ({}),
      text: async () => '{"message":"Resource not accessible by integration"}',
    });
    const api = restIssuesApi(forbidden, { repository: 'o/r', token: 't' });
    const failure = api.createComment(1, 'x');
    await expect(failure).rejects.toBeInstanceOf(EnvironmentError);
    await expect(failure).rejects.toThrow(
      /POST https:\/\/api\.github\.com\/repos\/o\/r\/issues\/1\/comments answered 403: .*not accessible/,
    );
  });

  test('a network failure is an environment error naming the call', async () => {
    const api = restIssuesApi(
      async () => {
        throw new Error('getaddrinfo ENOTFOUND api.github.com');
      },
      { repository: 'o/r', token: 't' },
    );
    await expect(api.listLabels(1)).rejects.toThrow('GitHub API GET https://api.github.com/repos/o/r/issues/1/labels?per_page=100 failed');
  });
});
