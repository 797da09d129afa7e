import { COMMIT_ID } from '../../events';
import { type Delivery, exchange } from '../status/deliver';
import { InvalidCommitStatusError } from '../status/errors';
import { safeReason, tokenForms } from '../status/messages';
import { codeOf } from './api';
import { ARCHIVE_APIS, type ArchiveTarget } from './archives';
import { SourceError } from './errors';
import { objectFormatOf } from './git-tree';
import { bytesOf } from './http';
import { type ArchiveLimits, repackArchive, type Snapshot } from './repack';
import { DEFAULT_REPAIR_LIMITS, type RepairLimits } from './repair';
import { verifySnapshot } from './verify';

/** Tokens are printable ASCII; anything else could not travel in a header (or would split one). */
const HEADER_SAFE_TOKEN = /^[\x21-\x7E]+$/;

/**
 * Downloads the commit's archive through the provider's API (the status reporter's exchange:
 * timeout, bounded retries of 5xx, 429 and network errors, the token redacted from every
 * reason), repacks it as a snapshot rooted at the repository root, and binds it to the commit:
 * the snapshot is answered only when it is the commit's exact tree (`verifySnapshot`, which takes
 * what the archive changed from the commit's blobs, within `repairLimits`).
 * @throws SourceError saying why, never with the token in it
 */
export async function downloadSnapshot(
  target: ArchiveTarget,
  delivery: Delivery,
  limits: ArchiveLimits,
  repairLimits: RepairLimits = DEFAULT_REPAIR_LIMITS,
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
  let snapshot: Snapshot;
  try {
    snapshot = repackArchive(bytesOf(answer.response), request.topFolder, limits, objectFormatOf(target.commit));
  } catch (error) {
    if (error instanceof SourceError) throw new SourceError(error.code, safeReason(error.message, secrets));
    throw error;
  }
  return verifySnapshot(target, snapshot, delivery, repairLimits);
}

function requestFor(target: ArchiveTarget) {
  try {
    return ARCHIVE_APIS[target.provider](target);
  } catch (error) {
    if (error instanceof InvalidCommitStatusError) throw new SourceError('misconfigured', error.message);
    throw error;
  }
}
