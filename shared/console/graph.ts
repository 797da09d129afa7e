import type { RunRecord } from '../runs/model';
import type { ExecutionEvent } from './ports';

export type NodeStatus = 'pending' | 'running' | 'succeeded' | 'failed';

/** One state of the run's state machine, with what the execution did there. */
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

/**
 * The stage graph as the state machine defines it (its top-level states from StartAt, in the
 * order their transitions reach them), each coloured by the execution's history: entered and
 * not left is running, left is succeeded, a failure event names it failed.
 */
export function stageGraph(asl: string, history: readonly ExecutionEvent[]): GraphNode[] {
  const definition = JSON.parse(asl) as { StartAt?: string; States?: Record<string, AslState> };
  const states = definition.States ?? {};
  const main = reachable(states, definition.StartAt ? [definition.StartAt] : [], false);
  const all = reachable(states, main, true);
  const seen = statusesFrom(history);
  return all.map((name) => ({
    name,
    type: states[name]?.Type ?? 'Task',
    next: successors(states[name] ?? {}, true),
    status: seen.get(name) ?? 'pending',
    failurePath: !main.includes(name),
  }));
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

function statusesFrom(history: readonly ExecutionEvent[]): Map<string, NodeStatus> {
  const seen = new Map<string, NodeStatus>();
  let current: string | undefined;
  for (const event of history) {
    if (event.type.endsWith('StateEntered') && event.name) {
      current = event.name;
      seen.set(event.name, 'running');
    } else if (event.type.endsWith('StateExited') && event.name) {
      if (seen.get(event.name) !== 'failed') seen.set(event.name, 'succeeded');
    } else if (/(TaskFailed|TaskTimedOut|ExecutionFailed|ExecutionAborted|ExecutionTimedOut)$/.test(event.type)) {
      if (current) seen.set(current, 'failed');
    }
  }
  return seen;
}

/** A run's live signature: the console's event stream sends the run again whenever it changes. */
export function versionOf(run: RunRecord, nodes: readonly GraphNode[]): string {
  return `${run.updatedAt}|${run.status}|${nodes.map((n) => n.status[0]).join('')}`;
}
