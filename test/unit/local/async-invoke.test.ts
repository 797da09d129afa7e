import { invokeAsynchronously } from '../../../local/lambda/async-invoke';
import type { InvokeOutcome } from '../../../local/lambda/types';
import { letterOf } from '../../../shared/dlq/letters';

const FUNCTION = 'arn:aws:lambda:eu-west-1:000000000000:function:gantry-deploy-events';
const QUEUE = 'arn:aws:sqs:eu-west-1:000000000000:trigger-dlq';
const EVENT = { source: 'aws.codedeploy', detail: { deploymentId: 'd-1' } };
const failure = (message: string): InvokeOutcome => ({
  ok: false,
  errorType: 'ProvisionedThroughputExceededException',
  errorMessage: message,
  trace: ['at append'],
});

/** A function that fails its first `failures` attempts, and the queue Lambda would send to. */
function rig(failures: number, errorType?: string) {
  const attempts: unknown[] = [];
  const sent: { arn: string; body: string }[] = [];
  return {
    attempts,
    sent,
    call: {
      invoker: {
        invoke: async (_arn: string, payload: unknown): Promise<InvokeOutcome> => {
          attempts.push(payload);
          if (errorType !== undefined) return { ok: false, errorType, errorMessage: 'nope', trace: [] };
          return attempts.length <= failures
            ? failure(`attempt ${attempts.length} failed`)
            : { ok: true, payload: null };
        },
      },
      functionArn: FUNCTION,
      payload: EVENT,
      sendTo: async (arn: string, body: string) => void sent.push({ arn, body }),
      // Lambda's one and two minutes between attempts, 60,000 times faster.
      timeScale: 60_000,
    },
  };
}

describe('an asynchronous invocation, as Lambda runs one it accepted', () => {
  it('tries again after a failure, and sends nothing once an attempt succeeds', async () => {
    const { call, attempts, sent } = rig(2);
    const out = await invokeAsynchronously({ ...call, config: { maximumRetryAttempts: 2, onFailure: QUEUE } });
    expect(out).toEqual({ status: 'succeeded' });
    expect(attempts).toEqual([EVENT, EVENT, EVENT]);
    expect(sent).toEqual([]);
  });

  it('gives up after 1 + MaximumRetryAttempts attempts and sends Lambda’s record, which redrive reads back', async () => {
    const { call, attempts, sent } = rig(9);
    const out = await invokeAsynchronously({ ...call, config: { maximumRetryAttempts: 2, onFailure: QUEUE } });
    expect(out).toEqual({ status: 'sent', attempts: 3 });
    expect(attempts).toHaveLength(3);
    expect(sent.map((s) => s.arn)).toEqual([QUEUE]);
    const record = JSON.parse(sent[0]?.body ?? '{}');
    expect(record).toMatchObject({
      requestContext: { functionArn: `${FUNCTION}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: EVENT,
      responsePayload: { errorType: 'ProvisionedThroughputExceededException', errorMessage: 'attempt 3 failed' },
    });
    const held = {
      queue: 'triggers' as const,
      messageId: 'm',
      receipt: 'r',
      attributes: {},
      sentAt: new Date(),
      receiveCount: 1,
    };
    expect(letterOf({ ...held, body: sent[0]?.body ?? '' })).toMatchObject({
      kind: 'invocation',
      functionArn: `${FUNCTION}:$LATEST`,
      payload: EVENT,
    });
  });

  it('drops the event after its attempts when the function has no on-failure destination, as Lambda does', async () => {
    const { call, attempts, sent } = rig(9);
    const out = await invokeAsynchronously({ ...call, config: { maximumRetryAttempts: 0 } });
    expect(out).toMatchObject({ status: 'dropped', attempts: 1, error: expect.stringContaining('attempt 1 failed') });
    expect(attempts).toHaveLength(1);
    expect(sent).toEqual([]);
  });

  it('retries a handler error whatever its type says (a handler’s own ResourceNotFoundException is not a missing function)', async () => {
    const { call, attempts, sent } = rig(0, 'ResourceNotFoundException');
    const out = await invokeAsynchronously({ ...call, config: { maximumRetryAttempts: 2, onFailure: QUEUE } });
    expect(out).toEqual({ status: 'sent', attempts: 3 });
    expect(attempts).toHaveLength(3);
    expect(sent).toHaveLength(1);
  });

  it('stops waiting between attempts when the plane stops, and sends nothing (the bus delivers the event again)', async () => {
    const { call, attempts, sent } = rig(9);
    const stopping = new AbortController();
    const out = invokeAsynchronously({
      ...call,
      timeScale: 1,
      signal: stopping.signal,
      config: { maximumRetryAttempts: 2, onFailure: QUEUE },
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    stopping.abort();
    expect(await out).toEqual({ status: 'stopped' });
    expect(attempts).toHaveLength(1);
    expect(sent).toEqual([]);
  });
});
