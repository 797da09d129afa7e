import type { Provider } from '../../../events';
import { HttpCommitHistory, MAX_PULL_REQUEST_COMMITS } from '../../../shared/history/reader';
import type { HttpClient, HttpRequest, HttpResponse } from '../../../shared/status/http';

const SHA = 'c'.repeat(40);
const TOKEN = 'tok-77pr-secret';

class ScriptedHttp implements HttpClient {
  readonly sent: HttpRequest[] = [];
  constructor(private readonly answer: (request: HttpRequest) => HttpResponse) {}
  async send(request: HttpRequest): Promise<HttpResponse> {
    this.sent.push(request);
    return this.answer(request);
  }
}
const json = (body: unknown, status = 200): HttpResponse => ({ status, headers: {}, body: JSON.stringify(body) });
const reader = (http: HttpClient, now?: () => number) =>
  new HttpCommitHistory({ http, sleep: async () => {}, retry: { maxAttempts: 1 }, ...(now ? { now } : {}) });
const target = (provider: Provider, repository: string, apiUrl: string) => ({
  provider,
  apiUrl,
  token: TOKEN,
  repository,
});

describe('the merged pull requests behind a commit, through each provider’s API', () => {
  it('GitHub: lists the commit’s pull requests, keeps the merged ones and reads each whole for merged_by', async () => {
    const http = new ScriptedHttp((r) =>
      r.url.includes('/commits/')
        ? json([
            // As "List pull requests associated with a commit" answers: no merged_by in the list.
            {
              number: 42,
              title: 'Faster widgets',
              html_url: 'https://github.com/acme/widgets/pull/42',
              state: 'closed',
              user: { login: 'carol', id: 3 },
              merged_at: '2026-11-20T10:00:00Z',
            },
            { number: 43, title: 'Still open', state: 'open', user: { login: 'mallory', id: 9 }, merged_at: null },
          ])
        : json({
            number: 42,
            title: 'Faster widgets',
            user: { login: 'carol', id: 3 },
            merged_at: '2026-11-20T10:00:00Z',
            merged_by: { login: 'alice', id: 1 },
          }),
    );
    const pulls = await reader(http).mergedPullRequests(target('github', 'acme/widgets', 'https://api.github.com'), [
      SHA,
    ]);
    expect(http.sent.map((r) => [r.method, r.url])).toEqual([
      ['GET', `https://api.github.com/repos/acme/widgets/commits/${SHA}/pulls?per_page=100`],
      ['GET', 'https://api.github.com/repos/acme/widgets/pulls/42'],
    ]);
    expect(http.sent[0]?.headers).toMatchObject({ authorization: `Bearer ${TOKEN}` });
    expect(pulls).toEqual([
      {
        number: '42',
        title: 'Faster widgets',
        url: 'https://github.com/acme/widgets/pull/42',
        openedBy: { id: '3', username: 'carol', email: null },
        mergedBy: { id: '1', username: 'alice', email: null },
      },
    ]);
  });

  it('GitLab: the commit’s merge requests, merged ones only, author and merge_user', async () => {
    const http = new ScriptedHttp(() =>
      json([
        {
          id: 900,
          iid: 7,
          title: 'Faster widgets',
          state: 'merged',
          web_url: 'https://gitlab.com/acme/platform/widgets/-/merge_requests/7',
          author: { id: 30, username: 'carol' },
          merge_user: { id: 10, username: 'alice' },
          merged_by: { id: 10, username: 'alice' },
        },
        {
          id: 901,
          iid: 8,
          title: 'Closed',
          state: 'closed',
          author: { id: 90, username: 'mallory' },
          merge_user: null,
        },
      ]),
    );
    const pulls = await reader(http).mergedPullRequests(
      target('gitlab', 'acme/platform/widgets', 'https://gitlab.com/api/v4'),
      [SHA],
    );
    expect(http.sent[0]?.url).toBe(
      `https://gitlab.com/api/v4/projects/acme%2Fplatform%2Fwidgets/repository/commits/${SHA}/merge_requests?per_page=100`,
    );
    expect(pulls).toEqual([
      expect.objectContaining({
        number: '7',
        openedBy: { id: '30', username: 'carol', email: null },
        mergedBy: { id: '10', username: 'alice', email: null },
      }),
    ]);
  });

  it.each(['gitea', 'forgejo'] as const)('%s: the one pull request of the commit; 404 means none', async (provider) => {
    const http = new ScriptedHttp(() =>
      json({
        id: 5,
        number: 12,
        title: 'Faster widgets',
        html_url: 'https://git.example.com/acme/widgets/pulls/12',
        merged: true,
        user: { id: 3, login: 'carol', email: 'carol@example.com' },
        merged_by: { id: 1, login: 'alice', email: 'alice@example.com' },
      }),
    );
    const pulls = await reader(http).mergedPullRequests(
      target(provider, 'acme/widgets', 'https://git.example.com/api/v1'),
      [SHA],
    );
    expect(http.sent[0]?.url).toBe(`https://git.example.com/api/v1/repos/acme/widgets/commits/${SHA}/pull`);
    expect(http.sent[0]?.headers).toMatchObject({ authorization: `token ${TOKEN}` });
    expect(pulls).toEqual([
      expect.objectContaining({
        number: '12',
        openedBy: { id: '3', username: 'carol', email: 'carol@example.com' },
        mergedBy: { id: '1', username: 'alice', email: 'alice@example.com' },
      }),
    ]);
    const none = new ScriptedHttp(() => json({ message: 'pull request does not exist' }, 404));
    await expect(
      reader(none).mergedPullRequests(target(provider, 'acme/widgets', 'https://git.example.com/api/v1'), [SHA]),
    ).resolves.toEqual([]);
  });

  it('Bitbucket Cloud: MERGED pull requests containing the commit, author and closed_by', async () => {
    const http = new ScriptedHttp(() =>
      json({
        pagelen: 50,
        values: [
          {
            type: 'pullrequest',
            id: 4,
            title: 'Faster widgets',
            state: 'MERGED',
            author: { uuid: '{c-1}', nickname: 'carol' },
            closed_by: { uuid: '{a-1}', nickname: 'alice' },
            links: { html: { href: 'https://bitbucket.org/acme/widgets/pull-requests/4' } },
          },
          {
            type: 'pullrequest',
            id: 5,
            title: 'Declined',
            state: 'DECLINED',
            author: { uuid: '{m-1}', nickname: 'mallory' },
          },
        ],
        page: 1,
      }),
    );
    const pulls = await reader(http).mergedPullRequests(
      target('bitbucket-cloud', 'acme/widgets', 'https://api.bitbucket.org/2.0'),
      [SHA],
    );
    expect(http.sent[0]?.url).toBe(
      `https://api.bitbucket.org/2.0/repositories/acme/widgets/commit/${SHA}/pullrequests?pagelen=50`,
    );
    expect(pulls).toEqual([
      expect.objectContaining({
        number: '4',
        openedBy: { id: '{c-1}', username: 'carol', email: null },
        mergedBy: { id: '{a-1}', username: 'alice', email: null },
      }),
    ]);
  });

  it('Bitbucket Data Center: MERGED pull requests, their author, and no merger (it does not say)', async () => {
    const http = new ScriptedHttp(() =>
      json({
        size: 1,
        limit: 100,
        isLastPage: true,
        start: 0,
        values: [
          {
            id: 9,
            title: 'Faster widgets',
            state: 'MERGED',
            author: {
              user: { id: 3, name: 'carol', slug: 'carol', emailAddress: 'carol@example.com' },
              role: 'AUTHOR',
            },
          },
        ],
      }),
    );
    const pulls = await reader(http).mergedPullRequests(
      target('bitbucket-dc', 'ACME/widgets', 'https://bitbucket.example.com'),
      [SHA],
    );
    expect(http.sent[0]?.url).toBe(
      `https://bitbucket.example.com/rest/api/latest/projects/ACME/repos/widgets/commits/${SHA}/pull-requests?limit=100`,
    );
    expect(pulls).toEqual([
      expect.objectContaining({
        number: '9',
        openedBy: { id: '3', username: 'carol', email: 'carol@example.com' },
        mergedBy: null,
      }),
    ]);
  });

  it('Azure DevOps: a commit query POSTed to pullrequestquery, completed ones, createdBy and closedBy', async () => {
    const http = new ScriptedHttp(() =>
      json({
        queries: [{ type: 'commit', items: [SHA] }],
        results: [
          {
            [SHA]: [
              {
                pullRequestId: 21,
                title: 'Faster widgets',
                status: 'completed',
                createdBy: { id: 'guid-c', displayName: 'Carol', uniqueName: 'carol@example.com' },
                closedBy: { id: 'guid-a', displayName: 'Alice', uniqueName: 'alice@example.com' },
              },
            ],
          },
        ],
      }),
    );
    const pulls = await reader(http).mergedPullRequests(
      target('azure-devops', 'platform/widgets', 'https://dev.azure.com/acme'),
      [SHA],
    );
    expect(http.sent[0]).toMatchObject({
      method: 'POST',
      url: expect.stringMatching(
        /^https:\/\/dev\.azure\.com\/acme\/platform\/_apis\/git\/repositories\/widgets\/pullrequestquery\?api-version=/,
      ),
    });
    expect(JSON.parse(http.sent[0]?.body ?? '{}')).toEqual({ queries: [{ type: 'commit', items: [SHA] }] });
    expect(pulls).toEqual([
      expect.objectContaining({
        number: '21',
        openedBy: { id: 'guid-c', username: 'carol@example.com', email: 'carol@example.com' },
        mergedBy: { id: 'guid-a', username: 'alice@example.com', email: 'alice@example.com' },
      }),
    ]);
  });

  describe('fails closed', () => {
    const github = target('github', 'acme/widgets', 'https://api.github.com');
    it('on a refused request, with the token redacted', async () => {
      const http = new ScriptedHttp(() => json({ message: `Bad credentials ${TOKEN}` }, 401));
      const error = await reader(http)
        .mergedPullRequests(github, [SHA])
        .catch((e: Error) => e);
      expect(String(error)).toMatch(
        /HistoryError: github did not say which pull requests contain cccccccccccc: HTTP 401/,
      );
      expect(String(error)).not.toContain(TOKEN);
    });
    it('on a 404 where 404 does not mean "none" (GitHub)', async () => {
      const http = new ScriptedHttp(() => json({ message: 'Not Found' }, 404));
      await expect(reader(http).mergedPullRequests(github, [SHA])).rejects.toThrow(/HTTP 404/);
    });
    it(`past ${MAX_PULL_REQUEST_COMMITS} commits, asking nothing`, async () => {
      const http = new ScriptedHttp(() => json([]));
      const many = Array.from({ length: MAX_PULL_REQUEST_COMMITS + 1 }, (_, i) => i.toString(16).padStart(40, '0'));
      await expect(reader(http).mergedPullRequests(github, many)).rejects.toThrow(
        /more than the 100 whose pull requests/,
      );
      expect(http.sent).toEqual([]);
      await expect(reader(http).mergedPullRequests(github, many.slice(1))).resolves.toEqual([]);
    });
    it('when the deadline passes', async () => {
      let t = 0;
      const http = new ScriptedHttp(() => {
        t += 4_000;
        return json([]);
      });
      const shas = ['1', '2', '3'].map((c) => c.repeat(40));
      await expect(reader(http, () => t).mergedPullRequests(github, shas)).rejects.toThrow(/longer than 6 s/);
      expect(http.sent).toHaveLength(2);
    });
    it('when the commit is in more pull requests than one answer holds: a later page could hold the merged one', async () => {
      const gitlab = target('gitlab', 'acme/widgets', 'https://gitlab.com/api/v4');
      // Open decoys newest first; the merged request on a later page.
      const decoys = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ iid: 100 + i, state: 'opened', author: { id: 7, username: 'alice' } }));
      const paged = new ScriptedHttp(() => ({ ...json(decoys(20)), headers: { 'x-next-page': '2' } }));
      await expect(reader(paged).mergedPullRequests(gitlab, [SHA])).rejects.toThrow(
        /commit cccccccccccc is in 100 merge requests or more/,
      );
      // A full page with no paging header is refused too, rather than read as the whole list.
      const full = new ScriptedHttp(() => json(decoys(100)));
      await expect(reader(full).mergedPullRequests(gitlab, [SHA])).rejects.toThrow(/100 merge requests or more/);
      const linked = new ScriptedHttp(() => ({
        ...json([{ number: 1, user: { id: 7, login: 'alice' } }]),
        headers: { link: '<https://api.github.com/repositories/1/commits/c/pulls?page=2>; rel="next"' },
      }));
      await expect(reader(linked).mergedPullRequests(github, [SHA])).rejects.toThrow(
        /commit cccccccccccc is in 100 pull requests or more/,
      );
      // A GitHub answer of exactly 100 with no next page is the whole list.
      const hundred = new ScriptedHttp((r) =>
        r.url.includes('/commits/') ? json(Array.from({ length: 100 }, (_, i) => ({ number: i + 1 }))) : json({}),
      );
      await expect(reader(hundred).mergedPullRequests(github, [SHA])).resolves.toEqual([]);
      // One page that is all of it is read.
      const whole = new ScriptedHttp(() => ({ ...json(decoys(19)), headers: { 'x-next-page': '' } }));
      await expect(reader(whole).mergedPullRequests(gitlab, [SHA])).resolves.toEqual([]);
    });
    it('on an answer of another shape', async () => {
      const http = new ScriptedHttp(() => json({ message: 'not a list' }));
      await expect(reader(http).mergedPullRequests(github, [SHA])).rejects.toThrow(/shape Gantry does not know/);
    });
  });
});
