/** One HTTP request to a provider's API, as the status and history adapters build it. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Absent for a GET. */
  readonly body?: string;
  /** The whole exchange (connect, send, read the answer) must end within this. */
  readonly timeoutMs: number;
}

/** A provider's answer; header names are lower-case and the body is read whole (answers are small). */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Port: sends one request. Resolves with any HTTP answer (4xx and 5xx included) and rejects only
 * with `HttpTimeoutError` or `HttpNetworkError`, so callers can tell "no answer" from "refused".
 * Tests inject their own to run without a network.
 */
export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResponse>;
}

/** No complete answer came within the request's timeout. */
export class HttpTimeoutError extends Error {
  override readonly name = 'HttpTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/**
 * The request could not be sent or its answer not read (DNS, refused connection, reset, a
 * header value fetch rejects). `code` is the system error code when there is one; the message
 * never quotes the request, whose headers hold the token.
 */
export class HttpNetworkError extends Error {
  override readonly name = 'HttpNetworkError';

  constructor(readonly code: string | undefined) {
    super(code === undefined ? 'request failed' : `request failed (${code})`);
  }
}

function property(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && key in value
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/**
 * The system error code (`ECONNREFUSED`, `ENOTFOUND`, …) fetch wraps in its `cause`, if any.
 * Read by shape, not `instanceof`: fetch's errors come from another realm under test runners.
 */
function systemCode(error: unknown): string | undefined {
  const code = property(property(error, 'cause'), 'code');
  return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? code : undefined;
}

function headersOf(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}

/**
 * `HttpClient` on Node's global `fetch`. Redirects are not followed: a token sent in a custom
 * header (GitLab's `PRIVATE-TOKEN`) would follow a redirect to another host, and a status API
 * that redirects means a wrong `apiUrl` or a renamed repository, which the caller should see.
 */
export const fetchHttpClient: HttpClient = {
  async send(request) {
    const signal = AbortSignal.timeout(request.timeoutMs);
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        redirect: 'manual',
        signal,
      });
      return { status: response.status, headers: headersOf(response), body: await response.text() };
    } catch (error) {
      if (signal.aborted) throw new HttpTimeoutError(request.timeoutMs);
      throw new HttpNetworkError(systemCode(error));
    }
  },
};
