import { statusFake } from '../fake';
import type { FakeAnswer } from '../types';
import { checkString, hasBearerOrBasic, type Problem, problemsOf, stringOf } from '../validation';
import { readBitbucket } from './bitbucket';

const STATES = ['INPROGRESS', 'SUCCESSFUL', 'FAILED', 'STOPPED'];

function error(status: number, message: string, fields?: Record<string, string[]>): FakeAnswer {
  return { status, body: { type: 'error', error: fields === undefined ? { message } : { message, fields } } };
}

/** Bitbucket Cloud's 400: the first problem as the message, every problem under `fields`. */
function invalid(problems: readonly Problem[]): FakeAnswer {
  const fields = Object.fromEntries(problems.map((p) => [p.field, [p.message]]));
  const first = problems[0];
  return error(400, first === undefined ? 'Bad request' : `${first.field}: ${first.message}`, fields);
}

/**
 * Bitbucket Cloud's `POST /repositories/{workspace}/{repo_slug}/commit/{commit}/statuses/build`
 * (a trailing slash is accepted): key (at most 40 characters), state and url required.
 */
export const bitbucketCloudFake = statusFake({
  provider: 'bitbucket-cloud',
  route: /^\/repositories\/([^/]+)\/([^/]+)\/commit\/([^/]+)\/statuses\/build\/?$/,
  target: ([workspace, slug, commit]) => ({ repository: `${workspace}/${slug}`, commit: commit ?? '' }),
  authorized: hasBearerOrBasic,

  validate: (body) =>
    problemsOf(
      checkString(body, 'key', { required: true, max: 40 }),
      checkString(body, 'state', { required: true, allowed: STATES }),
      checkString(body, 'url', { required: true }),
      checkString(body, 'name'),
      checkString(body, 'description'),
    ),

  read: readBitbucket,

  created: (body, call) => ({
    status: 201,
    body: {
      type: 'build',
      uuid: `{00000000-0000-4000-8000-${String(call.id).padStart(12, '0')}}`,
      key: body.key,
      state: body.state,
      name: stringOf(body, 'name') ?? null,
      url: body.url,
      description: stringOf(body, 'description') ?? '',
      created_on: new Date().toISOString(),
    },
  }),

  errors: {
    notFound: () => error(404, 'Resource not found'),
    unauthorized: () => error(401, 'Unauthorized'),
    malformed: () => error(400, 'Bad request'),
    unknownCommit: (commit) => error(404, `Commit not found: ${commit}`),
    invalid,
  },
});
