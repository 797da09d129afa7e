import type { TriggerLetter } from '../../../shared/dlq/letters';
import { type RuleTarget, redriveTriggerLetter, type TargetStarter } from '../../../shared/dlq/triggers';

const QUEUE = 'arn:aws:sqs:eu-west-1:000000000000:trigger-dlq';
const RULE = 'arn:aws:events:eu-west-1:000000000000:rule/gantry/gantry-widgets-push';
const ADMISSION: RuleTarget = {
  id: 'admission',
  arn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:admission',
  inputTransformer: { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"trigger":"push","source":<detail>}' },
  deadLetterArn: QUEUE,
};
const LETTER: TriggerLetter = {
  kind: 'trigger',
  event: { source: 'gantry.webhooks', 'detail-type': 'Source Push', detail: { eventId: 'github:d-1:0' } },
  ruleArn: RULE,
  targetArn: ADMISSION.arn,
  errorCode: 'SDK_CLIENT_ERROR',
  errorMessage: '',
  retryAttempts: '8',
};

function starter(fail?: Error) {
  const started: { arn: string; input: string }[] = [];
  const targets: TargetStarter = {
    inputFor: (target, event) => JSON.stringify({ target: target.id, detail: event.detail }),
    start: async (arn, input) => {
      if (fail) throw fail;
      started.push({ arn, input });
      return `${arn}:execution-1`;
    },
  };
  return { targets, started };
}

const rulesWith = (targets: readonly RuleTarget[] | undefined) => ({ targetsOf: async () => targets });

describe('redriveTriggerLetter', () => {
  it('starts the one target that missed the event, with that target’s input, and no other target of the rule', async () => {
    const other: RuleTarget = {
      ...ADMISSION,
      id: 'audit',
      arn: 'arn:aws:lambda:eu-west-1:000000000000:function:audit',
    };
    const { targets, started } = starter();
    const result = await redriveTriggerLetter(
      { rules: rulesWith([other, ADMISSION]), targets, queueArn: QUEUE },
      LETTER,
    );
    expect(result).toEqual({ status: 'redriven', detail: `started ${ADMISSION.arn}:execution-1` });
    expect(started).toEqual([
      { arn: ADMISSION.arn, input: '{"target":"admission","detail":{"eventId":"github:d-1:0"}}' },
    ]);
  });

  it.each([
    ['a rule that no longer exists', undefined, /rule \S+ no longer exists/],
    ['a target the rule does not have (the pipeline itself, to skip admission)', [ADMISSION], /has no target/],
    [
      'a target that dead-letters elsewhere',
      [{ ...ADMISSION, deadLetterArn: `${QUEUE}-other` }],
      /does not dead-letter into this queue/,
    ],
    [
      'a target without a dead-letter queue',
      [{ ...ADMISSION, deadLetterArn: undefined }],
      /does not dead-letter into this queue/,
    ],
  ] as const)('keeps a letter naming %s, and starts nothing', async (_what, ruleTargets, why) => {
    const { targets, started } = starter();
    const letter =
      ruleTargets?.[0] === ADMISSION
        ? { ...LETTER, targetArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:gantry-pipeline-widgets' }
        : LETTER;
    const result = await redriveTriggerLetter(
      { rules: rulesWith(ruleTargets as readonly RuleTarget[] | undefined), targets, queueArn: QUEUE },
      letter,
    );
    expect(result).toMatchObject({ status: 'kept', code: 'unknown_target', detail: expect.stringMatching(why) });
    expect(started).toHaveLength(0);
  });

  it('keeps a letter for a kind of target it cannot start as EventBridge would', async () => {
    const queueTarget: RuleTarget = { ...ADMISSION, arn: 'arn:aws:sqs:eu-west-1:000000000000:elsewhere' };
    const { targets, started } = starter();
    const result = await redriveTriggerLetter(
      { rules: rulesWith([queueTarget]), targets, queueArn: QUEUE },
      { ...LETTER, targetArn: queueTarget.arn },
    );
    expect(result).toMatchObject({ status: 'kept', code: 'unsupported_target' });
    expect(started).toHaveLength(0);
  });

  it('keeps the letter, with the error, when the target still fails', async () => {
    const { targets } = starter(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const result = await redriveTriggerLetter({ rules: rulesWith([ADMISSION]), targets, queueArn: QUEUE }, LETTER);
    expect(result).toEqual({
      status: 'kept',
      code: 'send_failed',
      detail: `${ADMISSION.arn}: AccessDeniedException: denied`,
    });
  });
});
