import { forgejo } from '../../../../shared/webhooks/providers/gitea';
import { hmacSha256 } from '../../../../shared/webhooks/signatures';
import { fixture, fixtureBody, onlyChange, requestOf } from './support';

const DIR = 'forgejo';

describe('forgejo.normalize', () => {
  it('reads a Gitea-format push', () => {
    expect(onlyChange(forgejo, 'push', fixture(DIR, 'push.json'))).toMatchObject({
      kind: 'push',
      repository: {
        fullName: 'gantry-org/gantry-demo',
        cloneUrl: 'https://forgejo.example.org/gantry-org/gantry-demo.git',
      },
      branch: 'main',
      headSha: '9b8e7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d',
      forced: null,
    });
  });

  it('maps a reopened pull request to opened', () => {
    expect(onlyChange(forgejo, 'pull_request', fixture(DIR, 'pull-request-reopened.json')).pullRequest).toMatchObject({
      rawAction: 'reopened',
      action: 'opened',
    });
  });
});

describe('forgejo delivery headers', () => {
  const body = fixtureBody(DIR, 'push.json');
  const hex = hmacSha256('s3cret', body).toString('hex');
  const other = hmacSha256('other', body).toString('hex');

  it.each([
    ['X-Forgejo-Signature', { 'X-Forgejo-Signature': hex }, 'valid'],
    ['the X-Gitea-Signature copy', { 'X-Gitea-Signature': hex }, 'valid'],
    ['X-Forgejo-Signature over the X-Gitea copy', { 'X-Forgejo-Signature': hex, 'X-Gitea-Signature': other }, 'valid'],
    ['a wrong X-Forgejo-Signature', { 'X-Forgejo-Signature': other, 'X-Gitea-Signature': hex }, 'invalid'],
  ])('verifies %s', (_label, headers, expected) => {
    expect(forgejo.verify(requestOf(forgejo, headers, body), ['s3cret'])).toBe(expected);
  });

  it.each([
    [{ 'X-Forgejo-Event': 'push', 'X-Forgejo-Event-Type': 'push', 'X-Forgejo-Delivery': 'f-1' }, 'push', 'f-1'],
    [{ 'X-Gitea-Event': 'pull_request', 'X-Gitea-Delivery': 'g-1' }, 'pull_request', 'g-1'],
    [{ 'X-Forgejo-Event': 'pull_request', 'X-Gitea-Event-Type': 'pull_request_sync' }, 'pull_request_sync', undefined],
  ])('reads the event name and delivery id from %j', (headers, eventName, deliveryId) => {
    const request = requestOf(forgejo, headers, body);
    expect(forgejo.eventName(request, {})).toBe(eventName);
    expect(forgejo.deliveryId(request, {})).toBe(deliveryId);
  });

  it('sends both the X-Forgejo-* headers and the X-Gitea-* copies', () => {
    const headers = forgejo.deliveryHeaders({ body, secret: 's3cret', eventName: 'push', deliveryId: 'd' });
    expect(headers).toEqual({
      'X-Forgejo-Event': 'push',
      'X-Forgejo-Event-Type': 'push',
      'X-Forgejo-Delivery': 'd',
      'X-Forgejo-Signature': hex,
      'X-Gitea-Event': 'push',
      'X-Gitea-Event-Type': 'push',
      'X-Gitea-Delivery': 'd',
      'X-Gitea-Signature': hex,
    });
  });

  it('names its own event header in the missing-header message', () => {
    expect(forgejo.eventNameSource).toBe('X-Forgejo-Event');
  });
});
