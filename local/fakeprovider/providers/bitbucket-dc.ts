import { statusFake } from '../fake';
import type { FakeAnswer } from '../types';
import { checkString, hasBearerOrBasic, type Problem, problemsOf } from '../validation';
import { readBitbucket } from './bitbucket';

const STATES = ['INPROGRESS', 'SUCCESSFUL', 'FAILED', 'CANCELLED', 'UNKNOWN'];

/** Data Center's error shape: `{"errors": [{"context", "message", "exceptionName"}]}`. */
function errors(status: number, entries: readonly { context: string | null; message: string }[], exception: string) {
  return {
    status,
    body: { errors: entries.map((e) => ({ ...e, exceptionName: `com.atlassian.bitbucket.${exception}` })) },
  };
}

function invalid(problems: readonly Problem[]): FakeAnswer {
  return errors(
    400,
    problems.map((p) => ({ context: p.field, message: p.message })),
    'validation.ArgumentValidationException',
  );
}

/**
 * Bitbucket Data Center's `POST /rest/api/latest/projects/{projectKey}/repos/{slug}/commits/{commit}/builds`
 * (`1.0` works in place of `latest`): key, state and url required, 255 characters at most (url
 * 450); answers 204 with no body. Personal project keys (`~gopher`) arrive as they are or as `%7E`.
 */
export const bitbucketDcFake = statusFake({
  provider: 'bitbucket-dc',
  route: /^\/rest\/api\/(?:latest|1\.0)\/projects\/([^/]+)\/repos\/([^/]+)\/commits\/([^/]+)\/builds$/,
  target: ([projectKey, slug, commit]) => ({ repository: `${projectKey}/${slug}`, commit: commit ?? '' }),
  authorized: hasBearerOrBasic,

  validate: (body) =>
    problemsOf(
      checkString(body, 'key', { required: true, max: 255 }),
      checkString(body, 'state', { required: true, allowed: STATES }),
      checkString(body, 'url', { required: true, max: 450 }),
      checkString(body, 'name', { max: 255 }),
      checkString(body, 'description', { max: 255 }),
    ),

  read: readBitbucket,
  created: () => ({ status: 204 }),

  errors: {
    notFound: () =>
      errors(404, [{ context: null, message: 'Repository does not exist.' }], 'repository.NoSuchRepositoryException'),
    unauthorized: () =>
      errors(
        401,
        [{ context: null, message: 'Authentication failed. Please check your credentials and try again.' }],
        'AuthorisationException',
      ),
    malformed: () =>
      errors(400, [{ context: null, message: 'The request body is not valid JSON.' }], 'rest.BadRequestException'),
    unknownCommit: (commit) =>
      errors(
        404,
        [{ context: null, message: `Commit '${commit}' does not exist in this repository.` }],
        'commit.NoSuchCommitException',
      ),
    invalid,
  },
});
