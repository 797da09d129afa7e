import { randomUUID } from 'node:crypto';
import { AwsServiceError, requiredString } from '../edge/aws-json';

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:\s]{1,80}$/;
const EXECUTION_ARN =
  /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(?:execution|express):[^:\s]{1,80}:[^:\s]{1,80}(?::[^:\s]+)?$/;
/** What Step Functions forbids in names besides control characters: whitespace, brackets, wildcards, specials. */
const FORBIDDEN_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/u;
const MAX_INPUT_BYTES = 256 * 1024;

/** A state machine ARN parameter, or InvalidArn as the API answers for anything else. */
export function stateMachineArnIn(input: Record<string, unknown>, field = 'stateMachineArn'): string {
  const arn = requiredString(input, field);
  if (!STATE_MACHINE_ARN.test(arn)) throw invalidArn(arn);
  return arn;
}

/** An execution ARN parameter, or InvalidArn. */
export function executionArnIn(input: Record<string, unknown>): string {
  const arn = requiredString(input, 'executionArn');
  if (!EXECUTION_ARN.test(arn)) throw invalidArn(arn);
  return arn;
}

function invalidArn(arn: string): AwsServiceError {
  return new AwsServiceError('InvalidArn', `Invalid Arn: '${arn}'`);
}

/** An execution name: 1 to 80 characters, none of those Step Functions forbids (InvalidName). */
export function validName(name: unknown): string {
  const characters = typeof name === 'string' ? Array.from(name) : [];
  if (
    typeof name !== 'string' ||
    characters.length === 0 ||
    characters.length > 80 ||
    FORBIDDEN_IN_NAME.test(name) ||
    characters.some(isControl)
  ) {
    throw new AwsServiceError('InvalidName', `Invalid Name: '${String(name)}'`);
  }
  return name;
}

/** JSON text of at most 256 KiB, as execution inputs and task outputs must be. */
export function validJsonText(value: unknown, code: string, what: string): string {
  if (typeof value !== 'string') throw new AwsServiceError(code, `Invalid ${what}: it must be a JSON string`);
  if (Buffer.byteLength(value) > MAX_INPUT_BYTES) {
    throw new AwsServiceError(code, `Invalid ${what}: it is larger than 256 KiB`);
  }
  try {
    JSON.parse(value);
  } catch (error) {
    throw new AwsServiceError(code, `Invalid ${what}: '${error instanceof Error ? error.message : String(error)}'`);
  }
  return value;
}

/** The ARN of an execution of a state machine (`…:execution:machine:name`; Express ones also get an id). */
export function executionArnFor(stateMachineArn: string, name: string, express: boolean): string {
  const parts = stateMachineArn.split(':');
  parts[5] = express ? 'express' : 'execution';
  const arn = `${parts.join(':')}:${name}`;
  return express ? `${arn}:${randomUUID()}` : arn;
}

/** U+0000–U+001F and U+007F–U+009F. */
function isControl(character: string): boolean {
  const code = character.codePointAt(0) ?? 0;
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}
