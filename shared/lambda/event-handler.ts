import type * as z from 'zod/mini';
import type { Observability } from '../observability';
import { invalidMessage, observedHandler } from './handler';
import { busEventKeysOf, type RunKeys } from './run-keys';

/** An event that does not match its schema, for a function that must not ignore one. */
export class EventInputError extends Error {
  override readonly name = 'Gantry.InvalidEvent';
}

/** How an event-driven function treats its input; every part has a default. */
export interface EventHandlerOptions<T, R> {
  /**
   * The keys every log line of the invocation carries.
   * @default busEventKeysOf: the EventBridge event's id as correlation id, the run its detail names
   */
  readonly keysOf?: (event: T, raw: unknown) => RunKeys;
  /**
   * The answer to an event the schema refuses, for a function whose rule may route it others
   * (it is logged and acknowledged, so it is not retried).
   * @default none: the invocation fails with `EventInputError` and the event is retried, then dead-lettered
   */
  readonly unmatched?: (message: string) => R;
}

/**
 * An EventBridge (or SQS) target's handler: the event parsed with its zod schema from `events/`,
 * one use case called. Every log line of the invocation carries the correlation id and run id.
 */
export function eventHandler<S extends z.ZodMiniType, R>(
  o11y: Observability,
  schema: S,
  handle: (event: z.infer<S>) => Promise<R>,
  options: EventHandlerOptions<z.infer<S>, R> = {},
) {
  const keysOf = options.keysOf ?? ((_: z.infer<S>, raw: unknown) => busEventKeysOf(raw));
  return observedHandler<unknown, R>(o11y, async (event, labels) => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      const message = invalidMessage(parsed.error);
      o11y.logger.appendKeys({ ...busEventKeysOf(event) });
      if (options.unmatched === undefined) throw new EventInputError(message);
      o11y.logger.info('event ignored', { reason: message });
      return options.unmatched(message);
    }
    const keys = keysOf(parsed.data, event);
    o11y.logger.appendKeys({ ...keys });
    if (keys.pipeline) labels.pipeline = keys.pipeline;
    return handle(parsed.data);
  });
}
