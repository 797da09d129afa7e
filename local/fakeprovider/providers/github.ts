import type { CommitState } from '../../../shared/status';
import { stateFrom, statusFake } from '../fake';
import type { FakeAnswer } from '../types';
import { checkString, headerOf, type Problem, problemsOf, stringOf } from '../validation';

const DOCS = 'https://docs.github.com/rest/commits/statuses#create-a-commit-status';
const STATES: Readonly<Record<string, CommitState>> = {
  error: 'error',
  failure: 'failure',
  pending: 'pending',
  success: 'success',
};
const SUPPORTED_VERSIONS = ['2022-11-28'];

function error(status: number, message: string, extra: Record<string, unknown> = {}): FakeAnswer {
  return { status, body: { message, ...extra, documentation_url: DOCS, status: String(status) } };
}

/** GitHub's 422: one entry per field, `missing_field` or `custom`. */
function validationFailed(problems: readonly Problem[]): FakeAnswer {
  const errors = problems.map((p) => ({
    resource: 'Status',
    code: p.code === 'missing' ? 'missing_field' : 'custom',
    field: p.field,
    message: p.message,
  }));
  return error(422, 'Validation Failed', { errors });
}

/** GitHub's `POST /repos/{owner}/{repo}/statuses/{sha}`: 201 with the status; 422 for a bad field or an unknown SHA. */
export const githubFake = statusFake({
  provider: 'github',
  route: /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/,
  target: ([owner, repo, commit]) => ({ repository: `${owner}/${repo}`, commit: commit ?? '' }),
  authorized: (call) => /^(?:Bearer|token) \S+$/.test(headerOf(call, 'authorization')),

  precheck(call) {
    const version = call.headers['x-github-api-version'];
    if (version === undefined || SUPPORTED_VERSIONS.includes(version)) return undefined;
    return error(400, `API version ${version} is not supported`);
  },

  validate: (body) =>
    problemsOf(
      checkString(body, 'state', { required: true, allowed: Object.keys(STATES) }),
      checkString(body, 'target_url'),
      checkString(body, 'description', { max: 140 }),
      checkString(body, 'context'),
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
      state: body.state,
      description: stringOf(body, 'description') ?? null,
      target_url: stringOf(body, 'target_url') ?? null,
      context: stringOf(body, 'context') ?? 'default',
      created_at: new Date().toISOString(),
    },
  }),

  errors: {
    notFound: () => error(404, 'Not Found'),
    unauthorized: () => error(401, 'Requires authentication'),
    malformed: () => error(400, 'Problems parsing JSON'),
    unknownCommit: (sha) => error(422, `No commit found for SHA: ${sha}`),
    invalid: validationFailed,
  },
});
