import { type SourceEvent, sourceEventDigest } from '../../../events';
import { RecordWindow } from '../../../shared/audit/window';
import { ConnectionDirectory } from '../../../shared/webhooks/connections';
import { WebhookError } from '../../../shared/webhooks/errors';
import { type IncomingDelivery, plain, REJECTION_WINDOW_MS, receiveDelivery } from '../../../shared/webhooks/receive';
import { githubPushBody, signedDelivery } from '../../support/deliveries';
import { PREVIOUS_SECRET, receiverFakes } from '../../support/receiver-fakes';

async function refusal(promise: Promise<unknown>): Promise<WebhookError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WebhookError)) throw new Error(`expected a WebhookError, got ${String(error)}`);
  return error;
}

describe('receiveDelivery', () => {
  it('publishes a signed push as one Source Push event and answers accepted', async () => {
    const f = receiverFakes();
    const receipt = await receiveDelivery(f.deps, signedDelivery(githubPushBody()));

    expect(receipt).toMatchObject({ outcome: 'accepted', deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    expect(f.bus.published).toHaveLength(1);
    expect(f.bus.published[0]).toMatchObject({
      source: 'gantry.webhooks',
      detailType: 'Source Push',
      detail: {
        schemaVersion: '1',
        eventId: 'github:72d3162e-cc78-11e3-81ab-4c9367dc0958:0',
        kind: 'push',
        branch: 'main',
        headSha: '199eddf46df50de8d02e99bf1c5fdb4101338224',
        repository: { fullName: 'acme/widgets' },
        receivedAt: '2026-11-23T10:00:00.000Z',
      },
    });
    expect(f.audit.records).toEqual([
      expect.objectContaining({
        type: 'webhook.accepted',
        outcome: 'success',
        subject: expect.objectContaining({ repository: 'acme/widgets' }),
      }),
    ]);
    expect([...f.deliveries.items.values()]).toEqual([expect.objectContaining({ state: 'published' })]);
  });

  it('records, with the delivery, the digest of each event exactly as published (what ResolvePlan will accept)', async () => {
    const f = receiverFakes();
    await receiveDelivery(f.deps, signedDelivery(githubPushBody()));
    const detail = f.bus.published[0]?.detail as SourceEvent;
    const [item] = [...f.deliveries.items.values()];
    expect(item?.sources).toEqual({ [detail.eventId]: sourceEventDigest(detail) });
    // The digest covers every field: a different clone URL is another change.
    const moved = { ...detail, repository: { ...detail.repository, cloneUrl: 'https://evil.example/x.git' } };
    expect(sourceEventDigest(moved)).not.toBe(item?.sources[detail.eventId]);
  });

  it('answers a redelivery as a duplicate and publishes nothing more', async () => {
    const f = receiverFakes();
    const delivery = signedDelivery(githubPushBody());
    await receiveDelivery(f.deps, delivery);

    const second = await receiveDelivery(f.deps, delivery);

    expect(second).toEqual({ outcome: 'duplicate', deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    expect(f.bus.published).toHaveLength(1);
  });

  it('deduplicates by a digest of the body when the provider sends no delivery id', async () => {
    const f = receiverFakes();
    const delivery = signedDelivery(githubPushBody());
    const { 'x-github-delivery': _, ...headers } = delivery.headers;
    const anonymous: IncomingDelivery = { ...delivery, headers };

    const first = await receiveDelivery(f.deps, anonymous);
    const second = await receiveDelivery(f.deps, anonymous);

    expect(first.deliveryId).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(second).toEqual({ outcome: 'duplicate', deliveryId: first.deliveryId });
    expect(f.bus.published).toHaveLength(1);
  });

  it('accepts a delivery signed with the previous secret while a rotation is under way', async () => {
    const f = receiverFakes();
    const receipt = await receiveDelivery(f.deps, signedDelivery(githubPushBody(), { secret: PREVIOUS_SECRET }));
    expect(receipt.outcome).toBe('accepted');
  });

  it('refuses the previous secret once its window after the rotation has passed: rotating a leaked secret revokes it', async () => {
    const f = receiverFakes();
    // Rotated at 09:00; the window is 24 hours.
    f.now = new Date('2026-11-24T09:00:01.000Z');
    await expect(
      refusal(receiveDelivery(f.deps, signedDelivery(githubPushBody(), { secret: PREVIOUS_SECRET }))),
    ).resolves.toMatchObject({ code: 'signature_invalid', status: 401 });
    await expect(receiveDelivery(f.deps, signedDelivery(githubPushBody()))).resolves.toMatchObject({
      outcome: 'accepted',
    });
  });

  it.each([
    ['signed with another secret', signedDelivery(githubPushBody(), { secret: 'not-the-secret' }), 'signature_invalid'],
    ['carrying no signature', unsigned(signedDelivery(githubPushBody())), 'signature_missing'],
  ])('refuses a delivery %s with 401, publishing and claiming nothing', async (_, delivery, code) => {
    const f = receiverFakes();
    const error = await refusal(receiveDelivery(f.deps, delivery));

    expect(error).toMatchObject({ code, status: 401 });
    expect(f.bus.published).toEqual([]);
    expect(f.deliveries.items.size).toBe(0);
    expect(f.audit.records).toEqual([
      expect.objectContaining({
        type: 'webhook.rejected',
        outcome: 'rejected',
        details: expect.objectContaining({ code, reason: error.message }),
      }),
    ]);
  });

  it('records junk deliveries once a minute per provider and code, counting the ones it only logged', async () => {
    // A script sends unsigned junk as fast as the stage lets it.
    const f = receiverFakes({ rejections: new RecordWindow(REJECTION_WINDOW_MS) });
    const junk = (i: number) => signedDelivery(githubPushBody({ i }), { secret: 'guess', deliveryId: `junk-${i}` });
    for (let i = 0; i < 50; i++) await refusal(receiveDelivery(f.deps, junk(i)));
    await refusal(receiveDelivery(f.deps, unsigned(signedDelivery(githubPushBody()))));
    expect(f.audit.records.map((r) => (r.details as { code?: string }).code)).toEqual([
      'signature_invalid',
      'signature_missing',
    ]);

    f.now = new Date(f.now.getTime() + REJECTION_WINDOW_MS);
    await refusal(receiveDelivery(f.deps, junk(50)));
    expect(f.audit.records.at(-1)?.details).toMatchObject({ code: 'signature_invalid', alsoRefused: 49 });
    // Each refusal is still answered as such, and logged.
    expect(f.logs.filter(([message]) => String(message).startsWith('delivery rejected'))).toHaveLength(52);
  });

  it('records every refusal of a body its signature verifies but no parser reads: the sender holds the secret', async () => {
    // A connection's own sender (or whoever holds its secret) sends truncated JSON, again and again.
    const f = receiverFakes({ rejections: new RecordWindow(REJECTION_WINDOW_MS) });
    const truncated = (i: number) =>
      signedDelivery(Buffer.from(`{"ref":"refs/heads/main","n":${i},`), { deliveryId: `cut-${i}` });
    for (let i = 0; i < 3; i++) {
      await expect(refusal(receiveDelivery(f.deps, truncated(i)))).resolves.toMatchObject({ status: 400 });
    }
    expect(f.audit.records).toHaveLength(3);
    expect(f.audit.records.map((r) => (r.details as { alsoRefused?: number }).alsoRefused)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(f.bus.published).toEqual([]);
  });

  describe('with several connections of a provider', () => {
    const twoConnections = (overrides: Parameters<typeof receiverFakes>[0] = {}, unreadable?: string) =>
      receiverFakes({
        connections: new ConnectionDirectory([
          { name: 'public', provider: 'github', secretId: 'secret-a', repositories: ['acme/widgets'] },
          { name: 'enterprise', provider: 'github', secretId: 'secret-b', repositories: ['acme/payments'] },
        ]),
        secrets: {
          connectionSecrets: async (id: string) => {
            if (id === unreadable) throw new Error('Secrets Manager throttled');
            return { current: { webhookSecret: id === 'secret-a' ? 'of-a' : 'of-b' } };
          },
        },
        ...overrides,
      });
    const push = (repository: string, secret: string) =>
      signedDelivery(githubPushBody({ repository: { full_name: repository } }), { secret, deliveryId: repository });

    it('answers an outsider the same for a configured repository and an unconfigured one', async () => {
      // An outsider without any secret probes which repositories Gantry serves.
      const f = twoConnections();
      const configured = await refusal(receiveDelivery(f.deps, push('acme/payments', 'guess')));
      const unconfigured = await refusal(receiveDelivery(f.deps, push('acme/secret-project', 'guess')));
      expect(unconfigured).toMatchObject({ code: configured.code, status: configured.status });
      expect(unconfigured.message).toBe(configured.message);
      expect(f.bus.published).toEqual([]);
      // The ledger says what an operator would fix, which the sender is not told.
      expect(f.audit.records.at(-1)).toMatchObject({
        type: 'webhook.rejected',
        details: {
          code: 'signature_invalid',
          repository: 'acme/secret-project',
          why: "no connection lists repository acme/secret-project, and none of the 2 github connections' secrets verifies the delivery",
        },
      });
    });

    it('tells a sender holding a connection secret that its repository is not listed', async () => {
      const f = twoConnections();
      await expect(refusal(receiveDelivery(f.deps, push('acme/new-service', 'of-b')))).resolves.toMatchObject({
        code: 'unknown_connection',
        message:
          "the delivery is signed with connection enterprise's secret, but names repository acme/new-service, which enterprise does not serve",
      });
      expect(f.bus.published).toEqual([]);
    });

    it('keeps junk for unlisted names from crowding out the refusal of a configured repository', async () => {
      const f = twoConnections({ rejections: new RecordWindow(REJECTION_WINDOW_MS) });
      for (let i = 0; i < 5; i++) await refusal(receiveDelivery(f.deps, push(`acme/junk-${i}`, 'guess')));
      // The payments hook still signs with a secret rotated out: its refusal is on the record.
      await refusal(receiveDelivery(f.deps, push('acme/payments', 'rotated-out')));
      // Someone holding a secret gets every refusal recorded.
      await refusal(receiveDelivery(f.deps, push('acme/new-a', 'of-b')));
      await refusal(receiveDelivery(f.deps, push('acme/new-b', 'of-b')));
      expect(f.audit.records.map((r) => (r.details as { repository?: string }).repository)).toEqual([
        'acme/junk-0',
        'acme/payments',
        'acme/new-a',
        'acme/new-b',
      ]);
    });

    it('answers the same when an unlisting connection secret cannot be read, and 503 only for the listed one', async () => {
      // The enterprise connection's secret is unreadable for a while.
      const f = twoConnections({}, 'secret-b');
      const listed = await refusal(receiveDelivery(f.deps, push('acme/widgets', 'guess')));
      const unlisted = await refusal(receiveDelivery(f.deps, push('acme/secret-project', 'guess')));
      expect([listed.status, unlisted.status]).toEqual([401, 401]);
      expect(unlisted.message).toBe(listed.message);
      await expect(refusal(receiveDelivery(f.deps, push('acme/payments', 'of-b')))).resolves.toMatchObject({
        code: 'unavailable',
        status: 503,
      });
    });

    it('still accepts a listed repository signed with its own connection secret only', async () => {
      const f = twoConnections();
      await expect(receiveDelivery(f.deps, push('acme/payments', 'of-b'))).resolves.toMatchObject({
        outcome: 'accepted',
      });
      await expect(refusal(receiveDelivery(f.deps, push('acme/widgets', 'of-b')))).resolves.toMatchObject({
        code: 'signature_invalid',
      });
    });
  });

  it('refuses events of a repository the verifying connection does not serve, in the ledger', async () => {
    // Two Bitbucket Data Center connections, each with its own secret and repository.
    const f = receiverFakes({
      connections: new ConnectionDirectory([
        { name: 'team-a', provider: 'bitbucket-dc', secretId: 'secret-a', repositories: ['TEAMA/app'] },
        { name: 'team-b', provider: 'bitbucket-dc', secretId: 'secret-b', repositories: ['TEAMB/payments'] },
      ]),
      secrets: {
        connectionSecrets: async (id: string) => ({ current: { webhookSecret: id === 'secret-a' ? 'of-a' : 'of-b' } }),
      },
    });
    const repository = (key: string, slug: string) => ({ slug, project: { key }, links: {} });
    // Signed with team A's secret; its top-level repository (which picks the secret) is A's, its
    // pull request (which the event is read from) B's.
    const body = Buffer.from(
      JSON.stringify({
        repository: repository('TEAMA', 'app'),
        actor: { name: 'mallory' },
        pullRequest: {
          id: 1,
          title: 'not from team B',
          state: 'OPEN',
          author: { user: { name: 'mallory' } },
          fromRef: {
            id: 'refs/heads/x',
            displayId: 'x',
            latestCommit: 'f'.repeat(40),
            repository: repository('TEAMB', 'payments'),
          },
          toRef: { id: 'refs/heads/main', displayId: 'main', repository: repository('TEAMB', 'payments') },
        },
      }),
    );
    const delivery = signedDelivery(body, {
      provider: 'bitbucket-dc',
      secret: 'of-a',
      eventName: 'pr:opened',
      deliveryId: 'd-1',
    });
    await expect(refusal(receiveDelivery(f.deps, delivery))).resolves.toMatchObject({
      code: 'unknown_connection',
      status: 401,
      message:
        "the delivery is signed with connection team-a's secret, but names repository TEAMB/payments, which team-a does not serve",
    });
    expect(f.bus.published).toEqual([]);
    expect(f.deliveries.items.size).toBe(0);
    // The ledger says which repository's hook is wrong, and what to fix, as the provider was told.
    expect(f.audit.records).toEqual([
      expect.objectContaining({
        type: 'webhook.rejected',
        outcome: 'rejected',
        details: expect.objectContaining({
          code: 'unknown_connection',
          repository: 'TEAMB/payments',
          reason:
            "the delivery is signed with connection team-a's secret, but names repository TEAMB/payments, which team-a does not serve",
        }),
      }),
    ]);
  });

  it('keeps only printable text of what a sender wrote in a refusal it records', () => {
    expect(plain('acme/\u202egnp.exe\u2028next line\u0000\u001b[2J')).toBe('acme/ gnp.exe next line  [2J');
    expect(plain('x'.repeat(600))).toHaveLength(500);
  });

  it('checks the signature before it reports a malformed body', async () => {
    const f = receiverFakes();
    const forged = signedDelivery(Buffer.from('{not json'), { secret: 'forged' });
    const genuine = signedDelivery(Buffer.from('{not json'));

    await expect(refusal(receiveDelivery(f.deps, forged))).resolves.toMatchObject({ status: 401 });
    await expect(refusal(receiveDelivery(f.deps, genuine))).resolves.toMatchObject({
      code: 'malformed_body',
      status: 400,
    });
  });

  it.each([
    ['an unknown provider', { providerSegment: 'sourceforge' }, 'unknown_provider', 404],
    ['an unsupported content type', { contentType: 'text/plain' }, 'unsupported_media_type', 415],
    ['a body over the limit', { body: githubPushBody({ padding: 'x'.repeat(70_000) }) }, 'payload_too_large', 413],
  ])('refuses %s', async (_, change, code, status) => {
    const f = receiverFakes();
    const { providerSegment, contentType, body } = change as {
      providerSegment?: string;
      contentType?: string;
      body?: Buffer;
    };
    const delivery = signedDelivery(body ?? githubPushBody(), contentType ? { contentType } : {});
    const error = await refusal(receiveDelivery(f.deps, providerSegment ? { ...delivery, providerSegment } : delivery));
    expect(error).toMatchObject({ code, status });
    expect(f.bus.published).toEqual([]);
  });

  it('refuses a signed delivery without its event header with 400', async () => {
    const f = receiverFakes();
    const delivery = signedDelivery(githubPushBody());
    const { 'x-github-event': _, ...headers } = delivery.headers;
    await expect(refusal(receiveDelivery(f.deps, { ...delivery, headers }))).resolves.toMatchObject({
      code: 'missing_header',
      status: 400,
      message: 'X-GitHub-Event is required',
    });
  });

  it('refuses a signed push whose payload lacks the fields a push needs with 400', async () => {
    const f = receiverFakes();
    const error = await refusal(receiveDelivery(f.deps, signedDelivery(Buffer.from('{"zen":"hi"}'))));
    expect(error).toMatchObject({ code: 'malformed_payload', status: 400 });
    expect(error.message).toContain('push payload is malformed at ref');
  });

  it('answers an event type Gantry does not act on as ignored, without claiming it', async () => {
    const f = receiverFakes();
    const receipt = await receiveDelivery(
      f.deps,
      signedDelivery(Buffer.from('{"action":"created"}'), { eventName: 'star' }),
    );
    expect(receipt).toMatchObject({ outcome: 'ignored', eventName: 'star' });
    expect(f.deliveries.items.size).toBe(0);
    expect(f.bus.published).toEqual([]);
  });

  it('dead-letters the raw delivery, without credentials, when the bus refuses it, and still accepts', async () => {
    const f = receiverFakes();
    f.bus.failWith = 'ThrottlingException';
    const delivery = signedDelivery(githubPushBody());
    const withToken = { ...delivery, headers: { ...delivery.headers, authorization: 'Basic c2VjcmV0' } };

    const receipt = await receiveDelivery(f.deps, withToken);

    expect(receipt).toMatchObject({ outcome: 'accepted', deadLettered: true });
    expect(f.deadLetters.letters).toHaveLength(1);
    const letter = f.deadLetters.letters[0];
    expect(letter).toMatchObject({
      provider: 'github',
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      reason: 'ThrottlingException',
      failedEventIds: ['github:72d3162e-cc78-11e3-81ab-4c9367dc0958:0'],
      body: { encoding: 'utf8', data: githubPushBody().toString('utf8') },
    });
    expect(letter?.headers).not.toHaveProperty('authorization');
    // Verified on receipt; a stored signature would only help a replay.
    expect(letter?.headers).not.toHaveProperty('x-hub-signature-256');
    expect(letter?.headers).toHaveProperty('x-github-event', 'push');
    expect([...f.deliveries.items.values()]).toEqual([expect.objectContaining({ state: 'dead_lettered' })]);
    // Accepted on record before anything was published; then where its events went instead.
    expect(f.audit.records.map((r) => [r.type, r.details])).toEqual([
      ['webhook.accepted', expect.not.objectContaining({ deadLettered: expect.anything() })],
      [
        'webhook.dead_lettered',
        {
          deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
          reason: 'ThrottlingException',
          failedEventIds: ['github:72d3162e-cc78-11e3-81ab-4c9367dc0958:0'],
        },
      ],
    ]);
  });

  it('answers 503 and forgets the claim when neither the bus nor the dead-letter queue takes the delivery', async () => {
    const f = receiverFakes();
    f.bus.failWith = 'InternalFailure';
    f.deadLetters.failing = true;
    const delivery = signedDelivery(githubPushBody());

    await expect(refusal(receiveDelivery(f.deps, delivery))).resolves.toMatchObject({
      code: 'unavailable',
      status: 503,
    });
    expect(f.deliveries.items.size).toBe(0);
    // The ledger says it was accepted and then went no further; the retry is a second acceptance.
    expect(f.audit.records.map((r) => r.type)).toEqual(['webhook.accepted', 'webhook.rejected']);
    expect(f.audit.records[1]?.details).toMatchObject({ code: 'unavailable', status: 503 });

    f.bus.failWith = undefined;
    await expect(receiveDelivery(f.deps, delivery)).resolves.toMatchObject({ outcome: 'accepted' });
    expect(f.bus.published).toHaveLength(1);
    expect(f.audit.records.map((r) => r.type)).toEqual(['webhook.accepted', 'webhook.rejected', 'webhook.accepted']);
  });

  it('answers 409 while another attempt holds a fresh claim, and takes over an abandoned one', async () => {
    const f = receiverFakes();
    const delivery = signedDelivery(githubPushBody());
    await f.deliveries.claim(
      { provider: 'github', deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958' },
      { at: f.now, leaseMs: 60_000, ttlSeconds: 60, repository: null, eventCount: 1, sources: {} },
    );

    await expect(refusal(receiveDelivery(f.deps, delivery))).resolves.toMatchObject({
      code: 'delivery_in_progress',
      status: 409,
    });

    f.now = new Date(f.now.getTime() + 61_000);
    await expect(receiveDelivery(f.deps, delivery)).resolves.toMatchObject({ outcome: 'accepted' });
  });

  it('answers 503 when the secrets cannot be read, so the provider retries', async () => {
    const f = receiverFakes();
    f.secrets.failing = true;
    await expect(refusal(receiveDelivery(f.deps, signedDelivery(githubPushBody())))).resolves.toMatchObject({
      code: 'unavailable',
      status: 503,
    });
  });

  it('publishes nothing until its acceptance is on record: a ledger outage answers 503 and releases the claims', async () => {
    const f = receiverFakes();
    f.audit.failing = true;
    const delivery = signedDelivery(githubPushBody());
    await expect(refusal(receiveDelivery(f.deps, delivery))).resolves.toMatchObject({
      status: 503,
    });
    // Nothing on the bus, so nothing Gantry published can reach ResolvePlan unrecorded (and be
    // refused there as forged for want of a record).
    expect(f.bus.published).toEqual([]);
    expect(f.deadLetters.letters).toEqual([]);
    expect(f.deliveries.items.size).toBe(0);
    expect(f.deliveries.contents.size).toBe(0);

    f.audit.failing = false;
    await expect(receiveDelivery(f.deps, delivery)).resolves.toMatchObject({ outcome: 'accepted' });
    expect(f.bus.published).toHaveLength(1);
    expect(f.audit.records.map((r) => r.type)).toEqual(['webhook.accepted']);
  });

  it('refuses a provider with no connection configured', async () => {
    const f = receiverFakes();
    const delivery = signedDelivery(Buffer.from('{}'), { provider: 'gitea' });
    await expect(refusal(receiveDelivery(f.deps, delivery))).resolves.toMatchObject({
      code: 'unknown_connection',
      status: 401,
    });
  });
});

function unsigned(delivery: IncomingDelivery): IncomingDelivery {
  const { 'x-hub-signature-256': _, ...headers } = delivery.headers;
  return { ...delivery, headers };
}
