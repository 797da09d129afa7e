import { isIPv6 } from 'node:net';
import type { Fail } from './fail';
import type { JsonScalar, JsonValue } from './json';

// event-ruler treats a string as an IP address only when it has one of these shapes.
const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

interface Address {
  readonly bits: 32 | 128;
  readonly value: bigint;
}

/** Parses an IPv4 or IPv6 literal; undefined when `text` is not one. */
export function parseAddress(text: string): Address | undefined {
  if (IPV4_SHAPE.test(text)) return parseIpv4(text);
  if (IPV6_SHAPE.test(text) && isIPv6(text)) return parseIpv6(text);
  return undefined;
}

function parseIpv4(text: string): Address | undefined {
  let value = 0n;
  for (const part of text.split('.')) {
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return { bits: 32, value };
}

function parseIpv6(text: string): Address {
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  let value = 0n;
  for (const group of [...left, ...zeros, ...right]) value = (value << 16n) | BigInt(`0x${group}`);
  return { bits: 128, value };
}

/**
 * Compiles `{"cidr": "10.0.0.0/24"}` (IPv4 or IPv6). As in event-ruler, the range runs from the
 * address as written to that address with its host bits set, and a /32 (IPv4) or /128 (IPv6)
 * mask is rejected. Only string event values that are addresses of the same family can match.
 */
export function compileCidr(cidr: JsonValue, fail: Fail): (value: JsonScalar) => boolean {
  if (typeof cidr !== 'string') return fail('prefix match pattern must be a string');
  const parts = cidr.split('/');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  const [ip = '', maskText = ''] = parts;
  if (parts.length !== 2) return fail("Malformed CIDR, one '/' required");
  if (!/^[+-]?\d{1,10}$/.test(maskText)) return fail('Malformed CIDR, mask bits must be an integer');
  const mask = Number(maskText);
  if (mask < 0) return fail('Malformed CIDR, mask bits must not be negative');
  const address = patternAddress(ip, fail);
  if (mask >= address.bits) return fail(`IPv${address.bits === 32 ? 4 : 6} mask bits must be < ${address.bits}`);
  const low = address.value;
  const high = low | ((1n << BigInt(address.bits - mask)) - 1n);
  return (value) => {
    const parsed = typeof value === 'string' ? parseAddress(value) : undefined;
    return parsed !== undefined && parsed.bits === address.bits && parsed.value >= low && parsed.value <= high;
  };
}

function patternAddress(ip: string, fail: Fail): Address {
  const address = parseAddress(ip);
  if (address !== undefined) return address;
  return fail(
    IPV4_SHAPE.test(ip) || IPV6_SHAPE.test(ip) ? `Invalid IP address: ${ip}` : `Nonstandard IP address: ${ip}`,
  );
}
