import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adapterFor } from '../../shared/webhooks/normalize';
import type { IncomingDelivery } from '../../shared/webhooks/receive';
import { normalizeHeaders } from '../../shared/webhooks/request';
import { SECRET } from './receiver-fakes';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

/** A fixture file's bytes, exactly as stored. */
export function fixture(...path: string[]): Buffer {
  return readFileSync(join(FIXTURES, ...path));
}

/** A push body small enough to read in a test, shaped like GitHub's. */
export function githubPushBody(overrides: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      ref: 'refs/heads/main',
      before: 'a10867b14bb761a232cd80139fbd4c0d33264240',
      after: '199eddf46df50de8d02e99bf1c5fdb4101338224',
      created: false,
      deleted: false,
      forced: false,
      commits: [
        {
          id: '199eddf46df50de8d02e99bf1c5fdb4101338224',
          message: 'Fix the build',
          timestamp: '2026-11-23T09:59:00Z',
          author: { name: 'Octo Cat', email: 'octocat@example.com' },
        },
      ],
      head_commit: { id: '199eddf46df50de8d02e99bf1c5fdb4101338224' },
      repository: {
        full_name: 'acme/widgets',
        clone_url: 'https://github.com/acme/widgets.git',
        html_url: 'https://github.com/acme/widgets',
      },
      pusher: { name: 'octocat', email: 'octocat@example.com' },
      sender: { login: 'octocat' },
      ...overrides,
    }),
  );
}

export interface SignedOptions {
  readonly provider?: string;
  readonly secret?: string;
  readonly eventName?: string;
  readonly deliveryId?: string;
  readonly contentType?: string;
}

/** A delivery signed the way the provider would sign it. */
export function signedDelivery(body: Buffer, options: SignedOptions = {}): IncomingDelivery {
  const provider = options.provider ?? 'github';
  const adapter = adapterFor(provider);
  const headers = adapter.deliveryHeaders({
    body,
    secret: options.secret ?? SECRET,
    eventName: options.eventName ?? adapter.pushEventName,
    deliveryId: options.deliveryId ?? '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  });
  return {
    providerSegment: provider,
    headers: normalizeHeaders({ 'Content-Type': options.contentType ?? 'application/json', ...headers }),
    body,
  };
}
