import { invalidParameter, SqsError } from './errors';
import type { AttributeValue } from './md5';

/** Message attributes by name, as stored and as returned. */
export type MessageAttributes = Readonly<Record<string, AttributeValue>>;

const MAX_ATTRIBUTES = 10;
const NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const TYPE = /^(String|Number|Binary)(\..+)?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Validates `MessageAttributes` of SendMessage as SQS does: at most 10, names of letters, digits,
 * `_`, `-` and `.` (not reserved `AWS.`/`Amazon.`, no leading, trailing or double dot), a type of
 * String, Number or Binary with an optional `.label`, and the value member the type calls for.
 */
export function parseMessageAttributes(input: unknown): MessageAttributes {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw invalidParameter('MessageAttributes', '', 'not a map');
  const entries = Object.entries(input);
  if (entries.length > MAX_ATTRIBUTES) {
    throw new SqsError(
      'InvalidParameterValue',
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`,
    );
  }
  return Object.fromEntries(entries.map(([name, value]) => [checkName(name), parseValue(name, value)]));
}

function checkName(name: string): string {
  const reserved = /^(aws\.|amazon\.)/i.test(name);
  if (!NAME.test(name) || reserved || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
    throw invalidParameter('MessageAttributes.Name', name, 'The message attribute name is invalid.');
  }
  return name;
}

function parseValue(name: string, value: unknown): AttributeValue {
  const { DataType, StringValue, BinaryValue } = (value ?? {}) as Record<string, unknown>;
  if (typeof DataType !== 'string' || !TYPE.test(DataType)) {
    throw new SqsError(
      'InvalidParameterValue',
      `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
    );
  }
  if (DataType.startsWith('Binary')) {
    if (typeof BinaryValue !== 'string' || BinaryValue === '') throw emptyValue(name, 'Binary');
    return { DataType, BinaryValue };
  }
  if (typeof StringValue !== 'string' || StringValue === '') throw emptyValue(name, DataType.split('.')[0] ?? '');
  if (DataType.startsWith('Number') && !NUMBER.test(StringValue)) {
    throw new SqsError(
      'InvalidParameterValue',
      `Can't cast the value of message (user) attribute '${name}' to a number.`,
    );
  }
  return { DataType, StringValue };
}

function emptyValue(name: string, type: string): SqsError {
  return new SqsError(
    'InvalidParameterValue',
    `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
  );
}

/**
 * The attributes ReceiveMessage returns for `MessageAttributeNames`: `All` or `.*` for every one,
 * `prefix.*` for those under a prefix, otherwise exact names.
 */
export function selectAttributes(attributes: MessageAttributes, requested: readonly string[]): MessageAttributes {
  if (requested.length === 0) return {};
  if (requested.includes('All') || requested.includes('.*')) return attributes;
  const prefixes = requested.filter((n) => n.endsWith('.*')).map((n) => n.slice(0, -1));
  const exact = new Set(requested);
  return Object.fromEntries(
    Object.entries(attributes).filter(([name]) => exact.has(name) || prefixes.some((p) => name.startsWith(p))),
  );
}

/** Bytes a message counts against the size limit: body plus every attribute's name, type and value. */
export function messageSize(body: string, attributes: MessageAttributes): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    size +=
      value.BinaryValue === undefined
        ? Buffer.byteLength(value.StringValue ?? '')
        : Buffer.from(value.BinaryValue, 'base64').length;
  }
  return size;
}
