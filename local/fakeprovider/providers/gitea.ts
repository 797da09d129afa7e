import type { Provider } from '../../../events';
import type { CommitState } from '../../../shared/status';
import { stateFrom, statusFake } from '../fake';
import type { FakeAnswer, ProviderFake } from '../types';
import { checkString, headerOf, type Problem, problemsOf, stringOf } from '../validation';

const STATES: Readonly<Record<string, CommitState>> = {
  pending: 'pending',
  success: 'success',
  error: 'error',
  failure: 'failure',
  warning: 'failure',
};

function error(status: number, message: string): FakeAnswer {
  return { status, body: { message, url: 'https://gitea.example.com/api/swagger' } };
}

function invalid(problems: readonly Problem[]): FakeAnswer {
  return error(422, problems.map((p) => p.message).join('; '));
}

/**
 * Gitea's `POST /repos/{owner}/{repo}/statuses/{sha}`, which Forgejo keeps as it is: 201 with
 * the status (its state under `status`); `Authorization: token …` (or `Bearer …`).
 */
function giteaStyleFake(provider: Extract<Provider, 'gitea' | 'forgejo'>): ProviderFake {
  return statusFake({
    provider,
    route: /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/,
    target: ([owner, repo, commit]) => ({ repository: `${owner}/${repo}`, commit: commit ?? '' }),
    authorized: (call) => /^(?:token|Bearer) \S+$/.test(headerOf(call, 'authorization')),

    validate: (body) =>
      problemsOf(
        checkString(body, 'state', { required: true, allowed: Object.keys(STATES) }),
        checkString(body, 'context'),
        checkString(body, 'description'),
        checkString(body, 'target_url'),
      ),

    read: (body) => ({
      state: stateFrom(STATES, String(body.state)),
      providerState: String(body.state),
      context: stringOf(body, 'context') ?? 'default',
      description: stringOf(body, 'description'),
      targetUrl: stringOf(body, 'target_url'),
    }),

    created: (body, call) => ({
      status: 201,
      body: {
        id: call.id,
        status: body.state,
        context: stringOf(body, 'context') ?? 'default',
        description: stringOf(body, 'description') ?? '',
        target_url: stringOf(body, 'target_url') ?? '',
        created_at: new Date().toISOString(),
      },
    }),

    errors: {
      notFound: () => error(404, 'The target couldn\u2019t be found.'),
      unauthorized: () => error(401, 'token is required'),
      malformed: () => error(400, 'invalid JSON body'),
      unknownCommit: (commit) => error(404, `object does not exist [id: ${commit}]`),
      invalid,
    },
  });
}

/** Gitea's status API, faked. */
export const giteaFake = giteaStyleFake('gitea');
/** Forgejo's, the same API under its own prefix. */
export const forgejoFake = giteaStyleFake('forgejo');
