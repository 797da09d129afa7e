import type * as z from 'zod/mini';
import type { Observability } from '../observability';
import { invalidMessage, observedHandler } from './handler';
import { runKeysOf } from './run-keys';

/** A state's input that does not match its schema: a bug in the definition, never retried. */
export class StepInputError extends Error {
  override readonly name = 'Gantry.InvalidStepInput';
}

/**
 * A Step Functions task handler: the input parsed with the step's zod schema, one use case
 * called. Every log line of the step carries the run's `deliveryId` (the correlation id) and
 * `runId`; its metrics carry the `Pipeline` dimension. What the use case throws fails the task
 * with the error's name, which the state machine's Retry/Catch match on.
 */
export function stepHandler<S extends z.ZodMiniType, R>(
  o11y: Observability,
  schema: S,
  step: (input: z.infer<S>) => Promise<R>,
  /** Called before an invalid input fails the task: a step that starts a run records it as forged. */
  onInvalid?: (event: unknown, message: string) => Promise<void>,
) {
  return observedHandler<unknown, R>(o11y, async (event, labels) => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      const message = invalidMessage(parsed.error, 'step input');
      await onInvalid?.(event, message);
      throw new StepInputError(message);
    }
    const keys = runKeysOf(parsed.data);
    o11y.logger.appendKeys({ ...keys });
    if (keys.pipeline) labels.pipeline = keys.pipeline;
    return step(parsed.data);
  });
}
