import {
  type HttpClient,
  HttpNetworkError,
  type HttpRequest,
  type HttpResponse,
  HttpTimeoutError,
} from '../status/http';
import { ArchiveRefusedError } from './errors';

/** An answer whose body was read as bytes (an archive); `body` holds text only for an error answer. */
export interface BinaryResponse extends HttpResponse {
  readonly bytes: Buffer;
}

/** The bytes of an answer an `ArchiveHttpClient` gave (empty for any other client's). */
export function bytesOf(response: HttpResponse): Buffer {
  return 'bytes' in response && Buffer.isBuffer(response.bytes) ? response.bytes : Buffer.from(response.body, 'utf8');
}

/** Archive downloads are redirected to storage (GitHub → codeload, Bitbucket → its CDN): a few hops at most. */
const MAX_REDIRECTS = 3;
/** An error answer is read only this far: enough for the provider's message. */
const MAX_ERROR_BODY = 64 * 1024;
/** Headers that carry the connection's token, dropped when a redirect leaves the API's origin. */
const CREDENTIAL_HEADERS = ['authorization', 'private-token'];

function headersOf(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}

/**
 * `HttpClient` for archives on Node's fetch: reads the body as bytes, refusing one larger than
 * `maxBytes` as it arrives (the download never outgrows the bound), and follows a few redirects
 * itself, sending the token only to the origin it was asked for (a redirect to storage carries
 * its own signature) and never from https to http.
 */
export class ArchiveHttpClient implements HttpClient {
  constructor(private readonly maxBytes: number) {}

  async send(request: HttpRequest): Promise<BinaryResponse> {
    const signal = AbortSignal.timeout(request.timeoutMs);
    try {
      return await this.follow(request, signal);
    } catch (error) {
      if (error instanceof ArchiveRefusedError) throw error;
      if (signal.aborted) throw new HttpTimeoutError(request.timeoutMs);
      throw new HttpNetworkError(systemCode(error));
    }
  }

  private async follow(request: HttpRequest, signal: AbortSignal): Promise<BinaryResponse> {
    const origin = new URL(request.url).origin;
    let url = request.url;
    for (let hop = 0; ; hop++) {
      const sameOrigin = new URL(url).origin === origin;
      const headers = sameOrigin
        ? request.headers
        : Object.fromEntries(Object.entries(request.headers).filter(([k]) => !CREDENTIAL_HEADERS.includes(k)));
      const response = await fetch(url, { method: 'GET', headers, redirect: 'manual', signal });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null || hop >= MAX_REDIRECTS)
        return this.read(response);
      await response.body?.cancel();
      const next = new URL(location, url);
      if (new URL(url).protocol === 'https:' && next.protocol !== 'https:')
        return {
          status: response.status,
          headers: headersOf(response),
          body: 'redirected off https',
          bytes: Buffer.alloc(0),
        };
      url = next.toString();
    }
  }

  private async read(response: Response): Promise<BinaryResponse> {
    const ok = response.status >= 200 && response.status < 300;
    const limit = ok ? this.maxBytes : MAX_ERROR_BODY;
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body?.getReader();
    for (;;) {
      const chunk = reader ? await reader.read() : { done: true as const, value: undefined };
      if (chunk.done) break;
      size += chunk.value.length;
      if (size > limit) {
        await reader?.cancel();
        if (ok) throw new ArchiveRefusedError(`the archive is larger than ${this.maxBytes} bytes`);
        break;
      }
      chunks.push(chunk.value);
    }
    const bytes = Buffer.concat(chunks);
    return { status: response.status, headers: headersOf(response), body: ok ? '' : bytes.toString('utf8'), bytes };
  }
}

/** The system error code fetch wraps in its `cause`, read by shape (fetch's errors come from another realm under test runners). */
function systemCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' && /^[A-Z0-9_]+$/.test(cause.code) ? cause.code : undefined;
}
