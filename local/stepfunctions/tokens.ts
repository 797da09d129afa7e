import { randomBytes } from 'node:crypto';
import { AwsServiceError } from '../edge/aws-json';
import type { JsonValue } from '../eventbridge/json';
import { TaskFailure, TaskTimeout } from './errors';

const TOKEN_PREFIX = 'gantry-v1-';
const TOKEN_SHAPE = /^gantry-v1-[A-Za-z0-9_-]{64}$/;

/** A token handed to a callback task's worker, and the outcome the task waits for. */
export interface TokenTicket {
  readonly token: string;
  /** Resolves with SendTaskSuccess's output; rejects with a TaskFailure (SendTaskFailure, heartbeat). */
  readonly outcome: Promise<JsonValue>;
}

/** What a callback task asks of its token. */
export interface IssueOptions {
  /** HeartbeatSeconds: the longest silence the task tolerates. */
  readonly heartbeatSeconds: number | undefined;
  /** Aborted when the task is over for another reason (timeout, stop, end of execution). */
  readonly signal: AbortSignal;
}

interface Waiter {
  readonly heartbeatMs: number | undefined;
  readonly resolve: (output: JsonValue) => void;
  readonly reject: (failure: TaskFailure) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The callback pattern (`.waitForTaskToken`): tokens live only while the process runs, like the
 * tasks waiting on them. A token of ours that no task waits for any more gets TaskTimedOut, as
 * AWS answers for a finished task; anything that is not one of our tokens gets InvalidToken.
 */
export class TaskTokens {
  private readonly waiters = new Map<string, Waiter>();

  issue(options: IssueOptions): TokenTicket {
    const token = `${TOKEN_PREFIX}${randomBytes(48).toString('base64url')}`;
    const outcome = new Promise<JsonValue>((resolve, reject) => {
      const heartbeatMs = options.heartbeatSeconds === undefined ? undefined : options.heartbeatSeconds * 1000;
      this.waiters.set(token, { heartbeatMs, resolve, reject, timer: undefined });
    });
    outcome.catch(() => undefined);
    this.beat(token);
    const end = () => this.settle(token)?.reject(new TaskFailure('States.TaskFailed', 'the task ended'));
    if (options.signal.aborted) end();
    else options.signal.addEventListener('abort', end, { once: true });
    return { token, outcome };
  }

  succeed(token: string, output: JsonValue): void {
    this.take(token).resolve(output);
  }

  fail(token: string, error: string, cause: string): void {
    this.take(token).reject(new TaskFailure(error, cause));
  }

  heartbeat(token: string): void {
    this.take(token, false);
    this.beat(token);
  }

  private beat(token: string): void {
    const waiter = this.waiters.get(token);
    if (waiter?.heartbeatMs === undefined) return;
    clearTimeout(waiter.timer);
    const seconds = waiter.heartbeatMs / 1000;
    waiter.timer = setTimeout(() => {
      this.settle(token)?.reject(
        new TaskTimeout('States.HeartbeatTimeout', `No heartbeat for ${seconds} seconds (HeartbeatSeconds)`),
      );
    }, waiter.heartbeatMs);
  }

  /** The waiter for a token the API was given, or the error AWS answers with. */
  private take(token: string, remove = true): Waiter {
    if (!TOKEN_SHAPE.test(token)) throw new AwsServiceError('InvalidToken', `Invalid Token: '${token}'`);
    const waiter = remove ? this.settle(token) : this.waiters.get(token);
    if (waiter === undefined) {
      throw new AwsServiceError('TaskTimedOut', 'Task Timed Out: the task of this token is no longer waiting');
    }
    return waiter;
  }

  private settle(token: string): Waiter | undefined {
    const waiter = this.waiters.get(token);
    if (waiter === undefined) return undefined;
    clearTimeout(waiter.timer);
    this.waiters.delete(token);
    return waiter;
  }
}
