/**
 * The AWS JSON protocol (awsJson1_0 / awsJson1_1) as the SDK v3 clients speak it: a POST with
 * `X-Amz-Target: <Prefix>.<Operation>` and a JSON body; errors as `{"__type", "message"}`.
 * Every local emulator implements `AwsJsonService` and is mounted on the one edge endpoint.
 */
export interface AwsJsonService {
  /** For messages: "Step Functions", "EventBridge", … */
  readonly name: string;
  /** The `X-Amz-Target` prefix before the dot: `AWSStepFunctions`, `AWSEvents`, `AmazonSQS`, … */
  readonly targetPrefix: string;
  /**
   * The SigV4 signing name its callers sign for (`states`, `events`, `sqs`, `monitoring` for
   * CloudWatch, …): the edge refuses a signature scoped to another service.
   */
  readonly signingName: string;
  /** The shape namespace errors are reported in, e.g. `com.amazonaws.sfn`. */
  readonly errorNamespace: string;
  /**
   * When present, the only operations this emulator answers: the rest of its prefix goes where it
   * would without it (DynamoDB's to dynalite, which has no exports). @default every operation
   */
  readonly claims?: ReadonlySet<string>;
  /** Runs one operation; throws `AwsServiceError` for anything the real service would refuse. */
  handle(operation: string, input: Record<string, unknown>): Promise<unknown>;
}

/** An error as the real service would return it: a code the SDK turns into an exception class. */
export class AwsServiceError extends Error {
  override readonly name: string = 'AwsServiceError';

  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** For query-compatible services (SQS): the legacy code sent as `x-amzn-query-error`. */
    readonly queryErrorCode?: string,
  ) {
    super(message);
  }
}

/** The answer to an operation the emulator does not implement: never a silent success. */
export function unknownOperation(service: AwsJsonService, operation: string): AwsServiceError {
  return new AwsServiceError(
    'UnknownOperationException',
    `${operation} is not supported by the local ${service.name} emulator (Gantry local mode)`,
  );
}

/** A required string parameter, or the ValidationException the real API would give. */
export function requiredString(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '') {
    throw new AwsServiceError(
      'ValidationException',
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

/** awsJson timestamps are epoch seconds, with a fraction. */
export function epochSeconds(date: Date | number): number {
  return (typeof date === 'number' ? date : date.getTime()) / 1000;
}
