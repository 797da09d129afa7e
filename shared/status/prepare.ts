import { COMMIT_ID, ProviderSchema } from '../../events';
import { truncateDescription } from './description';
import { InvalidCommitStatusError } from './errors';
import type { PreparedStatus } from './providers';
import { COMMIT_STATES, type CommitState, type CommitStatus } from './types';

function httpUrl(field: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidCommitStatusError(field, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InvalidCommitStatusError(field, 'must be an absolute http(s) URL');
  return url;
}

/** The API root without a trailing slash; credentials, a query or a fragment would be sent where they do not belong. */
function apiRoot(value: string): string {
  const url = httpUrl('apiUrl', value);
  if (url.username !== '' || url.password !== '')
    throw new InvalidCommitStatusError(
      'apiUrl',
      'must not hold credentials: the token belongs in the connection secret',
    );
  if (url.search !== '' || url.hash !== '')
    throw new InvalidCommitStatusError('apiUrl', 'must not have a query or a fragment');
  return url.href.replace(/\/+$/, '');
}

function targetUrlOf(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return httpUrl('targetUrl', value).href;
}

function commitOf(value: string): string {
  if (!COMMIT_ID.test(value.toLowerCase()))
    throw new InvalidCommitStatusError('commit', 'must be a full SHA-1 or SHA-256 in hex');
  return value.toLowerCase();
}

function contextOf(value: string): string {
  const context = value.trim();
  if (context === '') throw new InvalidCommitStatusError('context', 'must not be empty');
  return context;
}

function stateOf(value: string): CommitState {
  const state = COMMIT_STATES.find((s) => s === value);
  if (state === undefined) throw new InvalidCommitStatusError('state', `must be one of ${COMMIT_STATES.join(', ')}`);
  return state;
}

/**
 * Checks a status the way no provider would need to be asked about, and normalizes it. The
 * token is trimmed because secrets stored from a shell often end with a newline; an empty token
 * means "no token". Throws `InvalidCommitStatusError`, whose message never holds the token.
 */
export function prepareStatus(status: CommitStatus): PreparedStatus {
  const provider = ProviderSchema.safeParse(status.provider);
  if (!provider.success) throw new InvalidCommitStatusError('provider', 'is not a provider Gantry knows');
  return {
    provider: provider.data,
    apiUrl: apiRoot(status.apiUrl),
    token: (status.token ?? '').trim(),
    repository: status.repository,
    commit: commitOf(status.commit),
    state: stateOf(status.state),
    context: contextOf(status.context),
    description: truncateDescription(status.description),
    targetUrl: targetUrlOf(status.targetUrl),
  };
}
