import { type AuditEvent, detailsOf } from '../../../events';

const granted: Pick<AuditEvent, 'type' | 'details'> = {
  type: 'approval.granted',
  details: { reason: 'release notes checked', principal: 'arn:aws:iam::123456789012:user/bob' },
};

describe('detailsOf', () => {
  it("returns a stored event's details as its type's schema reads them", () => {
    expect(detailsOf(granted, 'approval.granted')).toEqual({
      reason: 'release notes checked',
      principal: 'arn:aws:iam::123456789012:user/bob',
    });
  });

  it('returns nothing for an event of another type, even one whose details would fit', () => {
    expect(detailsOf(granted, 'approval.rejected')).toBeUndefined();
    expect(detailsOf(undefined, 'approval.granted')).toBeUndefined();
  });

  it('returns nothing for details that break their schema, so a reader reports a gap instead of a guess', () => {
    expect(detailsOf({ type: 'approval.granted', details: { reason: '' } }, 'approval.granted')).toBeUndefined();
    expect(
      detailsOf({ type: 'gate.evaluated', details: { passed: 'yes', reasons: [] } }, 'gate.evaluated'),
    ).toBeUndefined();
  });

  it("fills a schema's defaults: a delivery recorded before commits were kept lists none", () => {
    const accepted = detailsOf(
      { type: 'webhook.accepted', details: { deliveryId: 'd-1', eventName: 'push', events: [], deadLettered: false } },
      'webhook.accepted',
    );
    expect(accepted?.commits).toEqual([]);
  });
});
