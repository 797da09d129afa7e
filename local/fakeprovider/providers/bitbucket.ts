import type { CommitState } from '../../../shared/status';
import { stateFrom } from '../fake';
import type { JsonObject } from '../validation';
import { stringOf } from '../validation';

/** Both Bitbucket flavours' states; Gantry sends only the first three. */
export const BITBUCKET_STATES: Readonly<Record<string, CommitState>> = {
  INPROGRESS: 'pending',
  SUCCESSFUL: 'success',
  FAILED: 'failure',
  STOPPED: 'error',
  CANCELLED: 'error',
  UNKNOWN: 'error',
};

/** A Bitbucket build status read back: `name` carries the full context, `key` only identifies it. */
export function readBitbucket(body: JsonObject) {
  return {
    state: stateFrom(BITBUCKET_STATES, String(body.state)),
    providerState: String(body.state),
    context: stringOf(body, 'name') ?? String(body.key),
    description: stringOf(body, 'description'),
    targetUrl: stringOf(body, 'url'),
  };
}
