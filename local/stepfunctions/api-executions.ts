import { AwsServiceError, epochSeconds } from '../edge/aws-json';
import { executionIn, machineIn, type Operation, optionalString } from './api-context';
import { executionArnFor, validJsonText, validName } from './names';
import { pageOf } from './paging';
import { generatedName } from './registry';
import type { ExecutionRecord, ExecutionStatus } from './store';

const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/**
 * StartExecution, idempotent as on AWS for Standard workflows: the same name and input while the
 * execution runs answers the original response; otherwise a used name is ExecutionAlreadyExists.
 */
const startExecution: Operation = (api, input) => {
  const machine = machineIn(api, input);
  const name = input.name === undefined || input.name === null ? generatedName() : validName(input.name);
  const text =
    input.input === undefined || input.input === null
      ? '{}'
      : validJsonText(input.input, 'InvalidExecutionInput', 'State Machine Execution Input');
  const arn = executionArnFor(machine.spec.arn, name, machine.spec.type === 'EXPRESS');
  const existing = api.registry.get(arn);
  if (existing !== undefined) {
    if (existing.status !== 'RUNNING' || existing.input !== text) {
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    return { executionArn: arn, startDate: epochSeconds(existing.startDate) };
  }
  const record = api.registry.start(machine, arn, name, text);
  return { executionArn: record.executionArn, startDate: epochSeconds(record.startDate) };
};

const describeExecution: Operation = (api, input) => {
  const record = executionIn(api, input);
  return {
    ...summary(record),
    input: record.input,
    inputDetails: { included: true },
    ...(record.output === undefined ? {} : { output: record.output, outputDetails: { included: true } }),
    ...(record.error === undefined ? {} : { error: record.error }),
    ...(record.cause === undefined ? {} : { cause: record.cause }),
    redriveCount: 0,
    redriveStatus: 'NOT_REDRIVABLE',
    redriveStatusReason: 'Redrive is not supported in Gantry local mode',
  };
};

const listExecutions: Operation = (api, input) => {
  if (input.mapRunArn !== undefined) {
    throw new AwsServiceError('ValidationException', 'Distributed Map runs are not supported in Gantry local mode');
  }
  const machine = machineIn(api, input);
  const status = input.statusFilter;
  if (status !== undefined && !STATUSES.includes(status as ExecutionStatus)) {
    throw new AwsServiceError(
      'ValidationException',
      `Value '${String(status)}' at 'statusFilter' is not a valid status`,
    );
  }
  const all = api.registry.of(machine.spec.arn).filter((r) => status === undefined || r.status === status);
  const page = pageOf(all, (r) => r.seq, input, `executions:${machine.spec.arn}:${String(status)}`);
  return { executions: page.items.map(summary), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
};

const stopExecution: Operation = async (api, input) => {
  const record = executionIn(api, input);
  const error = optionalString(input, 'error', 256);
  const cause = optionalString(input, 'cause', 32768);
  const stopped = (await api.registry.stop(record.executionArn, error, cause)) ?? record;
  return { stopDate: epochSeconds(stopped.stopDate ?? Date.now()) };
};

function summary(record: ExecutionRecord) {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    ...(record.stopDate === undefined ? {} : { stopDate: epochSeconds(record.stopDate) }),
  };
}

/** The execution lifecycle operations, by name. */
export const executionOperations: Readonly<Record<string, Operation>> = {
  StartExecution: startExecution,
  DescribeExecution: describeExecution,
  ListExecutions: listExecutions,
  StopExecution: stopExecution,
};
