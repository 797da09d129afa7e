import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { z } from 'zod';
import type { Observability } from '../observability';

/** A state's input that does not match its schema: a bug in the definition, never retried. */
export class StepInputError extends Error {
  override readonly name = 'Gantry.InvalidStepInput';
}

/**
 * A Step Functions task handler: Powertools logger/tracer/metrics, the input parsed with the
 * step's zod schema, one use case called. What the use case throws fails the task with the
 * error's name, which the state machine's Retry/Catch match on.
 */
export function stepHandler<S extends z.ZodType, R>(
  o11y: Observability,
  schema: S,
  step: (input: z.infer<S>) => Promise<R>,
  /** Called before an invalid input fails the task: a step that starts a run records it as forged. */
  onInvalid?: (event: unknown, message: string) => Promise<void>,
) {
  const run = async (event: unknown): Promise<R> => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const message = `invalid step input at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
      await onInvalid?.(event, message);
      throw new StepInputError(message);
    }
    return step(parsed.data);
  };
  return middy(run)
    .use(injectLambdaContext(o11y.logger))
    .use(captureLambdaHandler(o11y.tracer))
    .use(logMetrics(o11y.metrics));
}
