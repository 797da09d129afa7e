import { type FakeProviders, fakeApiUrl, startFakeProviders } from '../../../local/fakeprovider';
import type { ConnectionSecrets, SecretSource, TokenSource } from '../../../shared/secrets/secrets';
import { type CommitStatusRequest, ConnectionStatusPort } from '../../../shared/status';
import { postedOf } from '../../../shared/status/connection';
import { REPOSITORIES, SHA, TARGET_URL, TOKEN, testReporter } from './helpers';

let fake: FakeProviders;

beforeAll(async () => {
  fake = await startFakeProviders();
});
afterAll(() => fake.close());
beforeEach(() => fake.clear());

/** Secrets by id; an id not listed fails as Secrets Manager would. Tokens are the connection secret's. */
class Secrets implements SecretSource, TokenSource {
  readonly read: string[] = [];
  constructor(private readonly byId: Record<string, ConnectionSecrets>) {}
  async connectionSecrets(secretId: string): Promise<ConnectionSecrets> {
    this.read.push(secretId);
    const secrets = this.byId[secretId];
    if (secrets === undefined) throw new Error(`no secret ${secretId}`);
    return secrets;
  }
  async apiToken(secretId: string): Promise<string | undefined> {
    return (await this.connectionSecrets(secretId)).current.apiToken;
  }
}

function logger() {
  const lines: { level: string; message: string; extra: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (message: string, extra: Record<string, unknown>) => lines.push({ level: 'info', message, extra }),
    warn: (message: string, extra: Record<string, unknown>) => lines.push({ level: 'warn', message, extra }),
  };
}

const REQUEST: CommitStatusRequest = {
  provider: 'gitlab',
  connection: 'gitlab-main',
  secretId: 'gantry/connections/gitlab-main',
  repository: REPOSITORIES.gitlab,
  commit: SHA,
  context: 'gantry/sample-service',
  state: 'pending',
  description: 'Build started',
  targetUrl: TARGET_URL,
};

describe('ConnectionStatusPort', () => {
  it("sends a run's status to the connection's API with the connection's token", async () => {
    const secrets = new Secrets({ [REQUEST.secretId]: { current: { webhookSecret: 'w', apiToken: TOKEN } } });
    const log = logger();
    const port = new ConnectionStatusPort(
      testReporter().reporter,
      secrets,
      { 'gitlab-main': { provider: 'gitlab', apiUrl: fakeApiUrl(fake.url, 'gitlab') } },
      log,
    );

    await port.report(REQUEST);

    expect(secrets.read).toEqual([REQUEST.secretId]);
    expect(fake.statuses()).toEqual([
      expect.objectContaining({
        provider: 'gitlab',
        repository: REPOSITORIES.gitlab,
        commit: SHA,
        state: 'pending',
        context: 'gantry/sample-service',
        description: 'Build started',
        targetUrl: TARGET_URL,
      }),
    ]);
    expect(fake.statuses()[0]?.raw.headers['private-token']).toBe(TOKEN);
    expect(log.lines).toEqual([
      {
        level: 'info',
        message: 'commit status',
        extra: expect.objectContaining({ outcome: 'delivered', commit: SHA, state: 'pending' }),
      },
    ]);
  });

  it('skips, and says so, a connection whose secret holds no API token', async () => {
    const secrets = new Secrets({ [REQUEST.secretId]: { current: { webhookSecret: 'w', apiToken: undefined } } });
    const log = logger();
    const apis = { 'gitlab-main': { provider: 'gitlab', apiUrl: fakeApiUrl(fake.url, 'gitlab') } };

    await new ConnectionStatusPort(testReporter().reporter, secrets, apis, log).report(REQUEST);

    expect(fake.statuses()).toEqual([]);
    expect(log.lines[0]?.extra).toMatchObject({ outcome: 'skipped', reason: 'no_token' });
  });

  it('warns and sends nothing for a connection the function has no status API for', async () => {
    const secrets = new Secrets({});
    const log = logger();

    await new ConnectionStatusPort(testReporter().reporter, secrets, {}, log).report(REQUEST);

    expect(secrets.read).toEqual([]);
    expect(fake.statuses()).toEqual([]);
    expect(log.lines).toEqual([
      { level: 'warn', message: 'no status API for connection', extra: { connection: 'gitlab-main' } },
    ]);
  });

  it('logs a refusal as a warning and resolves: a status never fails a run', async () => {
    const secrets = new Secrets({ [REQUEST.secretId]: { current: { webhookSecret: 'w', apiToken: TOKEN } } });
    const log = logger();
    const apis = { 'gitlab-main': { provider: 'gitlab', apiUrl: fakeApiUrl(fake.url, 'gitlab') } };
    const port = new ConnectionStatusPort(testReporter().reporter, secrets, apis, log);

    fake.failNext({ status: 404, body: '{"message":"404 Project Not Found"}' });

    await port.report(REQUEST);

    expect(log.lines).toEqual([
      {
        level: 'warn',
        message: 'commit status',
        extra: expect.objectContaining({ outcome: 'failed', statusCode: 404 }),
      },
    ]);
  });

  it('reads a sign-in page or a redirect as credentials refused (a later attempt may pass), a 404 or 422 as final', () => {
    const failed = (statusCode?: number) =>
      postedOf({
        outcome: 'failed',
        provider: 'azure-devops',
        reason: 'x',
        attempts: 1,
        ...(statusCode ? { statusCode } : {}),
      });
    expect([203, 302, 401, 403, 429, 500, 503, undefined].map((c) => [c, failed(c).retryLater])).toEqual(
      [203, 302, 401, 403, 429, 500, 503, undefined].map((c) => [c, true]),
    );
    expect([400, 404, 422].map((c) => [c, failed(c).retryLater])).toEqual([400, 404, 422].map((c) => [c, false]));
  });

  it('answers whether the provider took the status, and if not whether asking again later may help', async () => {
    const withToken = new Secrets({ [REQUEST.secretId]: { current: { webhookSecret: 'w', apiToken: TOKEN } } });
    const apis = { 'gitlab-main': { provider: 'gitlab', apiUrl: fakeApiUrl(fake.url, 'gitlab') } };
    const port = new ConnectionStatusPort(testReporter().reporter, withToken, apis, logger());
    await expect(port.report(REQUEST)).resolves.toEqual({ posted: true, retryLater: false });
    // The provider down (every attempt 503), or the token refused: an operator's wait or fix may help.
    for (const status of [503, 401]) {
      fake.clear();
      fake.failNext(...Array.from({ length: 10 }, () => ({ status })));
      await expect(port.report(REQUEST)).resolves.toEqual({ posted: false, retryLater: true });
    }
    // A commit the provider does not know: no later attempt changes that.
    fake.clear();
    fake.failNext({ status: 404, body: '{"message":"404 Project Not Found"}' });
    await expect(port.report(REQUEST)).resolves.toEqual({ posted: false, retryLater: false });
    // Nothing to send with (no token), or nowhere to send it.
    const noToken = new Secrets({ [REQUEST.secretId]: { current: { webhookSecret: 'w', apiToken: undefined } } });
    await expect(
      new ConnectionStatusPort(testReporter().reporter, noToken, apis, logger()).report(REQUEST),
    ).resolves.toEqual({ posted: false, retryLater: false });
    await expect(
      new ConnectionStatusPort(testReporter().reporter, noToken, {}, logger()).report(REQUEST),
    ).resolves.toEqual({
      posted: false,
      retryLater: false,
    });
  });
});
