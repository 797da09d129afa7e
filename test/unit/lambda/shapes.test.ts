import { jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { DeploymentStateChangeSchema, NotificationInputSchema } from '../../../events';
import { EventInputError, eventHandler } from '../../../shared/lambda/event-handler';
import { httpHandler, jsonResponse, lowerCaseHeaders, rawBodyOf } from '../../../shared/lambda/http-handler';
import { observability } from '../../../shared/observability';
import { busEvent, RUN } from '../notify/fakes';

const context = {
  functionName: 'gantry-notify',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:gantry-notify',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

type Line = Record<string, unknown> & { _aws?: unknown };

let lines: Line[];

beforeAll(() => {
  Object.assign(process.env, { POWERTOOLS_SERVICE_NAME: 'notify', POWERTOOLS_METRICS_NAMESPACE: 'Gantry' });
});

beforeEach(() => {
  lines = [];
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(
        ...String(chunk)
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Line),
      );
      return true;
    });
  }
});

afterEach(() => jest.restoreAllMocks());

const logLines = () => lines.filter((l) => l._aws === undefined);
const outcomeOf = () => lines.find((l) => l._aws !== undefined && 'Invocations' in l)?.Outcome;

const succeeded = busEvent('Run Succeeded', { ...RUN, deployed: true, endedAt: '2026-05-01T10:00:00.000Z' }, 'event-9');

describe('eventHandler', () => {
  it("hands the use case the parsed event and puts the event's id and run id on every log line", async () => {
    const o11y = observability();
    const seen: unknown[] = [];
    const handler = eventHandler(o11y, NotificationInputSchema, async (event) => {
      seen.push(event);
      o11y.logger.info('handled');
      return 'ok';
    });

    await expect(handler(succeeded, context)).resolves.toBe('ok');

    expect(seen).toEqual([{ detailType: 'Run Succeeded', detail: expect.objectContaining({ runId: RUN.runId }) }]);
    expect(logLines().find((l) => l.message === 'handled')).toMatchObject({
      correlationId: 'event-9',
      runId: RUN.runId,
    });
    expect(outcomeOf()).toBe('succeeded');
  });

  it('fails an event its schema refuses, without calling the use case, so it is retried', async () => {
    const o11y = observability();
    const handle = jest.fn(async () => 'ok');
    const handler = eventHandler(o11y, NotificationInputSchema, handle);

    await expect(handler({ ...succeeded, source: 'gantry.webhooks' }, context)).rejects.toBeInstanceOf(EventInputError);

    expect(handle).not.toHaveBeenCalled();
    expect(logLines().find((l) => l.message === 'invocation failed')).toMatchObject({
      correlationId: 'event-9',
      error: { name: 'Gantry.InvalidEvent', message: expect.stringMatching(/^invalid event at source/) },
    });
    expect(outcomeOf()).toBe('failed');
  });

  it('answers an event it may ignore with `unmatched`, and logs why', async () => {
    const o11y = observability();
    const handle = jest.fn(async () => 'handled');
    const handler = eventHandler(o11y, DeploymentStateChangeSchema, handle, { unmatched: () => 'ignored' });

    await expect(handler(succeeded, context)).resolves.toBe('ignored');

    expect(handle).not.toHaveBeenCalled();
    expect(logLines().find((l) => l.message === 'event ignored')).toMatchObject({ correlationId: 'event-9' });
  });

  it("uses the function's own keys when its event is not EventBridge's", async () => {
    const o11y = observability();
    const handler = eventHandler(
      o11y,
      DeploymentStateChangeSchema.shape.detail,
      async () => o11y.logger.info('handled'),
      { keysOf: (event) => ({ correlationId: event.deploymentId }) },
    );

    await handler({ deploymentId: 'd-ABC', application: 'a', deploymentGroup: 'g', state: 'SUCCESS' }, context);

    expect(logLines().find((l) => l.message === 'handled')).toMatchObject({ correlationId: 'd-ABC' });
  });
});

/** An API Gateway proxy event as API Gateway sends it: more fields than the schema reads. */
function proxyEvent(overrides: Record<string, unknown> = {}) {
  return {
    resource: '/runs/{runId}/decision',
    path: '/runs/run-7/decision',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Gantry-Caller': 'proof' },
    multiValueHeaders: { 'Content-Type': ['application/json'] },
    pathParameters: { runId: 'run-7' },
    queryStringParameters: null,
    stageVariables: null,
    body: Buffer.from('{"decision":"approve"}').toString('base64'),
    isBase64Encoded: true,
    requestContext: { requestId: 'apigw-req-1', identity: { userArn: 'arn:aws:iam::1:user/alice', sourceIp: '1' } },
    ...overrides,
  };
}

describe('httpHandler', () => {
  it("hands the use case the request, with API Gateway's request id and the path's run id on every log line", async () => {
    const o11y = observability();
    const handler = httpHandler(o11y, async (request) => {
      o11y.logger.info('answering');
      return jsonResponse(200, {
        body: rawBodyOf(request).toString('utf8'),
        caller: lowerCaseHeaders(request)['x-gantry-caller'],
        userArn: request.requestContext?.identity?.userArn,
      });
    });

    const response = await handler(proxyEvent(), context);

    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ body: '{"decision":"approve"}', caller: 'proof', userArn: 'arn:aws:iam::1:user/alice' }),
    });
    expect(logLines().find((l) => l.message === 'answering')).toMatchObject({
      correlationId: 'apigw-req-1',
      runId: 'run-7',
    });
    expect(outcomeOf()).toBe('succeeded');
  });

  it('answers 400, without calling the use case, a request API Gateway could not have sent', async () => {
    const o11y = observability();
    const answer = jest.fn(async () => jsonResponse(200, {}));
    const handler = httpHandler(o11y, answer);

    const response = await handler(proxyEvent({ httpMethod: undefined }), context);

    expect(answer).not.toHaveBeenCalled();
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'invalid_request' } });
    expect(outcomeOf()).toBe('refused');
  });

  it('counts a 5xx answer as failed', async () => {
    const handler = httpHandler(observability(), async () => jsonResponse(503, {}, { 'retry-after': '30' }));
    expect(await handler(proxyEvent(), context)).toMatchObject({
      statusCode: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '30' },
    });
    expect(outcomeOf()).toBe('failed');
  });
});
