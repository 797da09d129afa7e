import type { Provider } from '../../../events';
import { type FakeProviders, fakeApiUrl, startFakeProviders } from '../../../local/fakeprovider';
import { post, SHA, statusFor, TARGET_URL, testReporter } from './helpers';

let fake: FakeProviders;

beforeAll(async () => {
  fake = await startFakeProviders();
});
afterAll(() => fake.close());
beforeEach(() => fake.clear());

const BEARER = { authorization: 'Bearer t0ken' };

/** A request each provider accepts: path, credentials and body. */
const VALID: Readonly<
  Record<Provider, { path: string; headers: Record<string, string>; body: Record<string, unknown> }>
> = {
  github: {
    path: `/github/repos/o/r/statuses/${SHA}`,
    headers: BEARER,
    body: { state: 'success', context: 'ci' },
  },
  gitlab: {
    path: `/gitlab/projects/g%2Fp/statuses/${SHA}`,
    headers: { 'private-token': 't0ken' },
    body: { state: 'success', name: 'ci' },
  },
  'bitbucket-cloud': {
    path: `/bitbucket-cloud/repositories/w/r/commit/${SHA}/statuses/build`,
    headers: BEARER,
    body: { key: 'ci', state: 'SUCCESSFUL', url: TARGET_URL },
  },
  'bitbucket-dc': {
    path: `/bitbucket-dc/rest/api/latest/projects/P/repos/r/commits/${SHA}/builds`,
    headers: BEARER,
    body: { key: 'ci', state: 'SUCCESSFUL', url: TARGET_URL },
  },
  gitea: {
    path: `/gitea/repos/o/r/statuses/${SHA}`,
    headers: { authorization: 'token t0ken' },
    body: { state: 'success' },
  },
  forgejo: {
    path: `/forgejo/repos/o/r/statuses/${SHA}`,
    headers: { authorization: 'token t0ken' },
    body: { state: 'success' },
  },
  'azure-devops': {
    path: `/azure-devops/p/_apis/git/repositories/r/commits/${SHA}/statuses?api-version=7.1`,
    headers: { authorization: `Basic ${Buffer.from(':t0ken').toString('base64')}` },
    body: { state: 'succeeded', context: { name: 'ci', genre: 'gantry' } },
  },
};

const PROVIDER_NAMES = Object.keys(VALID) as Provider[];

