import type { Provider } from '../../../events';
import { HttpCommitHistory, MAX_RANGE_COMMITS } from '../../../shared/history/reader';
import type { CommitRange } from '../../../shared/history/types';
import type { HttpClient, HttpRequest, HttpResponse } from '../../../shared/status/http';

const BEFORE = 'a'.repeat(40);
const AFTER = 'f'.repeat(40);
const TOKEN = 'tok-3f9a-secret';
const sha = (n: number) => n.toString(16).padStart(40, '0');

/** Answers each request from a table of URL → response; records what was asked, headers included. */
class ScriptedHttp implements HttpClient {
  readonly sent: HttpRequest[] = [];
  constructor(private readonly answer: (request: HttpRequest) => HttpResponse) {}
  async send(request: HttpRequest): Promise<HttpResponse> {
    this.sent.push(request);
    return this.answer(request);
  }
}

const json = (body: unknown, headers: Record<string, string> = {}, status = 200): HttpResponse => ({
  status,
  headers,
  body: JSON.stringify(body),
});

function history(http: HttpClient) {
  return new HttpCommitHistory({ http, sleep: async () => {}, retry: { maxAttempts: 2 } });
}

function range(provider: Provider, repository: string, apiUrl: string): CommitRange {
  return { provider, apiUrl, token: TOKEN, repository, before: BEFORE, after: AFTER };
}

/** A GitHub-shaped compare commit (Gitea and Forgejo answer the same shape). */
const compared = (id: string, who: string, committer = who) => ({
  sha: id,
  commit: {
    author: { name: who, email: `${who}@example.com` },
    committer: { name: committer, email: `${committer}@example.com` },
  },
  author: { login: who },
  committer: { login: committer },
});

