import type { Provider } from '../../../events';
import { type FakeProviders, fakeApiUrl } from '../../../local/fakeprovider';
import {
  type CommitState,
  type CommitStatus,
  HttpCommitStatusReporter,
  type HttpCommitStatusReporterOptions,
} from '../../../shared/status';

export const SHA = '9fceb02d0ae598e95dc970b74767f19372d61af8';
export const TOKEN = 'glpat-Sup3rS3cret-t0ken';
export const TARGET_URL = 'https://gantry.example.com/runs/01J8ZK3T6Q';

/** A repository per provider in its own naming convention (GitLab with a subgroup, Azure with a space). */
export const REPOSITORIES: Readonly<Record<Provider, string>> = {
  github: 'octo-org/sample-service',
  gitlab: 'platform/backend/sample-service',
  'bitbucket-cloud': 'acme/sample-service',
  'bitbucket-dc': 'PLAT/sample-service',
  gitea: 'acme/sample-service',
  forgejo: 'acme/sample-service',
  'azure-devops': 'Platform Team/sample-service',
};

/** A status for `provider` aimed at the fake, with every field set. */
export function statusFor(
  fake: FakeProviders,
  provider: Provider,
  overrides: Partial<CommitStatus> = {},
): CommitStatus {
  return {
    provider,
    apiUrl: fakeApiUrl(fake.url, provider),
    token: TOKEN,
    repository: REPOSITORIES[provider],
    commit: SHA,
    state: 'success',
    context: 'gantry/sample-service',
    description: 'Build, gates and deployment passed',
    targetUrl: TARGET_URL,
    ...overrides,
  };
}

/** A reporter that records its pauses instead of sleeping, with jitter pinned to the full delay. */
export function testReporter(options: HttpCommitStatusReporterOptions = {}) {
  const pauses: number[] = [];
  const reporter = new HttpCommitStatusReporter({
    sleep: async (ms) => {
      pauses.push(ms);
    },
    random: () => 1,
    timeoutMs: 2_000,
    ...options,
  });
  return { reporter, pauses };
}

/** What each provider's API calls our states, and what the fake reads back (lossy where the provider is). */
export const PROVIDER_STATES: Readonly<Record<Provider, Readonly<Record<CommitState, [string, CommitState]>>>> = {
  github: {
    pending: ['pending', 'pending'],
    success: ['success', 'success'],
    failure: ['failure', 'failure'],
    error: ['error', 'error'],
  },
  gitlab: {
    pending: ['pending', 'pending'],
    success: ['success', 'success'],
    failure: ['failed', 'failure'],
    error: ['failed', 'failure'],
  },
  'bitbucket-cloud': {
    pending: ['INPROGRESS', 'pending'],
    success: ['SUCCESSFUL', 'success'],
    failure: ['FAILED', 'failure'],
    error: ['FAILED', 'failure'],
  },
  'bitbucket-dc': {
    pending: ['INPROGRESS', 'pending'],
    success: ['SUCCESSFUL', 'success'],
    failure: ['FAILED', 'failure'],
    error: ['FAILED', 'failure'],
  },
  gitea: {
    pending: ['pending', 'pending'],
    success: ['success', 'success'],
    failure: ['failure', 'failure'],
    error: ['error', 'error'],
  },
  forgejo: {
    pending: ['pending', 'pending'],
    success: ['success', 'success'],
    failure: ['failure', 'failure'],
    error: ['error', 'error'],
  },
  'azure-devops': {
    pending: ['pending', 'pending'],
    success: ['succeeded', 'success'],
    failure: ['failed', 'failure'],
    error: ['error', 'error'],
  },
};

/** Posts raw JSON to the fake, for the tests of its own validation. */
export async function post(
  url: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}
