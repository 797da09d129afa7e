import { STAGES, type StageName } from '../../events';
import type { RunRecord, Stage } from '../runs/model';

export type NodeStatus = 'pending' | 'running' | 'succeeded' | 'failed';

/** One state of the run's state machine, with what the run did there. */
export interface GraphNode {
  readonly name: string;
  readonly type: string;
  readonly next: readonly string[];
  readonly status: NodeStatus;
  /** Reached only through a Catch: the failure path, folded away on the page until taken. */
  readonly failurePath: boolean;
}

interface AslState {
  Type?: string;
  Next?: string;
  Default?: string;
  Choices?: { Next?: string }[];
  Catch?: { Next?: string }[];
}

/** What the graph reads of a run: its record, never the execution's history (which holds task tokens). */
export type GraphRun = Pick<RunRecord, 'stages' | 'status' | 'environment' | 'failure'> & {
  readonly plan: { readonly skip?: unknown };
};

/** The state every stage's failures are caught into: `Failed build`, `Failed deploy`, … */
const FAILED_STAGE = /^Failed (\w+)$/;

/**
 * The stage graph as the state machine defines it (its top-level states from StartAt, in the
 * order their transitions reach them), each coloured by the run record: a state belongs to the
 * stage whose `Failed <stage>` state its Catch names (the first state to `plan`), and shows that
 * stage's status for the run's environment; a Choice, Pass or Wait between them is done once a
 * state after it started; the failure path shows what ran after a stage failed.
 */
export function stageGraph(asl: string, run: GraphRun): GraphNode[] {
  const definition = JSON.parse(asl) as { StartAt?: string; States?: Record<string, AslState> };
  const states = definition.States ?? {};
  const start = definition.StartAt;
  const main = reachable(states, start ? [start] : [], false);
  const all = reachable(states, main, true);
  // Each environment has its own `Deploy <environment>` state and those after it: a run takes its own.
  const environments = new Set(Object.keys(states).map((name) => /^Deploy (\S+)$/.exec(name)?.[1]));
  const status = new Map<string, NodeStatus>();
  for (const name of main) {
    const stage = stageOf(name, states[name] ?? {}, start);
    if (stage === undefined) continue;
    const environment = name.split(' ').at(-1) ?? '';
    const elsewhere = name.includes(' ') && environments.has(environment) && environment !== run.environment;
    status.set(name, elsewhere ? 'pending' : statusOf(run.stages[stage]));
  }
  for (const name of all) {
    const failed = failedStageOf(name);
    if (failed !== undefined && (run.failure?.stage === failed || run.stages[failed]?.status === 'failed'))
      status.set(name, 'failed');
  }
  const before = new Map<string, string[]>(main.map((name) => [name, []]));
  for (const p of main) for (const n of successors(states[p] ?? {}, false)) before.get(n)?.push(p);
  const predecessors = (name: string) => before.get(name) ?? [];
  for (const name of main) {
    if (states[name]?.Type !== 'Succeed') continue;
    const tasks = predecessors(name).filter((p) => status.has(p));
    const reached =
      run.status === 'SUCCEEDED' &&
      (tasks.length > 0 ? tasks.some((p) => status.get(p) !== 'pending') : Boolean(run.plan.skip));
    status.set(name, reached ? 'succeeded' : 'pending');
  }
  for (const name of passedBetweenStages(states, main, status, predecessors)) status.set(name, 'succeeded');
  for (const [name, value] of failurePathStatuses(states, main, status, run)) status.set(name, value);
  return all.map((name) => ({
    name,
    type: states[name]?.Type ?? 'Task',
    next: successors(states[name] ?? {}, true),
    status: status.get(name) ?? 'pending',
    failurePath: !main.includes(name),
  }));
}

