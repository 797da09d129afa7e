import type { CommitState } from '../../../shared/status';
import { stateFrom, statusFake } from '../fake';
import type { FakeAnswer, FakeCall } from '../types';
import { checkString, headerOf, type Problem, problemsOf, stringOf } from '../validation';

const STATES: Readonly<Record<string, CommitState>> = {
  pending: 'pending',
  running: 'pending',
  success: 'success',
  failed: 'failure',
  canceled: 'error',
  skipped: 'error',
};

/** Grape's parameter errors: `{"error": "state is missing, name is invalid"}`. */
function parameterErrors(problems: readonly Problem[]): FakeAnswer {
  const messages = problems.map((p) => (p.code === 'invalid' ? `${p.field} does not have a valid value` : p.message));
  return { status: 400, body: { error: messages.join(', ') } };
}

/** A numeric project id, or a full path (`group/sub/project`), which must have arrived encoded as one segment. */
function projectOf(id: string): string | undefined {
  return /^\d+$/.test(id) || id.includes('/') ? id : undefined;
}

function authorized(call: FakeCall): boolean {
  return headerOf(call, 'private-token').trim() !== '' || /^Bearer \S+$/.test(headerOf(call, 'authorization'));
}

/**
 * GitLab's `POST /projects/{id}/statuses/{sha}`. An unencoded full path adds segments and misses
 * the route (404), exactly as on gitlab.com.
 */
export const gitlabFake = statusFake({
  provider: 'gitlab',
  route: /^\/projects\/([^/]+)\/statuses\/([^/]+)$/,
  target([id = '', commit = '']) {
    const repository = projectOf(id);
    return repository === undefined ? undefined : { repository, commit };
  },
  authorized,

  validate: (body) =>
    problemsOf(
      checkString(body, 'state', { required: true, allowed: Object.keys(STATES) }),
      checkString(body, 'name', { max: 255 }),
      checkString(body, 'context', { max: 255 }),
      checkString(body, 'target_url', { max: 255 }),
      checkString(body, 'description', { max: 255 }),
    ),

  read: (body) => ({
    state: stateFrom(STATES, String(body.state)),
    providerState: String(body.state),
    context: stringOf(body, 'name') ?? stringOf(body, 'context') ?? 'default',
    description: stringOf(body, 'description'),
    targetUrl: stringOf(body, 'target_url'),
  }),

  created: (body, call) => ({
    status: 201,
    body: {
      id: call.id,
      status: body.state,
      name: stringOf(body, 'name') ?? stringOf(body, 'context') ?? 'default',
      target_url: stringOf(body, 'target_url') ?? null,
      description: stringOf(body, 'description') ?? null,
      allow_failure: false,
      created_at: new Date().toISOString(),
    },
  }),

  errors: {
    notFound: () => ({ status: 404, body: { message: '404 Project Not Found' } }),
    unauthorized: () => ({ status: 401, body: { message: '401 Unauthorized' } }),
    malformed: () => ({
      status: 400,
      body: { error: 'The provided content-type is not supported or the body is not JSON' },
    }),
    unknownCommit: () => ({ status: 404, body: { message: '404 Commit Not Found' } }),
    invalid: parameterErrors,
  },
});
