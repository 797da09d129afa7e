import { InvalidEventError } from './errors';
import { isJsonObject } from './json';
import { compilePattern, matches, parseEventText } from './pattern';

/**
 * Envelope fields TestEventPattern requires. The API reference also lists `resources`, but the
 * real API accepts an event without it (observed against AWS), so it is not required here.
 */
export const TEST_EVENT_REQUIRED_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const;

/**
 * Emulates EventBridge's TestEventPattern: both arguments are JSON text, as the API takes them.
 * The pattern is validated first, then the event's envelope.
 * @throws InvalidEventPatternError (InvalidEventPatternException) for an invalid pattern.
 * @throws InvalidEventError (ValidationException) for an event that is not a JSON object with the envelope fields.
 */
export function testEventPattern(event: string, pattern: string): boolean {
  const compiled = compilePattern(pattern);
  const parsed = parseEventText(event);
  if (!isJsonObject(parsed)) throw new InvalidEventError('the event is not a JSON object');
  const missing = TEST_EVENT_REQUIRED_FIELDS.filter((field) => !Object.hasOwn(parsed, field));
  if (missing.length > 0) {
    throw new InvalidEventError(`the event lacks the required field(s) ${missing.map((f) => `"${f}"`).join(', ')}`);
  }
  return matches(compiled, parsed);
}