describe('listing a change’s commits through each provider’s API', () => {
  it('GitHub: pages the compare API over total_commits, with each commit’s accounts', async () => {
    const page1 = Array.from({ length: 100 }, (_, i) => compared(sha(i + 1), 'dave'));
    const http = new ScriptedHttp((r) => {
      const page = new URL(r.url).searchParams.get('page');
      return json({ total_commits: 101, commits: page === '1' ? page1 : [compared(AFTER, 'dave', 'carol')] });
    });
    const commits = await history(http).commitsBetween(range('github', 'acme/widgets', 'https://api.github.com'));
    expect(http.sent.map((r) => [r.method, r.url])).toEqual([
      ['GET', `https://api.github.com/repos/acme/widgets/compare/${BEFORE}...${AFTER}?per_page=100&page=1`],
      ['GET', `https://api.github.com/repos/acme/widgets/compare/${BEFORE}...${AFTER}?per_page=100&page=2`],
    ]);
    expect(http.sent[0]?.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      'x-github-api-version': '2022-11-28',
    });
    expect(commits).toHaveLength(101);
    expect(commits.at(-1)).toEqual({
      id: AFTER,
      author: { name: 'dave', email: 'dave@example.com', username: 'dave' },
      committer: { name: 'carol', email: 'carol@example.com', username: 'carol' },
    });
  });

  it('GitLab: a revision range on the commits API, paged by x-next-page, the project path encoded as one segment', async () => {
    const http = new ScriptedHttp((r) => {
      const page = new URL(r.url).searchParams.get('page');
      const commit = (id: string) => ({
        id,
        author_name: 'Dave',
        author_email: 'dave@example.com',
        committer_name: 'Carol',
        committer_email: 'carol@example.com',
      });
      return page === '1'
        ? json([commit(AFTER)], { 'x-next-page': '2' })
        : json([commit(sha(1))], { 'x-next-page': '' });
    });
    const commits = await history(http).commitsBetween(
      range('gitlab', 'group/sub/app', 'https://gitlab.example.com/api/v4'),
    );
    expect(http.sent.map((r) => r.url)).toEqual([
      `https://gitlab.example.com/api/v4/projects/group%2Fsub%2Fapp/repository/commits?ref_name=${BEFORE}..${AFTER}&per_page=100&page=1`,
      `https://gitlab.example.com/api/v4/projects/group%2Fsub%2Fapp/repository/commits?ref_name=${BEFORE}..${AFTER}&per_page=100&page=2`,
    ]);
    expect(http.sent[0]?.headers['private-token']).toBe(TOKEN);
    expect(commits.map((c) => c.committer?.email)).toEqual(['carol@example.com', 'carol@example.com']);
  });

  it('Bitbucket Cloud: include/exclude, paged by the next link, authors only', async () => {
    const next = 'https://api.bitbucket.org/2.0/repositories/ws/app/commits?page=abc';
    const http = new ScriptedHttp((r) =>
      r.url === next
        ? json({
            values: [{ hash: sha(1), author: { raw: 'Carol <carol@example.com>', user: { nickname: 'carol' } } }],
          })
        : json({ values: [{ hash: AFTER, author: { raw: 'Dave <dave@example.com>' } }], next }),
    );
    const commits = await history(http).commitsBetween(
      range('bitbucket-cloud', 'ws/app', 'https://api.bitbucket.org/2.0'),
    );
    expect(http.sent[0]?.url).toBe(
      `https://api.bitbucket.org/2.0/repositories/ws/app/commits?include=${AFTER}&exclude=${BEFORE}&pagelen=100`,
    );
    expect(http.sent[1]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(commits).toEqual([
      { id: AFTER, author: { name: 'Dave', email: 'dave@example.com' } },
      { id: sha(1), author: { name: 'Carol', email: 'carol@example.com', username: 'carol' } },
    ]);
  });

  it('Bitbucket Data Center: since/until, paged by nextPageStart, user slugs as accounts', async () => {
    const user = (slug: string) => ({
      name: slug,
      slug,
      emailAddress: `${slug}@example.com`,
      displayName: slug.toUpperCase(),
    });
    const http = new ScriptedHttp((r) =>
      new URL(r.url).searchParams.get('start') === '0'
        ? json({
            values: [{ id: AFTER, author: user('dave'), committer: user('carol') }],
            isLastPage: false,
            nextPageStart: 1,
          })
        : json({ values: [{ id: sha(1), author: user('dave'), committer: user('dave') }], isLastPage: true }),
    );
    const commits = await history(http).commitsBetween(range('bitbucket-dc', 'PROJ/app', 'https://git.example.com'));
    expect(http.sent.map((r) => r.url)).toEqual([
      `https://git.example.com/rest/api/latest/projects/PROJ/repos/app/commits?since=${BEFORE}&until=${AFTER}&limit=100&start=0`,
      `https://git.example.com/rest/api/latest/projects/PROJ/repos/app/commits?since=${BEFORE}&until=${AFTER}&limit=100&start=1`,
    ]);
    expect(commits[0]?.committer).toEqual({ name: 'CAROL', email: 'carol@example.com', username: 'carol' });
  });

  it.each([
    ['gitea', 'https://gitea.example.com/api/v1'],
    ['forgejo', 'https://codeberg.org/api/v1'],
  ] as const)('%s: the compare API, whole or refused', async (provider, apiUrl) => {
    const whole = new ScriptedHttp(() => json({ total_commits: 1, commits: [compared(AFTER, 'dave', 'carol')] }));
    await expect(history(whole).commitsBetween(range(provider, 'acme/app', apiUrl))).resolves.toHaveLength(1);
    expect(whole.sent[0]?.url).toBe(`${apiUrl}/repos/acme/app/compare/${BEFORE}...${AFTER}`);
    expect(whole.sent[0]?.headers.authorization).toBe(`token ${TOKEN}`);
    const cut = new ScriptedHttp(() => json({ total_commits: 300, commits: [compared(AFTER, 'dave')] }));
    await expect(history(cut).commitsBetween(range(provider, 'acme/app', apiUrl))).rejects.toThrow(
      /listed 1 of 300 commits/,
    );
  });

  it('Azure DevOps: item and compare versions, paged by $skip, Basic credentials', async () => {
    const commit = (id: string) => ({
      commitId: id,
      author: { name: 'Dave', email: 'dave@example.com' },
      committer: { name: 'Carol', email: 'carol@example.com' },
    });
    const http = new ScriptedHttp((r) =>
      new URL(r.url).searchParams.get('searchCriteria.$skip') === '0'
        ? json({ count: 100, value: Array.from({ length: 100 }, (_, i) => commit(sha(i + 1))) })
        : json({ count: 1, value: [commit(AFTER)] }),
    );
    const commits = await history(http).commitsBetween(range('azure-devops', 'Proj/app', 'https://dev.azure.com/org'));
    const first = new URL(http.sent[0]?.url ?? '');
    expect(first.pathname).toBe('/org/Proj/_apis/git/repositories/app/commits');
    expect(Object.fromEntries(first.searchParams)).toMatchObject({
      'searchCriteria.itemVersion.version': AFTER,
      'searchCriteria.compareVersion.version': BEFORE,
      'searchCriteria.$top': '100',
      'api-version': '7.1',
    });
    expect(new URL(http.sent[1]?.url ?? '').searchParams.get('searchCriteria.$skip')).toBe('100');
    expect(http.sent[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`:${TOKEN}`).toString('base64')}`);
    expect(commits).toHaveLength(101);
  });
});

describe('what the history reader refuses', () => {
  const github = range('github', 'acme/widgets', 'https://api.github.com');

  it('never sends the token to a next-page link on another host', async () => {
    const http = new ScriptedHttp(() =>
      json({ values: [{ hash: AFTER, author: { raw: 'x <x@example.com>' } }], next: 'https://evil.example.net/steal' }),
    );
    await expect(
      history(http).commitsBetween(range('bitbucket-cloud', 'ws/app', 'https://api.bitbucket.org/2.0')),
    ).rejects.toThrow(/next-page link outside https:\/\/api.bitbucket.org\/2.0; it was not followed/);
    expect(http.sent).toHaveLength(1);
  });

  it('says why a provider refused, without the token in any form', async () => {
    const http = new ScriptedHttp(() => json({ message: `Bad credentials for ${TOKEN}` }, {}, 401));
    await expect(history(http).commitsBetween(github)).rejects.toThrow(
      'github did not list the change’s commits: HTTP 401: Bad credentials for ***',
    );
    expect(JSON.stringify(http.sent.map((r) => r.url))).not.toContain(TOKEN);
  });

  it('retries a provider error, then reads the answer', async () => {
    let calls = 0;
    const http = new ScriptedHttp(() => (++calls === 1 ? json({}, {}, 502) : json({ total_commits: 0, commits: [] })));
    await expect(history(http).commitsBetween(github)).resolves.toEqual([]);
    expect(calls).toBe(2);
  });

  it.each([
    ['a sign-in page (Azure DevOps’ 203)', { status: 203, headers: {}, body: '<html>' }, /HTTP 203: not an API answer/],
    ['an answer that is not JSON', { status: 200, headers: {}, body: '<html>' }, /not JSON/],
    ['an answer of another shape', json({ commits: 'none' }), /shape Gantry does not know/],
    ['a redirect', { status: 302, headers: { location: 'https://elsewhere' }, body: '' }, /redirected/],
  ])('refuses %s', async (_case, response, reason) => {
    await expect(history(new ScriptedHttp(() => response)).commitsBetween(github)).rejects.toThrow(reason);
  });

  it('refuses without asking when a commit id is not a full one, or the connection has no token', async () => {
    const http = new ScriptedHttp(() => json({}));
    await expect(history(http).commitsBetween({ ...github, before: '../../admin' })).rejects.toThrow(/full commit id/);
    await expect(history(http).commitsBetween({ ...github, token: '' })).rejects.toThrow(/no apiToken/);
    expect(http.sent).toEqual([]);
  });

  it('refuses a list shorter than the total the provider itself gives (a page cut short)', async () => {
    const page = Array.from({ length: 100 }, (_, i) => compared(sha(i + 1), 'dave'));
    const http = new ScriptedHttp((r) =>
      json({ total_commits: 300, commits: new URL(r.url).searchParams.get('page') === '3' ? [] : page }),
    );
    await expect(history(http).commitsBetween(github)).rejects.toThrow('github listed 200 of the change’s 300 commits');
  });

  it('refuses a Data Center page that says more follow but not where', async () => {
    const http = new ScriptedHttp(() => json({ values: [{ id: AFTER }], isLastPage: false }));
    await expect(
      history(http).commitsBetween(range('bitbucket-dc', 'PROJ/app', 'https://git.example.com')),
    ).rejects.toThrow(/said more pages follow but not where/);
  });

  it('gives up at its deadline, so ResolvePlan still records the run with the gap', async () => {
    let clock = 0;
    const page = Array.from({ length: 100 }, (_, i) => compared(sha(i + 1), 'dave'));
    const http = new ScriptedHttp(() => {
      clock += 6_000;
      return json({ total_commits: 5_000, commits: page });
    });
    const slow = new HttpCommitHistory({ http, now: () => clock, deadlineMs: 20_000 });
    await expect(slow.commitsBetween(github)).rejects.toThrow('github took longer than 20 s');
    expect(http.sent).toHaveLength(4);
  });

  it('stops at the largest change a person could review, instead of paging for ever', async () => {
    const page = Array.from({ length: 100 }, (_, i) => compared(sha(i + 1), 'dave'));
    const http = new ScriptedHttp(() => json({ total_commits: 1_000_000, commits: page }));
    await expect(history(http).commitsBetween(github)).rejects.toThrow(`more than ${MAX_RANGE_COMMITS} commits`);
    expect(http.sent.length).toBe(MAX_RANGE_COMMITS / 100 + 1);
  });
});
