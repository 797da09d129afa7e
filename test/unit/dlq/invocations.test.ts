import { deadLettersTable, describeDeadLetter } from '../../../cli/dlq';
import { redriveInvocationLetter } from '../../../shared/dlq/invocations';
import { type InvocationLetter, letterOf, reasonOf, subjectOf } from '../../../shared/dlq/letters';
import type { HeldMessage } from '../../../shared/dlq/queue';

const QUEUE = 'arn:aws:sqs:eu-west-1:000000000000:trigger-dlq';
const FUNCTION = 'arn:aws:lambda:eu-west-1:000000000000:function:gantry-deploy-events';
const EVENT = {
  source: 'aws.codedeploy',
  'detail-type': 'CodeDeploy Deployment State-change Notification',
  detail: { deploymentId: 'd-ABC', state: 'SUCCESS' },
};
/** What Lambda sends to an on-failure destination once it gives up on an asynchronous invocation. */
const RECORD = {
  version: '1.0',
  timestamp: '2026-12-07T10:00:00.000Z',
  requestContext: {
    requestId: 'e4b46cbf-b738-4b2b-8d2b-000000000000',
    functionArn: `${FUNCTION}:$LATEST`,
    condition: 'RetriesExhausted',
    approximateInvokeCount: 3,
  },
  requestPayload: EVENT,
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  responsePayload: { errorType: 'ProvisionedThroughputExceededException', errorMessage: 'the ledger is throttled' },
};

const message = (body: unknown, attributes: Record<string, string> = {}): HeldMessage => ({
  queue: 'triggers',
  messageId: 'm-1',
  receipt: 'r-1',
  body: typeof body === 'string' ? body : JSON.stringify(body),
  attributes,
  sentAt: new Date('2026-12-07T10:00:01Z'),
  receiveCount: 1,
});

describe('a failed asynchronous invocation in the triggers queue', () => {
  it('is read from Lambda’s on-failure record: the function, its event, how often it ran and why it failed', () => {
    const letter = letterOf(message(RECORD));
    expect(letter).toEqual({
      kind: 'invocation',
      functionArn: `${FUNCTION}:$LATEST`,
      payload: EVENT,
      condition: 'RetriesExhausted',
      invokeCount: 3,
      error: 'ProvisionedThroughputExceededException: the ledger is throttled',
    });
    expect(subjectOf(letter)).toBe('→ gantry-deploy-events (asynchronous invocation)');
    expect(reasonOf(letter)).toBe(
      'RetriesExhausted after 3 attempts: ProvisionedThroughputExceededException: the ledger is throttled',
    );
  });

  it.each([
    ['a record without the event it failed on', { ...RECORD, requestPayload: undefined }],
    [
      'a record naming something that is not a function',
      {
        ...RECORD,
        requestContext: {
          ...RECORD.requestContext,
          functionArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:x',
        },
      },
    ],
    ['an EventBridge event without its attributes', EVENT],
    [
      'a record whose function name would write to the terminal',
      {
        ...RECORD,
        requestContext: { ...RECORD.requestContext, functionArn: `${FUNCTION}\n\u001b[2Kredriven:$LATEST` },
      },
    ],
    [
      'a record naming a qualifier and more',
      { ...RECORD, requestContext: { ...RECORD.requestContext, functionArn: `${FUNCTION}:1:extra` } },
    ],
  ])('is foreign when it is %s', (_what, body) => {
    const letter = letterOf(message(JSON.parse(JSON.stringify(body))));
    expect(letter).toMatchObject({ kind: 'foreign', why: expect.stringContaining('nor a record of an invocation') });
  });

  it('is shown by `gantry dlq list` and `show` with the function, its attempts and the event redrive would send', () => {
    const letter = letterOf(message(RECORD));
    const view = {
      queue: 'triggers' as const,
      messageId: 'm-1',
      letter,
      subject: subjectOf(letter),
      reason: reasonOf(letter),
      sentAt: new Date('2026-12-07T10:00:01Z'),
      expiresAt: new Date('2026-12-21T10:00:01Z'),
      receiveCount: 1,
    };
    const now = new Date('2026-12-07T11:00:01Z');
    expect(deadLettersTable([view], now)).toContain('→ gantry-deploy-events (asynchronous invocation)');
    const shown = describeDeadLetter(view, now);
    expect(shown).toContain(`function     ${FUNCTION}:$LATEST`);
    expect(shown).toContain('attempts     3 (RetriesExhausted)');
    expect(shown).toContain(`Redrive invokes that function, asynchronously, with:\n  ${JSON.stringify(EVENT)}`);
  });

  it('is still an EventBridge trigger letter when the message has EventBridge’s attributes', () => {
    const letter = letterOf(message(EVENT, { RULE_ARN: 'arn:aws:events:eu-west-1:0:rule/r', TARGET_ARN: FUNCTION }));
    expect(letter.kind).toBe('trigger');
  });
});

