import { setTimeout as sleep } from 'node:timers/promises';
import { type Delivery, deliver } from './deliver';
import { CommitStatusError } from './errors';
import { fetchHttpClient, type HttpClient } from './http';
import { prepareStatus } from './prepare';
import { STATUS_APIS } from './providers';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';
import type { CommitStatus, ReportOutcome } from './types';

/** Everything is injectable so tests run without a network or a clock; the defaults suit a Lambda step. */
export interface HttpCommitStatusReporterOptions {
  /** @default fetchHttpClient (Node's global fetch) */
  readonly http?: HttpClient;
  /** Per attempt. @default 10000 */
  readonly timeoutMs?: number;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retry?: Partial<RetryPolicy>;
  /** @default setTimeout from node:timers/promises */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default Math.random */
  readonly random?: () => number;
}

/** Per attempt: a status API answers in well under a second, and a step should not hang on one that does not. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Tokens are printable ASCII; anything else could not travel in a header (or would split one). */
const HEADER_SAFE_TOKEN = /^[\x21-\x7E]+$/;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new CommitStatusError(`${name} must be a positive integer`);
  return value;
}

/** The delivery (HTTP client, timeout, retry policy, clock) the options ask for, each checked. */
export function deliveryOf(options: HttpCommitStatusReporterOptions): Delivery {
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  return {
    http: options.http ?? fetchHttpClient,
    timeoutMs: positiveInteger('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    retry: {
      maxAttempts: positiveInteger('retry.maxAttempts', retry.maxAttempts),
      baseDelayMs: positiveInteger('retry.baseDelayMs', retry.baseDelayMs),
      maxDelayMs: positiveInteger('retry.maxDelayMs', retry.maxDelayMs),
    },
    sleep: options.sleep ?? ((ms) => sleep(ms)),
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
  };
}

/**
 * Sends a commit status, its connection resolved, to any provider over HTTP (what
 * `ConnectionStatusPort` sends through, not a port of its own): validates the status, picks the
 * provider's API, and delivers with a timeout and bounded retries. A status without a token
 * is skipped (the connection only verifies webhooks), as is one Bitbucket would refuse for
 * want of a link; both are still validated first, so a malformed status is caught in local
 * runs without tokens too. Never logs.
 */
export class HttpCommitStatusReporter {
  private readonly delivery: Delivery;

  constructor(options: HttpCommitStatusReporterOptions = {}) {
    this.delivery = deliveryOf(options);
  }

  async report(status: CommitStatus): Promise<ReportOutcome> {
    const prepared = prepareStatus(status);
    const api = STATUS_APIS[prepared.provider];
    const request = api.request(prepared);
    const { provider } = prepared;
    if (prepared.token === '') return { outcome: 'skipped', provider, reason: 'no_token' };
    if (api.requiresTargetUrl && prepared.targetUrl === undefined)
      return { outcome: 'skipped', provider, reason: 'no_target_url' };
    if (!HEADER_SAFE_TOKEN.test(prepared.token))
      return {
        outcome: 'failed',
        provider,
        reason: 'the API token holds characters no HTTP header can carry',
        attempts: 0,
      };
    return deliver(provider, request, prepared.token, this.delivery);
  }
}
