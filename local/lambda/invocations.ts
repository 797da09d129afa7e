import { randomUUID } from 'node:crypto';
import type { HostReply, InvokeMessage } from './protocol';
import type { InvokeOutcome } from './types';

interface Pending {
  readonly resolve: (outcome: InvokeOutcome) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

/** A failed invocation in Lambda's terms. */
export function invokeFailure(errorType: string, errorMessage: string, trace: readonly string[] = []): InvokeOutcome {
  return { ok: false, errorType, errorMessage, trace };
}

/**
 * The host side of the protocol (./protocol.ts): numbers each invocation sent to one host, settles
 * it with the host's reply, a timeout, or the host's end. Both hosts' owners use it.
 */
export class Invocations {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  /**
   * Sends one invocation. With `enforceTimeout`, it fails `Sandbox.Timedout` once `timeoutSeconds`
   * pass without a reply (a host that cannot stop its own handler); otherwise the host times it out.
   */
  start(
    send: (message: InvokeMessage) => void,
    event: unknown,
    timeoutSeconds: number,
    enforceTimeout: boolean,
  ): Promise<InvokeOutcome> {
    const id = ++this.nextId;
    const timeoutMs = timeoutSeconds * 1000;
    return new Promise<InvokeOutcome>((resolve) => {
      const timer = enforceTimeout
        ? setTimeout(() => {
            this.pending.delete(id);
            resolve(invokeFailure('Sandbox.Timedout', `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`));
          }, timeoutMs)
        : undefined;
      this.pending.set(id, { resolve, timer });
      send({ type: 'invoke', id, requestId: randomUUID(), event, deadline: Date.now() + timeoutMs });
    });
  }

  /** Settles the invocation a `result` or `error` reply answers; other replies are not invocations'. */
  settle(reply: HostReply): void {
    if (reply.type !== 'result' && reply.type !== 'error') return;
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    clearTimeout(pending.timer);
    pending.resolve(
      reply.type === 'result'
        ? { ok: true, payload: reply.payload }
        : invokeFailure(reply.errorType, reply.errorMessage, reply.trace),
    );
  }

  /** Fails one invocation still waiting (its message could not be sent). */
  fail(id: number, errorMessage: string): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(invokeFailure('Runtime.ExitError', errorMessage));
  }

  /** Fails every invocation still waiting: the host is gone. */
  failAll(errorMessage: string): void {
    for (const id of [...this.pending.keys()]) this.fail(id, errorMessage);
  }
}
