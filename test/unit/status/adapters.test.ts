import { PROVIDERS, type Provider } from '../../../events';
import { type FakeProviders, startFakeProviders } from '../../../local/fakeprovider';
import {
  API_URL_EXAMPLES,
  ApiUrlRequiredError,
  apiUrlFor,
  COMMIT_STATES,
  DEFAULT_API_URLS,
  PROVIDERS_REQUIRING_API_URL,
} from '../../../shared/status';
import { PROVIDER_STATES, REPOSITORIES, SHA, statusFor, TARGET_URL, TOKEN, testReporter } from './helpers';

let fake: FakeProviders;

beforeAll(async () => {
  fake = await startFakeProviders();
});
afterAll(() => fake.close());
beforeEach(() => fake.clear());

const PROVIDER_STATE_CASES = PROVIDERS.flatMap((provider) => COMMIT_STATES.map((state) => [provider, state] as const));

describe('HttpCommitStatusReporter against the fake providers', () => {
  it.each(PROVIDER_STATE_CASES)(
    'delivers a %s status in state %s, which the provider reads back',
    async (provider, state) => {
      const { reporter } = testReporter();
      const [providerState, readBack] = PROVIDER_STATES[provider][state];

      const outcome = await reporter.report(statusFor(fake, provider, { state }));

      expect(outcome).toEqual({
        outcome: 'delivered',
        provider,
        statusCode: provider === 'bitbucket-dc' ? 204 : 201,
        attempts: 1,
      });
      expect(fake.refused()).toEqual([]);
      expect(fake.statuses()).toEqual([
        expect.objectContaining({
          provider,
          repository: REPOSITORIES[provider],
          commit: SHA,
          state: readBack,
          providerState,
          context: 'gantry/sample-service',
          description: 'Build, gates and deployment passed',
          targetUrl: TARGET_URL,
        }),
      ]);
    },
  );

  it.each<[Provider, string]>([
    ['github', `/github/repos/octo-org/sample-service/statuses/${SHA}`],
    ['gitlab', `/gitlab/projects/platform%2Fbackend%2Fsample-service/statuses/${SHA}`],
    ['bitbucket-cloud', `/bitbucket-cloud/repositories/acme/sample-service/commit/${SHA}/statuses/build`],
    ['bitbucket-dc', `/bitbucket-dc/rest/api/latest/projects/PLAT/repos/sample-service/commits/${SHA}/builds`],
    ['gitea', `/gitea/repos/acme/sample-service/statuses/${SHA}`],
    ['forgejo', `/forgejo/repos/acme/sample-service/statuses/${SHA}`],
    [
      'azure-devops',
      `/azure-devops/Platform%20Team/_apis/git/repositories/sample-service/commits/${SHA}/statuses?api-version=7.1`,
    ],
  ])('posts a %s status to %s', async (provider, path) => {
    await testReporter().reporter.report(statusFor(fake, provider));

    expect(fake.requests()).toEqual([expect.objectContaining({ method: 'POST', path })]);
  });

  it.each<[Provider, string, string]>([
    ['github', 'authorization', `Bearer ${TOKEN}`],
    ['gitlab', 'private-token', TOKEN],
    ['bitbucket-cloud', 'authorization', `Bearer ${TOKEN}`],
    ['bitbucket-dc', 'authorization', `Bearer ${TOKEN}`],
    ['gitea', 'authorization', `token ${TOKEN}`],
    ['forgejo', 'authorization', `token ${TOKEN}`],
    ['azure-devops', 'authorization', `Basic ${Buffer.from(`:${TOKEN}`).toString('base64')}`],
  ])('sends the %s token in %s', async (provider, header, value) => {
    await testReporter().reporter.report(statusFor(fake, provider));

    const [request] = fake.requests();
    expect(request?.headers[header]).toBe(value);
    expect(request?.headers['content-type']).toBe('application/json');
  });

  it('asks GitHub for its JSON media type and a pinned API version', async () => {
    await testReporter().reporter.report(statusFor(fake, 'github'));

    expect(fake.requests()[0]?.headers).toMatchObject({
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
    });
  });

  it('files Azure DevOps statuses under the gantry genre', async () => {
    await testReporter().reporter.report(statusFor(fake, 'azure-devops'));

    expect(JSON.parse(fake.statuses()[0]?.raw.body ?? '{}')).toMatchObject({
      context: { name: 'gantry/sample-service', genre: 'gantry' },
    });
  });

  it('keeps a long context whole as the Bitbucket name and within 40 characters as its key', async () => {
    const context = 'gantry/a-pipeline-with-a-rather-long-name-indeed';

    await testReporter().reporter.report(statusFor(fake, 'bitbucket-cloud', { context }));

    const [recorded] = fake.statuses();
    expect(recorded?.context).toBe(context);
    expect((JSON.parse(recorded?.raw.body ?? '{}') as { key: string }).key.length).toBeLessThanOrEqual(40);
  });

  it('leaves the target URL out when there is none, where the provider allows it', async () => {
    await testReporter().reporter.report(statusFor(fake, 'github', { targetUrl: undefined }));

    expect(fake.statuses()[0]?.targetUrl).toBeUndefined();
    expect(JSON.parse(fake.statuses()[0]?.raw.body ?? '{}')).not.toHaveProperty('target_url');
  });
});

describe('default API URLs', () => {
  it('names the hosted services', () => {
    expect(DEFAULT_API_URLS).toMatchObject({
      github: 'https://api.github.com',
      gitlab: 'https://gitlab.com/api/v4',
      'bitbucket-cloud': 'https://api.bitbucket.org/2.0',
    });
  });

  it('requires an API URL for self-hosted and per-organization providers', () => {
    expect([...PROVIDERS_REQUIRING_API_URL].sort()).toEqual(['azure-devops', 'bitbucket-dc', 'forgejo', 'gitea']);
  });

  it('prefers a configured API URL and falls back to the default', () => {
    expect(apiUrlFor('github')).toBe('https://api.github.com');
    expect(apiUrlFor('github', API_URL_EXAMPLES.github)).toBe('https://github.example.com/api/v3');
  });

  it.each(PROVIDERS_REQUIRING_API_URL)('throws for %s without an API URL', (provider) => {
    expect(() => apiUrlFor(provider)).toThrow(ApiUrlRequiredError);
  });
});