describe('redriveInvocationLetter', () => {
  const letter = letterOf(message(RECORD)) as InvocationLetter;
  const deps = (destination: string | undefined, fail?: Error) => {
    const invoked: { name: string; qualifier: string; payload: string }[] = [];
    const asked: string[] = [];
    return {
      invoked,
      asked,
      deps: {
        queueArn: QUEUE,
        configs: {
          onFailureOf: async (name: string, qualifier: string) => {
            asked.push(`${name}:${qualifier}`);
            return destination;
          },
        },
        invoker: {
          invokeAsync: async (name: string, qualifier: string, payload: string) => {
            if (fail) throw fail;
            invoked.push({ name, qualifier, payload });
            return 'an invocation (request r-9)';
          },
        },
      },
    };
  };

  it('invokes the function that gave up, asynchronously, with the very event, when its failures come to this queue', async () => {
    const { deps: d, invoked, asked } = deps(QUEUE);
    const result = await redriveInvocationLetter(d, letter);
    expect(result).toEqual({
      status: 'redriven',
      detail: 'invoked gantry-deploy-events: an invocation (request r-9)',
    });
    expect(asked).toEqual(['gantry-deploy-events:$LATEST']);
    expect(invoked).toEqual([{ name: 'gantry-deploy-events', qualifier: '$LATEST', payload: JSON.stringify(EVENT) }]);
  });

  it.each([
    ['a function whose failures go elsewhere (a record put here to run it)', `${QUEUE}-other`],
    ['a function with no on-failure destination, or none at all', undefined],
  ])('keeps a record of %s, and invokes nothing', async (_what, destination) => {
    const { deps: d, invoked } = deps(destination);
    const result = await redriveInvocationLetter(d, letter);
    expect(result).toMatchObject({ status: 'kept', code: 'unknown_target' });
    expect(result.detail).toContain('does not send its failed invocations to this queue');
    expect(invoked).toEqual([]);
  });

  it('asks about, and invokes, the very version the record names', async () => {
    const { deps: d, invoked, asked } = deps(QUEUE);
    const versioned = { ...letter, functionArn: `${FUNCTION}:7` };
    expect(await redriveInvocationLetter(d, versioned)).toMatchObject({ status: 'redriven' });
    expect(asked).toEqual(['gantry-deploy-events:7']);
    expect(invoked.map((i) => i.qualifier)).toEqual(['7']);
  });

  it('keeps a record naming a function of another account or region, and asks nothing about it', async () => {
    for (const elsewhere of [
      'arn:aws:lambda:eu-west-1:999999999999:function:gantry-deploy-events:$LATEST',
      'arn:aws:lambda:us-east-1:000000000000:function:gantry-deploy-events:$LATEST',
    ]) {
      const { deps: d, invoked, asked } = deps(QUEUE);
      const result = await redriveInvocationLetter(d, { ...letter, functionArn: elsewhere });
      expect(result).toMatchObject({ status: 'kept', code: 'unknown_target' });
      expect(result.detail).toContain("is not in this queue's account and region");
      expect({ asked, invoked }).toEqual({ asked: [], invoked: [] });
    }
  });

  it('keeps the record, to try again later, when the invocation cannot be sent', async () => {
    const { deps: d } = deps(QUEUE, Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    expect(await redriveInvocationLetter(d, letter)).toEqual({
      status: 'kept',
      code: 'send_failed',
      detail: 'gantry-deploy-events: TooManyRequestsException: Rate exceeded',
    });
  });
});
