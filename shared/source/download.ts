import { COMMIT_ID } from '../../events';
import { type Delivery, exchange } from '../status/deliver';
import { InvalidCommitStatusError } from '../status/errors';
import { safeReason, tokenForms } from '../status/messages';
import type { FailedOutcome } from '../status/types';
import { ARCHIVE_APIS, type ArchiveTarget } from './archives';
import { SourceError, type SourceErrorCode } from './errors';
import { bytesOf } from './http';
import { type ArchiveLimits, repackArchive, type Snapshot } from './repack';

/** Tokens are printable ASCII; anything else could not travel in a header (or would split one). */
const HEADER_SAFE_TOKEN = /^[\x21-\x7E]+$/;

/** What an answer that is not an archive means for the operator. */
function codeOf(failed: FailedOutcome): SourceErrorCode {
  const status = failed.statusCode;
  if (status === 401 || status === 403 || status === 203) return 'unauthorized';
  if (status === 404 || status === 410) return 'not_found';
  return 'unavailable';
}

/**
 * Downloads the commit's archive through the provider's API (the status reporter's exchange:
 * timeout, bounded retries of 5xx, 429 and network errors, the token redacted from every
 * reason) and repacks it as a snapshot rooted at the repository root.
 * @throws SourceError saying why, never with the token in it
 */
export async function downloadSnapshot(
  target: ArchiveTarget,
  delivery: Delivery,
  limits: ArchiveLimits,
): Promise<Snapshot> {
  if (!COMMIT_ID.test(target.commit))
    throw new SourceError('misconfigured', 'the run does not name its commit by full commit id');
  if (target.token.trim() === '') throw new SourceError('unauthorized', 'the connection’s secret has no apiToken');
  if (!HEADER_SAFE_TOKEN.test(target.token))
    throw new SourceError('unauthorized', 'the apiToken holds characters no HTTP header can carry');
  const request = requestFor(target);
  const secrets = [...request.secrets, ...tokenForms(target.token)];
  const answer = await exchange(
    target.provider,
    {
      method: 'GET',
      url: request.url,
      headers: { 'user-agent': 'gantry', ...request.headers },
      timeoutMs: delivery.timeoutMs,
    },
    secrets,
    delivery,
  );
  if ('failed' in answer) {
    const tries = answer.failed.attempts > 1 ? ` after ${answer.failed.attempts} attempts` : '';
    throw new SourceError(codeOf(answer.failed), `${answer.failed.reason}${tries}`);
  }
  try {
    return repackArchive(bytesOf(answer.response), request.topFolder, limits);
  } catch (error) {
    if (error instanceof SourceError) throw new SourceError(error.code, safeReason(error.message, secrets));
    throw error;
  }
}

function requestFor(target: ArchiveTarget) {
  try {
    return ARCHIVE_APIS[target.provider](target);
  } catch (error) {
    if (error instanceof InvalidCommitStatusError) throw new SourceError('misconfigured', error.message);
    throw error;
  }
}
