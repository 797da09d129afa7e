import { createServer } from 'node:net';
import { PROVIDERS } from '../../../events';
import { type FakeProviders, startFakeProviders } from '../../../local/fakeprovider';
import { statusFor, testReporter } from './helpers';

let fake: FakeProviders;

beforeAll(async () => {
  fake = await startFakeProviders();
});
afterAll(() => fake.close());
beforeEach(() => fake.clear());

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe('retries', () => {
  it.each(PROVIDERS)('waits as long as a %s 429 Retry-After asks, then delivers', async (provider) => {
    fake.failNext({ status: 429, headers: { 'retry-after': '2' } });
    const { reporter, pauses } = testReporter();

    const outcome = await reporter.report(statusFor(fake, provider));

    expect(outcome).toMatchObject({ outcome: 'delivered', attempts: 2 });
    expect(pauses).toEqual([2_000]);
    expect(fake.statuses()).toHaveLength(1);
  });

  it('reads a Retry-After given as an HTTP date', async () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    fake.failNext({ status: 429, headers: { 'retry-after': 'Sun, 01 Jun 2025 12:00:03 GMT' } });
    const { reporter, pauses } = testReporter({ now: () => now });

    await reporter.report(statusFor(fake, 'gitlab'));

    expect(pauses).toEqual([3_000]);
  });

  it('retries a 503 with exponential backoff and delivers on the third attempt', async () => {
    fake.failNext({ status: 503 }, { status: 503 });
    const { reporter, pauses } = testReporter();

    const outcome = await reporter.report(statusFor(fake, 'bitbucket-cloud'));

    expect(outcome).toMatchObject({ outcome: 'delivered', attempts: 3 });
    expect(pauses).toEqual([500, 1_000]);
  });

  it('gives up after the attempt bound with the last status code', async () => {
    fake.failNext({ status: 503 }, { status: 502 }, { status: 503 }, { status: 503 });
    const { reporter, pauses } = testReporter();

    const outcome = await reporter.report(statusFor(fake, 'github'));

    expect(outcome).toMatchObject({ outcome: 'failed', statusCode: 503, attempts: 3 });
    expect(fake.requests()).toHaveLength(3);
    expect(pauses).toHaveLength(2);
  });

  it('honours a smaller attempt bound', async () => {
    fake.failNext({ status: 500 });
    const { reporter } = testReporter({ retry: { maxAttempts: 1 } });

    expect(await reporter.report(statusFor(fake, 'gitea'))).toMatchObject({ outcome: 'failed', attempts: 1 });
  });

  it('does not wait for a Retry-After beyond the delay bound', async () => {
    fake.failNext({ status: 429, headers: { 'retry-after': '120' } });
    const { reporter, pauses } = testReporter();

    const outcome = await reporter.report(statusFor(fake, 'github'));

    expect(outcome).toMatchObject({ outcome: 'failed', statusCode: 429, attempts: 1 });
    expect(outcome.outcome === 'failed' && outcome.reason).toMatch(/retry asked in 120 s/);
    expect(pauses).toEqual([]);
  });

  it("retries GitHub's secondary rate limit: a 403 with Retry-After", async () => {
    fake.failNext({ status: 403, headers: { 'retry-after': '1' } });
    const { reporter, pauses } = testReporter();

    expect(await reporter.report(statusFor(fake, 'github'))).toMatchObject({ outcome: 'delivered', attempts: 2 });
    expect(pauses).toEqual([1_000]);
  });

  it.each([400, 401, 403, 404, 422])('does not retry a %i', async (status) => {
    fake.failNext({ status, body: JSON.stringify({ message: 'Bad credentials' }) });
    const { reporter } = testReporter();

    const outcome = await reporter.report(statusFor(fake, 'github'));

    expect(outcome).toEqual({
      outcome: 'failed',
      provider: 'github',
      statusCode: status,
      reason: `HTTP ${status}: Bad credentials`,
      attempts: 1,
    });
  });
});

describe('answers that are not a status accepted', () => {
  it("joins GitHub's headline and first field error in the reason", async () => {
    fake.failNext({
      status: 422,
      body: JSON.stringify({
        message: 'Validation Failed',
        errors: [{ resource: 'Status', field: 'description', message: 'description is too long' }],
      }),
    });

    expect(await testReporter().reporter.report(statusFor(fake, 'github'))).toMatchObject({
      outcome: 'failed',
      reason: 'HTTP 422: Validation Failed: description is too long',
    });
  });

  it.each([
    ['GitLab', '{"error":"state does not have a valid value"}', 'HTTP 400: state does not have a valid value'],
    ['GitLab', '{"message":{"target_url":["is blocked"]}}', 'HTTP 400: target_url is blocked'],
    ['Bitbucket Cloud', '{"type":"error","error":{"message":"key: too long"}}', 'HTTP 400: key: too long'],
    [
      'Bitbucket Data Center',
      '{"errors":[{"context":"url","message":"url is required"}]}',
      'HTTP 400: url is required',
    ],
    ['an HTML page', '<html>Bad Request</html>', 'HTTP 400'],
  ])("reads %s's error shape into the reason", async (_, body, reason) => {
    fake.failNext({ status: 400, body });

    expect(await testReporter().reporter.report(statusFor(fake, 'gitlab'))).toMatchObject({
      outcome: 'failed',
      reason,
    });
  });

  it("fails on Azure DevOps' 203 sign-in page instead of taking it for success", async () => {
    fake.failNext({ status: 203, headers: { 'content-type': 'text/html' }, body: '<html>Sign in</html>' });

    const outcome = await testReporter().reporter.report(statusFor(fake, 'azure-devops'));

    expect(outcome).toMatchObject({ outcome: 'failed', statusCode: 203, attempts: 1 });
  });

  it('does not follow a redirect, which would carry the token elsewhere', async () => {
    fake.failNext({ status: 307, headers: { location: 'http://198.51.100.7/steal' } });

    const outcome = await testReporter().reporter.report(statusFor(fake, 'gitlab'));

    expect(outcome).toMatchObject({ outcome: 'failed', statusCode: 307, attempts: 1 });
    expect(fake.requests()).toHaveLength(1);
  });
});

describe('timeouts and network errors', () => {
  it('fails after the timeout when the provider does not answer', async () => {
    fake.failNext({ hang: true });
    const { reporter } = testReporter({ timeoutMs: 200, retry: { maxAttempts: 1 } });

    const outcome = await reporter.report(statusFor(fake, 'github'));

    expect(outcome).toEqual({ outcome: 'failed', provider: 'github', reason: 'timed out after 200 ms', attempts: 1 });
  });

  it('retries after a timeout and delivers', async () => {
    fake.failNext({ hang: true });
    const { reporter } = testReporter({ timeoutMs: 200 });

    expect(await reporter.report(statusFor(fake, 'forgejo'))).toMatchObject({ outcome: 'delivered', attempts: 2 });
  });

  it('fails with the system error when nothing listens', async () => {
    const port = await closedPort();
    const { reporter } = testReporter({ retry: { maxAttempts: 2 } });

    const outcome = await reporter.report({ ...statusFor(fake, 'github'), apiUrl: `http://127.0.0.1:${port}` });

    expect(outcome).toEqual({
      outcome: 'failed',
      provider: 'github',
      reason: 'request failed (ECONNREFUSED)',
      attempts: 2,
    });
  });
});
