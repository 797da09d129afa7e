import { jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { PlanOnlyInputSchema } from '../../../events';
import { StepInputError, stepHandler } from '../../../shared/lambda/step-handler';
import { observability } from '../../../shared/observability';
import { resolvePlan } from '../../../shared/pipelines/plan';
import { planRequest, sourceEvent } from '../../support/plans';

const context = {
  functionName: 'gantry-evaluate-gates',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:gantry-evaluate-gates',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

type Line = Record<string, unknown> & { _aws?: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] } };

let lines: Line[];
let warnings: string[];

beforeAll(() => {
  Object.assign(process.env, { POWERTOOLS_SERVICE_NAME: 'evaluate-gates', POWERTOOLS_METRICS_NAMESPACE: 'Gantry' });
});

beforeEach(() => {
  lines = [];
  warnings = [];
  jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.join(' ')));
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

const plan = resolvePlan(planRequest(sourceEvent({ deliveryId: 'delivery-42' })));
const logLines = () => lines.filter((l) => l._aws === undefined);
const emf = (metric: string) => lines.filter((l) => l._aws !== undefined && metric in l);

/** A step whose use case logs twice (as the real ones do, through the same logger) then ends as told. */
function makeStep(end: 'return' | 'throw') {
  const o11y = observability();
  const handler = stepHandler(o11y, PlanOnlyInputSchema, async () => {
    o11y.logger.info('first thing the use case says');
    o11y.logger.warn('second thing', { detail: 1 });
    if (end === 'throw') throw new Error('the provider answered 502');
    return { ok: true };
  });
  return (event: unknown) => handler(event, context);
}

describe('stepHandler logging', () => {
  it("puts the run's delivery id (correlation id) and run id on every log line of the step", async () => {
    await makeStep('return')({ plan });
    expect(logLines().length).toBeGreaterThanOrEqual(2);
    for (const line of logLines()) {
      expect(line).toMatchObject({ deliveryId: 'delivery-42', runId: plan.runId, pipeline: plan.pipeline });
    }
  });

  it('keeps them on the line that reports a failed step, and drops them before the next invocation', async () => {
    const step = makeStep('throw');
    await expect(step({ plan })).rejects.toThrow('the provider answered 502');
    const failure = logLines().find((l) => l.message === 'invocation failed');
    expect(failure).toMatchObject({ runId: plan.runId, deliveryId: 'delivery-42', level: 'ERROR' });
    lines = [];
    await expect(step({ plan: { runId: 'not a plan' } })).rejects.toBeInstanceOf(StepInputError);
    expect(logLines().length).toBeGreaterThan(0);
    for (const line of logLines()) expect(line).not.toHaveProperty('runId');
  });

  it.each([
    [
      'a change',
      { trigger: 'push', source: sourceEvent({ deliveryId: 'delivery-7' }) },
      { deliveryId: 'delivery-7', runId: 'run-1' },
    ],
    ['a rollback', { rollback: { runId: 'rollback-1' } }, { runId: 'rollback-1' }],
    ['a retry', { retry: { runId: 'retry-1' } }, { runId: 'retry-1' }],
  ])('reads the run keys ResolvePlan has before the plan exists, for %s', async (_, start, keys) => {
    const o11y = observability();
    const schema = z.object({
      pipeline: z.object({ name: z.string() }),
      execution: z.object({ name: z.string() }),
      start: z.unknown(),
    });
    const handler = stepHandler(o11y, schema, async () => o11y.logger.info('resolving'));
    await handler({ pipeline: { name: 'widgets' }, execution: { name: 'run-1' }, start }, context);
    expect(logLines().find((l) => l.message === 'resolving')).toMatchObject({ ...keys, pipeline: 'widgets' });
  });
});

describe('stepHandler metrics', () => {
  it('emits Invocations and Duration in the Gantry namespace, the outcome and pipeline as dimensions', async () => {
    await makeStep('return')({ plan });
    const [line] = emf('Invocations');
    expect(line).toMatchObject({
      Invocations: 1,
      Outcome: 'succeeded',
      Pipeline: plan.pipeline,
      service: 'evaluate-gates',
    });
    expect(line?.Duration).toEqual(expect.any(Number));
    const directive = line?._aws?.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe('Gantry');
    expect(directive?.Dimensions).toEqual([['service', 'Pipeline', 'Outcome']]);
    const names = lines.flatMap((l) => Object.keys(l));
    expect(names.some((n) => n.includes(plan.pipeline) || n.includes('succeeded'))).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('counts a throwing step as failed, and an invalid input as failed without a pipeline it cannot know', async () => {
    await expect(makeStep('throw')({ plan })).rejects.toThrow();
    expect(emf('Invocations')[0]).toMatchObject({ Outcome: 'failed', Pipeline: plan.pipeline });
    lines = [];
    await expect(makeStep('return')({})).rejects.toBeInstanceOf(StepInputError);
    const [line] = emf('Invocations');
    expect(line).toMatchObject({ Outcome: 'failed' });
    expect(line).not.toHaveProperty('Pipeline');
    expect(line?._aws?.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'Outcome']]);
  });

  it('never uses a run id or a commit as a dimension', async () => {
    await makeStep('return')({ plan });
    const dimensions = emf('Invocations').flatMap((l) => l._aws?.CloudWatchMetrics[0]?.Dimensions.flat() ?? []);
    expect(new Set(dimensions)).toEqual(new Set(['service', 'Outcome', 'Pipeline']));
  });
});
