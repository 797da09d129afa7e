import { type FakeProviders, fakeApiUrl, startFakeProviders } from '../../../local/fakeprovider';
import { HttpCommitHistory } from '../../../shared/history/reader';

const HEAD = 'b'.repeat(40);
const OTHER = 'e'.repeat(40);
const pr = {
  number: 7,
  title: 'Faster widgets',
  commits: [HEAD],
  openedBy: { id: 3, login: 'carol', email: 'carol@example.com' },
  mergedBy: { id: 1, login: 'alice', email: 'alice@example.com' },
};

describe('the fake provider’s pull requests of a commit (local mode’s stand-in)', () => {
  let fake: FakeProviders;
  beforeAll(async () => {
    fake = await startFakeProviders();
  });
  afterAll(() => fake.close());

  it.each(['github', 'gitea', 'forgejo'] as const)(
    '%s: answers a registered merged pull request, through the same client the cloud path uses',
    async (provider) => {
      expect(fake.registerPullRequest(provider, 'acme/app', pr).status).toBe(204);
      const target = { provider, apiUrl: fakeApiUrl(fake.url, provider), token: 'local-token', repository: 'acme/app' };
      const history = new HttpCommitHistory({ retry: { maxAttempts: 1 } });
      await expect(history.mergedPullRequests(target, [HEAD])).resolves.toEqual([
        expect.objectContaining({
          number: '7',
          openedBy: expect.objectContaining({ id: '3', username: 'carol' }),
          mergedBy: expect.objectContaining({ id: '1', username: 'alice' }),
        }),
      ]);
      // A commit no registered pull request brought in, and another repository: none.
      await expect(history.mergedPullRequests(target, [OTHER])).resolves.toEqual([]);
      await expect(history.mergedPullRequests({ ...target, repository: 'acme/other' }, [HEAD])).resolves.toEqual([]);
    },
  );

  it('asks for credentials, and refuses a pull request it cannot answer for', async () => {
    const res = await fetch(`${fakeApiUrl(fake.url, 'github')}/repos/acme/app/commits/${HEAD}/pulls`);
    expect(res.status).toBe(401);
    expect(fake.registerPullRequest('gitlab', 'acme/app', pr).status).toBe(400);
    expect(fake.registerPullRequest('github', 'acme/app', { ...pr, commits: ['short'] }).status).toBe(400);
  });
});
