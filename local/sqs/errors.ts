import { AwsServiceError } from '../edge/aws-json';

/**
 * Error codes the real SQS JSON API returns, with their HTTP status (from the service model).
 * The SDK maps each modelled code to its exception class (`QueueDoesNotExist`, …); the others
 * (`InvalidParameterValue`, `MissingParameter`) reach callers as a generic SQSServiceException
 * with that name, as they do against AWS.
 */
const STATUS = {
  BatchEntryIdsNotDistinct: 400,
  BatchRequestTooLong: 400,
  EmptyBatchRequest: 400,
  InvalidAttributeName: 400,
  InvalidAttributeValue: 400,
  InvalidBatchEntryId: 400,
  InvalidMessageContents: 400,
  InvalidParameterValue: 400,
  MessageNotInflight: 400,
  MissingParameter: 400,
  PurgeQueueInProgress: 403,
  QueueDoesNotExist: 400,
  ReceiptHandleIsInvalid: 404,
  TooManyEntriesInBatchRequest: 400,
} as const;

export type SqsErrorCode = keyof typeof STATUS;

/**
 * An SQS request the real service would refuse. It is an `AwsServiceError`, so the edge answers
 * with the code; `queueName` says which queue, when there is one, for local mode's own messages.
 */
export class SqsError extends AwsServiceError {
  constructor(
    readonly sqsCode: SqsErrorCode,
    message: string,
    readonly queueName?: string,
  ) {
    super(sqsCode, message, STATUS[sqsCode]);
  }
}

/** The answer for a queue URL or name that names no queue. */
export function queueDoesNotExist(queueName?: string): SqsError {
  return new SqsError('QueueDoesNotExist', 'The specified queue does not exist.', queueName);
}

/** SQS's wording for a parameter outside its allowed range or shape. */
export function invalidParameter(name: string, value: unknown, reason: string): SqsError {
  return new SqsError(
    'InvalidParameterValue',
    `Value ${String(value)} for parameter ${name} is invalid. Reason: ${reason}`,
  );
}

/** SQS's wording for a required parameter that is absent. */
export function missingParameter(name: string): SqsError {
  return new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);
}

/**
 * The queue specs local mode was given cannot describe real queues (a dead-letter target that
 * does not exist, a FIFO queue whose name lacks `.fifo`, …). Raised at start, never per request.
 */
export class SqsConfigError extends Error {
  override readonly name = 'SqsConfigError';

  constructor(
    readonly queueName: string,
    reason: string,
  ) {
    super(`local SQS queue "${queueName}": ${reason}`);
  }
}

/** A journal line that is not the torn tail of a crash: the file was changed by hand or damaged. */
export class SqsJournalError extends Error {
  override readonly name = 'SqsJournalError';

  constructor(
    readonly file: string,
    readonly line: number,
    options?: { cause?: unknown },
  ) {
    super(`local SQS journal ${file} is damaged at line ${line}; move it aside to start with an empty queue`, options);
  }
}