describe('the fake providers', () => {
  it.each(PROVIDER_NAMES)('accepts a well-formed %s request', async (provider) => {
    const { path, headers, body } = VALID[provider];

    const answer = await post(fake.url, path, body, headers);

    expect(answer.status).toBe(provider === 'bitbucket-dc' ? 204 : 201);
    expect(fake.statuses()).toHaveLength(1);
  });

  it.each(PROVIDER_NAMES)('refuses a %s request without credentials with a 401', async (provider) => {
    const { path, body } = VALID[provider];

    expect((await post(fake.url, path, body)).status).toBe(401);
    expect(fake.statuses()).toEqual([]);
  });

  it.each(PROVIDER_NAMES)('refuses a %s body that is not JSON with a 400', async (provider) => {
    const { path, headers } = VALID[provider];

    expect((await post(fake.url, path, '{"state": ', headers)).status).toBe(400);
  });

  it.each<[Provider, Record<string, unknown>, number]>([
    ['github', { state: 'passed' }, 422],
    ['gitlab', { state: 'failure' }, 400],
    ['bitbucket-cloud', { key: 'ci', state: 'success', url: TARGET_URL }, 400],
    ['bitbucket-dc', { key: 'ci', state: 'STOPPED', url: TARGET_URL }, 400],
    ['gitea', { state: 'failed' }, 422],
    ['forgejo', { state: 'succeeded' }, 422],
    ['azure-devops', { state: 'success', context: { name: 'ci' } }, 400],
  ])('refuses a %s state from another vocabulary: %j', async (provider, body, status) => {
    const { path, headers } = VALID[provider];

    expect((await post(fake.url, path, body, headers)).status).toBe(status);
    expect(fake.refused()).toEqual([expect.objectContaining({ provider, status })]);
  });

  it.each<[string, Provider, Record<string, unknown>]>([
    ['a GitHub status without a state', 'github', { context: 'ci' }],
    ['a GitHub description over 140 characters', 'github', { state: 'success', description: 'x'.repeat(141) }],
    ['a Bitbucket Cloud status without a url', 'bitbucket-cloud', { key: 'ci', state: 'SUCCESSFUL' }],
    [
      'a Bitbucket Cloud key over 40 characters',
      'bitbucket-cloud',
      { key: 'k'.repeat(41), state: 'FAILED', url: TARGET_URL },
    ],
    ['a Bitbucket Data Center status without a key', 'bitbucket-dc', { state: 'FAILED', url: TARGET_URL }],
    ['an Azure DevOps status without a context', 'azure-devops', { state: 'failed' }],
  ])('refuses %s', async (_, provider, body) => {
    const { path, headers } = VALID[provider];

    expect((await post(fake.url, path, body, headers)).status).toBeGreaterThanOrEqual(400);
    expect(fake.statuses()).toEqual([]);
  });

  it('answers in the provider error shape', async () => {
    const { path, headers } = VALID.github;

    const answer = await post(fake.url, path, { state: 'success', description: 'x'.repeat(141) }, headers);

    expect(answer.body).toMatchObject({
      message: 'Validation Failed',
      errors: [
        { resource: 'Status', field: 'description', message: 'description is too long (maximum is 140 characters)' },
      ],
    });
  });

  it('refuses a GitLab full path that was not encoded as one segment', async () => {
    const answer = await post(
      fake.url,
      `/gitlab/projects/g/sub/p/statuses/${SHA}`,
      VALID.gitlab.body,
      VALID.gitlab.headers,
    );

    expect(answer).toEqual({ status: 404, body: { message: '404 Project Not Found' } });
  });

  it('refuses an Azure DevOps request without an api-version', async () => {
    const path = `/azure-devops/p/_apis/git/repositories/r/commits/${SHA}/statuses`;

    const answer = await post(fake.url, path, VALID['azure-devops'].body, VALID['azure-devops'].headers);

    expect(answer).toMatchObject({ status: 400, body: { typeKey: 'VssVersionNotSpecifiedException' } });
  });

  it('refuses an abbreviated commit', async () => {
    const answer = await post(fake.url, '/github/repos/o/r/statuses/9fceb02', VALID.github.body, BEARER);

    expect(answer.status).toBe(422);
  });

  it('refuses another method on the status route', async () => {
    const response = await fetch(`${fake.url}${VALID.github.path}`, { headers: BEARER });

    expect(response.status).toBe(404);
  });

  it('refuses an unknown provider prefix', async () => {
    expect((await post(fake.url, '/svn/statuses', {}, BEARER)).status).toBe(404);
  });

  it('refuses a body of more than a megabyte', async () => {
    const { path, headers } = VALID.github;

    expect((await post(fake.url, path, { state: 'success', context: 'x'.repeat(1_100_000) }, headers)).status).toBe(
      413,
    );
  });

  it('forgets everything on clear', async () => {
    await testReporter().reporter.report(statusFor(fake, 'github'));
    await post(fake.url, '/svn/statuses', {});
    fake.failNext({ status: 503 });

    fake.clear();

    expect([fake.statuses(), fake.refused(), fake.requests()]).toEqual([[], [], []]);
    expect(await testReporter().reporter.report(statusFor(fake, 'github'))).toMatchObject({ attempts: 1 });
  });

  it('builds each API URL from the server URL and the provider', () => {
    expect(fakeApiUrl('http://127.0.0.1:9000/', 'gitlab')).toBe('http://127.0.0.1:9000/gitlab');
  });
});
