import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from './errors';

type State = 'size' | 'data' | 'crlf' | 'trailer' | 'done';

const CRLF = Buffer.from('\r\n');

/**
 * Decodes the `aws-chunked` content encoding the SDK uses for streaming uploads
 * (`<hex size>[;chunk-signature=…]\r\n<bytes>\r\n … 0\r\n<trailers>\r\n`), yielding the object's
 * bytes. Trailing headers (the SDK's `x-amz-checksum-*`) are kept in `trailers`.
 */
export class AwsChunkedDecoder extends Transform {
  readonly trailers: Record<string, string> = {};
  private pending: Buffer = Buffer.alloc(0);
  private state: State = 'size';
  private remaining = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      while (this.step()) {
        // each step consumes what it can; false means it needs more bytes
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.state === 'done' ? undefined : incomplete());
  }

  private step(): boolean {
    switch (this.state) {
      case 'size':
        return this.readLine((line) => this.startChunk(line));
      case 'data':
        return this.readData();
      case 'crlf':
        if (this.pending.length < 2) return false;
        if (!this.pending.subarray(0, 2).equals(CRLF)) throw incomplete();
        this.pending = this.pending.subarray(2);
        this.state = 'size';
        return true;
      case 'trailer':
        return this.readLine((line) => this.trailer(line));
      case 'done':
        this.pending = Buffer.alloc(0);
        return false;
    }
  }

  private readLine(onLine: (line: string) => void): boolean {
    const end = this.pending.indexOf(CRLF);
    if (end < 0) return false;
    const line = this.pending.subarray(0, end).toString('latin1');
    this.pending = this.pending.subarray(end + 2);
    onLine(line);
    return true;
  }

  private startChunk(line: string): void {
    const size = Number.parseInt(line.split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0) throw incomplete();
    this.remaining = size;
    this.state = size === 0 ? 'trailer' : 'data';
  }

  private readData(): boolean {
    if (this.pending.length === 0) return false;
    const take = Math.min(this.remaining, this.pending.length);
    this.push(this.pending.subarray(0, take));
    this.pending = this.pending.subarray(take);
    this.remaining -= take;
    if (this.remaining === 0) this.state = 'crlf';
    return true;
  }

  private trailer(line: string): void {
    if (line === '') {
      this.state = 'done';
      return;
    }
    const colon = line.indexOf(':');
    if (colon > 0) this.trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
}

function incomplete(): S3Error {
  return new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length');
}
