import { S3Error } from './errors';
import type { ByteRange } from './store';

/**
 * The byte range a `Range: bytes=…` header asks of an object of `size` bytes, as S3 reads it:
 * one range only; a range starting past the end is InvalidRange; a header S3 would ignore
 * (not `bytes=`, or not a range) means the whole object.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) throw invalidRange(size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) throw invalidRange(size);
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

function invalidRange(size: number): S3Error {
  return new S3Error('InvalidRange', `The requested range is not satisfiable (object size ${size})`);
}
