import { createHash, type Hash } from 'node:crypto';

/** A message (or system) attribute as the JSON protocol carries it: binary values in base64. */
export interface AttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

const STRING_TRANSPORT = 1;
const BINARY_TRANSPORT = 2;

/** Hex MD5 of the body's UTF-8 bytes: the SDK compares it with its own and fails the call on a mismatch. */
export function md5OfBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

/**
 * `MD5OfMessageAttributes` as SQS computes it (Developer Guide, "Calculating the MD5 message digest
 * for message attributes"): attributes sorted by name, each encoded as length-prefixed name, length-
 * prefixed data type, one transport byte (1 string, 2 binary), length-prefixed value; lengths are
 * 4-byte big-endian. Names sort by UTF-16 code unit, as Java's String order (the service's) does.
 * Undefined when there are no attributes: SQS then leaves the field out.
 */
export function md5OfAttributes(attributes: Readonly<Record<string, AttributeValue>>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const value = attributes[name];
    if (value === undefined) continue;
    update(hash, Buffer.from(name, 'utf8'));
    update(hash, Buffer.from(value.DataType, 'utf8'));
    if (value.BinaryValue !== undefined) {
      hash.update(Uint8Array.of(BINARY_TRANSPORT));
      update(hash, Buffer.from(value.BinaryValue, 'base64'));
    } else {
      hash.update(Uint8Array.of(STRING_TRANSPORT));
      update(hash, Buffer.from(value.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

function update(hash: Hash, bytes: Buffer): void {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  hash.update(length).update(bytes);
}
