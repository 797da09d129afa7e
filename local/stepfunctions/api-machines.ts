import { epochSeconds } from '../edge/aws-json';
import { type ApiContext, executionIn, machineIn, type Operation } from './api-context';
import type { LoadedMachine } from './machines';
import { pageOf } from './paging';

/** Local state machines do no logging or tracing of their own. */
const OBSERVABILITY = {
  loggingConfiguration: { level: 'OFF', includeExecutionData: false },
  tracingConfiguration: { enabled: false },
};

const describeStateMachine: Operation = (api, input) => {
  const { spec } = machineIn(api, input);
  return {
    stateMachineArn: spec.arn,
    name: spec.name,
    status: 'ACTIVE',
    definition: spec.definition,
    roleArn: spec.roleArn,
    type: spec.type,
    creationDate: epochSeconds(api.loadedAt),
    ...OBSERVABILITY,
  };
};

const listStateMachines: Operation = (api, input) => {
  const machines = [...api.machines.values()].sort((a, b) => a.spec.name.localeCompare(b.spec.name));
  const indexed = machines.map((machine, index) => ({ machine, index }));
  const page = pageOf(indexed, (m) => m.index, input, 'state-machines');
  return {
    stateMachines: page.items.map(({ machine }) => listItem(api, machine)),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
};

/** The definition the execution ran, even if the state machine has changed since. */
const describeStateMachineForExecution: Operation = (api, input) => {
  const record = executionIn(api, input);
  const current = api.machines.get(record.stateMachineArn);
  return {
    stateMachineArn: record.stateMachineArn,
    name: record.stateMachineName,
    definition: api.registry.definitionOf(record) ?? current?.spec.definition ?? '{}',
    roleArn: record.roleArn,
    updateDate: epochSeconds(api.loadedAt),
    ...OBSERVABILITY,
  };
};

function listItem(api: ApiContext, machine: LoadedMachine) {
  const { spec } = machine;
  return { stateMachineArn: spec.arn, name: spec.name, type: spec.type, creationDate: epochSeconds(api.loadedAt) };
}

/** The read-only state machine operations, by name (the template owns the machines). */
export const machineOperations: Readonly<Record<string, Operation>> = {
  DescribeStateMachine: describeStateMachine,
  ListStateMachines: listStateMachines,
  DescribeStateMachineForExecution: describeStateMachineForExecution,
};
