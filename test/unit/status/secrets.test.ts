import { PROVIDERS, type Provider } from '../../../events';
import { type FakeProviders, startFakeProviders } from '../../../local/fakeprovider';
import { type CommitStatus, InvalidCommitStatusError } from '../../../shared/status';
import { statusFor, TOKEN, testReporter } from './helpers';

let fake: FakeProviders;

beforeAll(async () => {
  fake = await startFakeProviders();
});
afterAll(() => fake.close());
beforeEach(() => fake.clear());

/** Every form the token travels in: as is, and Basic-encoded for Azure DevOps. */
const TOKEN_FORMS = [TOKEN, Buffer.from(`:${TOKEN}`).toString('base64')];

function expectNoToken(value: unknown): void {
  const text = value instanceof Error ? `${value.message}\n${value.stack}\n${String(value)}` : JSON.stringify(value);
  for (const form of TOKEN_FORMS) expect(text).not.toContain(form);
}

describe('a connection without a token', () => {
  it.each(PROVIDERS)('skips the %s status and sends nothing', async (provider) => {
    const outcome = await testReporter().reporter.report(statusFor(fake, provider, { token: undefined }));

    expect(outcome).toEqual({ outcome: 'skipped', provider, reason: 'no_token' });
    expect(fake.requests()).toEqual([]);
  });

  it.each(['', '   ', '\n'])('reads the token %j as no token', async (token) => {
    expect(await testReporter().reporter.report(statusFor(fake, 'github', { token }))).toMatchObject({
      outcome: 'skipped',
      reason: 'no_token',
    });
  });

  it('still refuses a malformed status, so local runs without tokens catch it', async () => {
    const status = statusFor(fake, 'github', { token: undefined, repository: 'not-a-full-name' });

    await expect(testReporter().reporter.report(status)).rejects.toThrow(InvalidCommitStatusError);
  });
});

describe('a Bitbucket status without a link', () => {
  it.each<Provider>(['bitbucket-cloud', 'bitbucket-dc'])(
    'skips the %s status, which Bitbucket would refuse',
    async (provider) => {
      const outcome = await testReporter().reporter.report(statusFor(fake, provider, { targetUrl: undefined }));

      expect(outcome).toEqual({ outcome: 'skipped', provider, reason: 'no_target_url' });
      expect(fake.requests()).toEqual([]);
    },
  );
});

describe('the token', () => {
  it('is trimmed of the newline a secret stored from a shell ends with', async () => {
    await testReporter().reporter.report(statusFor(fake, 'gitlab', { token: `${TOKEN}\n` }));

    expect(fake.requests()[0]?.headers['private-token']).toBe(TOKEN);
  });

  it.each(PROVIDERS)('never appears in a %s failure, even when the provider echoes it', async (provider) => {
    const echo = JSON.stringify({ message: `Bad credentials: ${TOKEN_FORMS.join(' ')}` });
    fake.failNext({ status: 401, body: echo });

    const outcome = await testReporter().reporter.report(statusFor(fake, provider));

    expect(outcome).toMatchObject({ outcome: 'failed', statusCode: 401 });
    expect(outcome.outcome === 'failed' && outcome.reason).toContain('***');
    expectNoToken(outcome);
  });

  it('never appears in the outcome of a token no HTTP header can carry', async () => {
    const token = `${TOKEN}\r\nX-Injected: 1`;

    const outcome = await testReporter().reporter.report(statusFor(fake, 'github', { token }));

    expect(outcome).toEqual({
      outcome: 'failed',
      provider: 'github',
      reason: 'the API token holds characters no HTTP header can carry',
      attempts: 0,
    });
    expect(fake.requests()).toEqual([]);
  });

  it.each<[string, Partial<CommitStatus>]>([
    ['a malformed repository', { repository: 'a/b/c' }],
    ['a malformed commit', { commit: TOKEN }],
    ['a malformed target URL', { targetUrl: TOKEN }],
  ])('never appears in the error thrown for %s', async (_, overrides) => {
    const error: unknown = await testReporter()
      .reporter.report(statusFor(fake, 'github', overrides))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidCommitStatusError);
    expectNoToken(error);
  });

  it('is not echoed from API URL credentials, which are refused', async () => {
    const error: unknown = await testReporter()
      .reporter.report({ ...statusFor(fake, 'github'), apiUrl: `https://ci:${TOKEN}@github.example.com/api/v3` })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidCommitStatusError);
    expectNoToken(error);
  });
});
