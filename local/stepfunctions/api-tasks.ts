import { AwsServiceError, requiredString } from '../edge/aws-json';
import type { JsonValue } from '../eventbridge/json';
import { type Operation, optionalString } from './api-context';
import { validJsonText } from './names';

const MAX_TOKEN_LENGTH = 2048;

function tokenIn(input: Record<string, unknown>): string {
  const token = requiredString(input, 'taskToken');
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new AwsServiceError(
      'ValidationException',
      `1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TOKEN_LENGTH}`,
    );
  }
  return token;
}

const sendTaskSuccess: Operation = (api, input) => {
  const token = tokenIn(input);
  const output = validJsonText(input.output, 'InvalidOutput', 'Output');
  api.tokens.succeed(token, JSON.parse(output) as JsonValue);
  return {};
};

const sendTaskFailure: Operation = (api, input) => {
  const token = tokenIn(input);
  api.tokens.fail(token, optionalString(input, 'error', 256) ?? '', optionalString(input, 'cause', 32768) ?? '');
  return {};
};

const sendTaskHeartbeat: Operation = (api, input) => {
  api.tokens.heartbeat(tokenIn(input));
  return {};
};

/** The callback pattern's half of the API: workers report on the task their token stands for. */
export const taskOperations: Readonly<Record<string, Operation>> = {
  SendTaskSuccess: sendTaskSuccess,
  SendTaskFailure: sendTaskFailure,
  SendTaskHeartbeat: sendTaskHeartbeat,
};
