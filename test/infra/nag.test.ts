import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { synthGantry } from '../support/cdk';

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([id, reason]) => ({ path: c.node.path, id, reason })),
  );
}

describe('cdk-nag AWS Solutions checks', () => {
  it('find nothing unacknowledged in either stack', () => {
    const { app } = synthGantry(undefined, true);
    expect(() => app.synth({ force: true })).not.toThrow();
  });

  it('accept only acknowledgements that give a reason', () => {
    const { app } = synthGantry(undefined, true);
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack.reason.trim().length).toBeGreaterThan(30);
  });
});