/**
 * The Choice, Pass and Wait states between stages that the run passed: one a finished state leads
 * to unconditionally (a Task's, Pass's or Wait's Next), or one whose next state started and was
 * reached only through it (or through it and states the run did not take). A stage's states
 * share its status: the run record keeps stages, and the execution's history, which would tell
 * each state apart, shows every task token and is granted to no role.
 */
function passedBetweenStages(
  states: Record<string, AslState>,
  main: readonly string[],
  known: ReadonlyMap<string, NodeStatus>,
  predecessors: (name: string) => string[],
): Set<string> {
  const passed = new Set<string>();
  const started = (name: string) => passed.has(name) || (known.get(name) ?? 'pending') !== 'pending';
  const between = main.filter((name) => !known.has(name));
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of between) {
      if (passed.has(name)) continue;
      const before = predecessors(name);
      const done = (p: string) => passed.has(p) || known.get(p) === 'succeeded';
      const led = before.some((p) => done(p) && states[p]?.Type !== 'Choice' && states[p]?.Next === name);
      const followed = successors(states[name] ?? {}, false).some(
        (next) => main.includes(next) && started(next) && predecessors(next).every((p) => p === name || !started(p)),
      );
      if (led || followed) {
        passed.add(name);
        changed = true;
      }
    }
  }
  return passed;
}

/** The stage a `Failed <stage>` state catches failures of. */
function failedStageOf(name: string): StageName | undefined {
  const stage = FAILED_STAGE.exec(name)?.[1];
  return (STAGES as readonly string[]).includes(stage ?? '') ? (stage as StageName) : undefined;
}

/** The stage a state belongs to: the one its Catch hands failures to, or `plan` for the first. */
function stageOf(name: string, state: AslState, start: string | undefined): StageName | undefined {
  for (const c of state.Catch ?? []) {
    const stage = failedStageOf(c.Next ?? '');
    if (stage !== undefined) return stage;
  }
  return name === start ? 'plan' : undefined;
}

function statusOf(stage: Stage | undefined): NodeStatus {
  switch (stage?.status) {
    case 'succeeded':
      return 'succeeded';
    case 'running':
    case 'waiting':
      return 'running';
    case 'failed':
    case 'cancelled':
      return 'failed';
    default:
      return 'pending';
  }
}

/** What ran after a stage failed, once the run failed: the states its `Failed <stage>` leads to. */
function failurePathStatuses(
  states: Record<string, AslState>,
  main: readonly string[],
  known: ReadonlyMap<string, NodeStatus>,
  run: GraphRun,
): Map<string, NodeStatus> {
  const out = new Map<string, NodeStatus>();
  if (run.status !== 'FAILED') return out;
  const failed = [...known].filter(([name, status]) => status === 'failed' && failedStageOf(name)).map(([n]) => n);
  for (const name of reachable(states, failed, false)) {
    if (known.has(name) || main.includes(name)) continue;
    out.set(name, states[name]?.Type === 'Fail' ? 'failed' : 'succeeded');
  }
  return out;
}

/** States reachable from `from`, breadth first; through Catch only when `catches`. */
function reachable(states: Record<string, AslState>, from: readonly string[], catches: boolean): string[] {
  const order: string[] = [];
  const queue = [...from];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    const state = states[name];
    if (order.includes(name) || state === undefined) continue;
    order.push(name);
    queue.push(...successors(state, catches));
  }
  return order;
}

function successors(state: AslState, catches: boolean): string[] {
  const next = [
    state.Next,
    state.Default,
    ...(state.Choices ?? []).map((c) => c.Next),
    ...(catches ? (state.Catch ?? []).map((c) => c.Next) : []),
  ];
  return [...new Set(next.filter((n): n is string => typeof n === 'string'))];
}

/** A run's live signature: the console's event stream sends the run again whenever it changes. */
export function versionOf(run: RunRecord, nodes: readonly GraphNode[]): string {
  return `${run.updatedAt}|${run.status}|${nodes.map((n) => n.status[0]).join('')}`;
}
