import type { Provider } from '../../../events';
import { type FakeProviders, startFakeProviders } from '../../../local/fakeprovider';
import { type CommitStatus, InvalidCommitStatusError } from '../../../shared/status';
import { SHA, statusFor, testReporter } from './helpers';

let fake: FakeProviders;

beforeAll(async () => {
  fake = await startFakeProviders();
});
afterAll(() => fake.close());
beforeEach(() => fake.clear());

describe('repository names in status URLs', () => {
  it.each<[Provider, string, string]>([
    ['gitlab', 'group/project', '/gitlab/projects/group%2Fproject/'],
    [
      'gitlab',
      'acme/platform/backend/team-a/service',
      '/gitlab/projects/acme%2Fplatform%2Fbackend%2Fteam-a%2Fservice/',
    ],
    ['gitlab', 'my.group/my.project', '/gitlab/projects/my.group%2Fmy.project/'],
    ['bitbucket-dc', '~gopher/dotfiles', '/bitbucket-dc/rest/api/latest/projects/~gopher/repos/dotfiles/'],
    ['bitbucket-dc', '~first.last/notes', '/bitbucket-dc/rest/api/latest/projects/~first.last/repos/notes/'],
    ['azure-devops', 'R&D/app #2', '/azure-devops/R%26D/_apis/git/repositories/app%20%232/'],
    ['github', 'octo-org/name.with.dots', '/github/repos/octo-org/name.with.dots/'],
    ['gitea', 'Ünïcode/répo', '/gitea/repos/%C3%9Cn%C3%AFcode/r%C3%A9po/'],
  ])('posts %s repository %s under %s', async (provider, repository, prefix) => {
    const outcome = await testReporter().reporter.report(statusFor(fake, provider, { repository }));

    expect(outcome.outcome).toBe('delivered');
    expect(fake.requests()[0]?.path.startsWith(prefix)).toBe(true);
    expect(fake.statuses()[0]).toMatchObject({ repository, commit: SHA });
  });

  it.each<[Provider, string]>([
    ['github', 'octo-org'],
    ['github', 'octo-org/sample/extra'],
    ['github', 'octo-org/..'],
    ['gitlab', 'project-without-group'],
    ['gitlab', 'group//project'],
    ['bitbucket-cloud', 'workspace/slug/more'],
    ['bitbucket-dc', 'PROJ'],
    ['azure-devops', 'project/repository/extra'],
    ['gitea', './repo'],
  ])('refuses %s repository %j as a programming error', async (provider, repository) => {
    await expect(testReporter().reporter.report(statusFor(fake, provider, { repository }))).rejects.toThrow(
      InvalidCommitStatusError,
    );
    expect(fake.requests()).toEqual([]);
  });
});

describe('other fields no provider could accept', () => {
  it.each<[string, Record<string, string>]>([
    ['a short commit', { commit: '9fceb02' }],
    ['a ref for a commit', { commit: 'refs/heads/main' }],
    ['an empty context', { context: '  ' }],
    ['a state of another vocabulary', { state: 'SUCCESSFUL' }],
    ['a relative target URL', { targetUrl: '/runs/1' }],
    ['an API URL that is not http(s)', { apiUrl: 'ftp://example.com' }],
    ['an API URL with a query', { apiUrl: 'https://api.github.com/?x=1' }],
    ['an unknown provider', { provider: 'svn' }],
  ])('throws InvalidCommitStatusError for %s', async (_, overrides) => {
    const status = { ...statusFor(fake, 'github'), ...overrides } as CommitStatus;

    await expect(testReporter().reporter.report(status)).rejects.toThrow(InvalidCommitStatusError);
  });

  it('accepts an upper-case SHA and posts it in lower case', async () => {
    await testReporter().reporter.report(statusFor(fake, 'github', { commit: SHA.toUpperCase() }));

    expect(fake.statuses()[0]?.commit).toBe(SHA);
  });

  it('ignores a trailing slash on the API URL', async () => {
    const status = statusFor(fake, 'github');

    await testReporter().reporter.report({ ...status, apiUrl: `${status.apiUrl}/` });

    expect(fake.requests()[0]?.path).toBe(`/github/repos/octo-org/sample-service/statuses/${SHA}`);
  });
});
