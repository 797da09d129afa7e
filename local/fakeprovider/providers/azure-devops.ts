import type { CommitState } from '../../../shared/status';
import { stateFrom, statusFake } from '../fake';
import type { FakeAnswer, FakeCall } from '../types';
import {
  checkString,
  hasBearerOrBasic,
  isJsonObject,
  type JsonObject,
  type Problem,
  problemsOf,
  stringOf,
} from '../validation';

const STATES: Readonly<Record<string, CommitState>> = {
  notset: 'error',
  pending: 'pending',
  succeeded: 'success',
  failed: 'failure',
  error: 'error',
  notapplicable: 'error',
  partiallysucceeded: 'failure',
};
const API_VERSION = /^\d+\.\d+(?:-preview(?:\.\d+)?)?$/;

/** Azure DevOps' error shape (a serialized .NET exception). */
function error(status: number, typeKey: string, message: string): FakeAnswer {
  return {
    status,
    body: {
      $id: '1',
      innerException: null,
      message,
      typeName: `Microsoft.TeamFoundation.SourceControl.WebApi.${typeKey}, Microsoft.TeamFoundation.SourceControl.WebApi`,
      typeKey,
      errorCode: 0,
      eventId: 3000,
    },
  };
}

function versionRefusal(call: FakeCall): FakeAnswer | undefined {
  const version = call.query.get('api-version');
  if (version === null)
    return error(400, 'VssVersionNotSpecifiedException', 'No api-version was supplied for the "POST" request.');
  return API_VERSION.test(version)
    ? undefined
    : error(400, 'VssInvalidApiVersionException', `The api-version '${version}' is not valid.`);
}

/** `context` is an object whose `name` is required; `genre` groups statuses. */
function contextProblems(body: JsonObject): (Problem | undefined)[] {
  const context = body.context;
  if (!isJsonObject(context)) return [{ field: 'context', code: 'missing', message: 'context.name is required' }];
  return [checkString(context, 'name', { required: true }), checkString(context, 'genre')];
}

function contextOf(body: JsonObject): JsonObject {
  return isJsonObject(body.context) ? body.context : {};
}

/**
 * Azure DevOps' `POST /{project}/_apis/git/repositories/{repository}/commits/{commitId}/statuses?api-version=…`
 * under the organization URL: states case-insensitive, a context with a name required.
 */
export const azureDevopsFake = statusFake({
  provider: 'azure-devops',
  route: /^\/([^/]+)\/_apis\/git\/repositories\/([^/]+)\/commits\/([^/]+)\/statuses$/,
  target: ([project, repository, commit]) => ({ repository: `${project}/${repository}`, commit: commit ?? '' }),
  authorized: hasBearerOrBasic,
  precheck: versionRefusal,

  validate: (body) =>
    problemsOf(
      checkString(body, 'state', { required: true, allowed: Object.keys(STATES), ignoreCase: true }),
      checkString(body, 'description'),
      checkString(body, 'targetUrl'),
      ...contextProblems(body),
    ),

  read: (body) => ({
    state: stateFrom(STATES, String(body.state).toLowerCase()),
    providerState: String(body.state),
    context: stringOf(contextOf(body), 'name') ?? '',
    description: stringOf(body, 'description'),
    targetUrl: stringOf(body, 'targetUrl'),
  }),

  created: (body, call) => ({
    status: 201,
    body: {
      id: call.id,
      state: body.state,
      description: stringOf(body, 'description') ?? null,
      context: contextOf(body),
      targetUrl: stringOf(body, 'targetUrl') ?? null,
      creationDate: new Date().toISOString(),
    },
  }),

  errors: {
    notFound: () => error(404, 'GitRepositoryNotFoundException', 'TF401019: The Git repository does not exist.'),
    unauthorized: () => error(401, 'UnauthorizedRequestException', 'TF400813: The user is not authorized.'),
    malformed: () =>
      error(400, 'ArgumentNullException', 'Value cannot be null. Parameter name: gitCommitStatusToCreate'),
    unknownCommit: (commit) =>
      error(404, 'GitCommitDoesNotExistException', `TF401175: The commit ${commit} does not exist.`),
    invalid: (problems) => error(400, 'InvalidArgumentValueException', problems.map((p) => p.message).join('; ')),
  },
});
