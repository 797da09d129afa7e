import { type AwsJsonService, unknownOperation } from '../edge/aws-json';
import type { ApiContext, Operation } from './api-context';
import { executionOperations } from './api-executions';
import { historyOperations } from './api-history';
import { machineOperations } from './api-machines';
import { taskOperations } from './api-tasks';
import type { FaultInjector } from './test-hooks';

const OPERATIONS: Readonly<Record<string, Operation>> = {
  ...executionOperations,
  ...historyOperations,
  ...machineOperations,
  ...taskOperations,
};

/**
 * The Step Functions API (awsJson1_0, `AWSStepFunctions.*`) over the local executions, so the
 * SDK's SFNClient and `aws stepfunctions` work against the edge endpoint unchanged. Operations
 * local mode does not implement answer UnknownOperationException, never a silent success. `faults`
 * (tests only) fails calls before they run.
 */
export function stepFunctionsService(api: ApiContext, faults?: FaultInjector): AwsJsonService {
  const service: AwsJsonService = {
    name: 'Step Functions',
    targetPrefix: 'AWSStepFunctions',
    signingName: 'states',
    errorNamespace: 'com.amazonaws.sfn',
    async handle(operation, input) {
      const run = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
      if (run === undefined) throw unknownOperation(service, operation);
      faults?.check(operation, input);
      return run(api, input);
    },
  };
  return service;
}
