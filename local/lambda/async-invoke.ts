import { randomUUID } from 'node:crypto';
import type { AsyncInvokeSpec } from '../template/inventory';
import type { InvokeOutcome, LambdaInvoker } from './types';

/** Lambda waits about a minute before the second attempt and two before the third (divided by the time scale). */
const RETRY_DELAYS_MS = [60_000, 120_000];

export interface AsynchronousInvocation {
  readonly invoker: LambdaInvoker;
  readonly functionArn: string;
  readonly config: AsyncInvokeSpec;
  readonly payload: unknown;
  /** Sends Lambda's on-failure record to the destination (an SQS queue's ARN). */
  readonly sendTo: (destinationArn: string, body: string) => Promise<void>;
  /** Divides Lambda's waits between attempts. @default 1 */
  readonly timeScale?: number;
  /** Aborted when the plane stops: no more attempts, nothing sent (the caller delivers the event again). */
  readonly signal?: AbortSignal;
}

/** What became of an event Lambda took for asynchronous invocation. */
export type AsynchronousOutcome =
  | { readonly status: 'succeeded' }
  | { readonly status: 'sent'; readonly attempts: number }
  | { readonly status: 'dropped'; readonly attempts: number; readonly error: string }
  | { readonly status: 'stopped' };

/**
 * An asynchronous invocation of a function with an event invoke config, as Lambda runs one once
 * it has accepted the event: up to 1 + MaximumRetryAttempts attempts, then the on-failure record
 * (`requestContext`, `requestPayload`, `responsePayload`) to the destination, or nothing at all
 * without one. The caller has found the function (Invoke's own error when it does not exist):
 * every failure here is the function's, whatever its error type says.
 */
export async function invokeAsynchronously(call: AsynchronousInvocation): Promise<AsynchronousOutcome> {
  const attempts = 1 + Math.max(0, Math.min(2, call.config.maximumRetryAttempts));
  let last: Extract<InvokeOutcome, { ok: false }> | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1 && !(await pause((RETRY_DELAYS_MS[attempt - 2] ?? 120_000) / (call.timeScale ?? 1), call.signal)))
      return { status: 'stopped' };
    const outcome = await call.invoker.invoke(call.functionArn, call.payload);
    if (outcome.ok) return { status: 'succeeded' };
    if (call.signal?.aborted) return { status: 'stopped' };
    last = outcome;
  }
  const error = last === undefined ? '' : `${last.errorType}: ${last.errorMessage}`;
  if (call.config.onFailure === undefined) return { status: 'dropped', attempts, error };
  await call.sendTo(call.config.onFailure, JSON.stringify(failureRecord(call, attempts, last)));
  return { status: 'sent', attempts };
}

/** Lambda's record of an invocation it gave up on, as its on-failure destinations receive it. */
function failureRecord(
  call: AsynchronousInvocation,
  attempts: number,
  last: Extract<InvokeOutcome, { ok: false }> | undefined,
): Record<string, unknown> {
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: randomUUID(),
      functionArn: `${call.functionArn}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: attempts,
    },
    requestPayload: call.payload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: {
      errorType: last?.errorType ?? 'Error',
      errorMessage: last?.errorMessage ?? '',
      trace: last?.trace ?? [],
    },
  };
}

/** Waits `ms`; false when the signal aborted first. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (waited: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(waited);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
