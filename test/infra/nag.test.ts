import { Validations } from 'aws-cdk-lib';
import { CfnQueue } from 'aws-cdk-lib/aws-sqs';
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

  it('run: a queue with no encryption and no TLS policy fails the synthesis, and passes without the checks', () => {
    for (const nag of [true, false]) {
      const { app, data } = synthGantry(undefined, nag);
      new CfnQueue(data, 'Unguarded', { sqsManagedSseEnabled: false });
      const synth = () => app.synth({ force: true });
      if (nag) expect(synth).toThrow(/AwsSolutions-SQS/);
      else expect(synth).not.toThrow();
    }
  });

  it('accept only acknowledgements that give a reason', () => {
    const { app } = synthGantry(undefined, true);
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack.reason.trim().length).toBeGreaterThan(30);
  });
});
