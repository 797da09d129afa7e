import type { Provider } from '../../events';
import { type HttpClient, HttpNetworkError, type HttpRequest, type HttpResponse, HttpTimeoutError } from './http';
import { providerMessage, safeReason, tokenForms } from './messages';
import type { StatusRequest } from './providers';
import { backoffMs, isRetryable, type RetryPolicy, retryAfterMs } from './retry';
import type { FailedOutcome, ReportOutcome } from './types';

/** What delivering needs besides the request; every part is injectable so tests need no clock or network. */
export interface Delivery {
  readonly http: HttpClient;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly random: () => number;
}

type Attempt = { readonly response: HttpResponse } | { readonly noAnswer: string };
type Next = { readonly done: ReportOutcome } | { readonly waitMs: number };

const COMMON_HEADERS = { 'content-type': 'application/json', 'user-agent': 'gantry' } as const;

async function attempt(http: HttpClient, request: HttpRequest): Promise<Attempt> {
  try {
    return { response: await http.send(request) };
  } catch (error) {
    if (error instanceof HttpTimeoutError) return { noAnswer: `timed out after ${error.timeoutMs} ms` };
    if (error instanceof HttpNetworkError) return { noAnswer: error.message };
    throw error;
  }
}

/** 2xx, except 203: Azure DevOps answers a token it does not accept with a 203 and a sign-in page. */
function accepted(status: number): boolean {
  return status >= 200 && status < 300 && status !== 203;
}

function answerReason(response: HttpResponse): string {
  if (response.status === 203) return 'HTTP 203: not an API answer (a sign-in page?); check the token and apiUrl';
  if (response.status >= 300 && response.status < 400)
    return `HTTP ${response.status}: redirected; check apiUrl and the repository name`;
  const message = providerMessage(response.body);
  return message === undefined ? `HTTP ${response.status}` : `HTTP ${response.status}: ${message}`;
}

function failure(provider: Provider, result: Attempt, attempts: number, secrets: readonly string[]): FailedOutcome {
  if ('noAnswer' in result)
    return { outcome: 'failed', provider, reason: safeReason(result.noAnswer, secrets), attempts };
  const { status } = result.response;
  return {
    outcome: 'failed',
    provider,
    statusCode: status,
    reason: safeReason(answerReason(result.response), secrets),
    attempts,
  };
}

/** Decides after attempt `n`: done (delivered or failed for good) or wait and try again. */
function next(provider: Provider, result: Attempt, n: number, delivery: Delivery, secrets: readonly string[]): Next {
  if ('response' in result && accepted(result.response.status))
    return { done: { outcome: 'delivered', provider, statusCode: result.response.status, attempts: n } };
  const failed = failure(provider, result, n, secrets);
  const retryable = 'noAnswer' in result || isRetryable(result.response.status, result.response.headers);
  if (!retryable || n >= delivery.retry.maxAttempts) return { done: failed };
  const asked = 'response' in result ? retryAfterMs(result.response.headers['retry-after'], delivery.now()) : undefined;
  if (asked !== undefined && asked > delivery.retry.maxDelayMs) {
    const seconds = Math.ceil(asked / 1000);
    return { done: { ...failed, reason: `${failed.reason} (retry asked in ${seconds} s, beyond the bound)` } };
  }
  return { waitMs: asked ?? backoffMs(n, delivery.retry, delivery.random) };
}

/** A provider's answer after the retries: the 2xx response, or why there is none. */
export type Exchange =
  | { readonly response: HttpResponse; readonly attempts: number }
  | { readonly failed: FailedOutcome };

/**
 * Sends one request to a provider's API, retrying rate limits, server errors, timeouts and
 * network errors within the policy's bounds (callers send only idempotent requests). `secrets`
 * (the token in every form) are redacted from every reason.
 */
export async function exchange(
  provider: Provider,
  request: HttpRequest,
  secrets: readonly string[],
  delivery: Delivery,
): Promise<Exchange> {
  for (let n = 1; ; n++) {
    const result = await attempt(delivery.http, request);
    const step = next(provider, result, n, delivery, secrets);
    if ('done' in step) {
      if (step.done.outcome === 'failed') return { failed: step.done };
      if ('response' in result) return { response: result.response, attempts: n };
    }
    if ('waitMs' in step) await delivery.sleep(step.waitMs);
  }
}

/**
 * Sends one status request (idempotent: the same context replaces itself) and says what became of it.
 * The token (in every form) and `request.secrets` are redacted from every reason.
 */
export async function deliver(
  provider: Provider,
  request: StatusRequest,
  token: string,
  delivery: Delivery,
): Promise<ReportOutcome> {
  const http: HttpRequest = {
    method: 'POST',
    url: request.url,
    headers: { ...COMMON_HEADERS, ...request.headers },
    body: JSON.stringify(request.body),
    timeoutMs: delivery.timeoutMs,
  };
  const answer = await exchange(provider, http, [...request.secrets, ...tokenForms(token)], delivery);
  if ('failed' in answer) return answer.failed;
  return { outcome: 'delivered', provider, statusCode: answer.response.status, attempts: answer.attempts };
}
