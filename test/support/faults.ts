import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { git } from '../../cli/local/sample-repo';
import type { AuditEvent } from '../../events';
import { type RuntimeInfo, readRuntimeInfo } from '../../local/discovery';
import { TEST_HOOKS_ENV, type TestHooks } from '../../local/stepfunctions/test-hooks';
import type { RunRecord } from '../../shared/runs/model';
import { gantry, ROOT } from './cli';
import { eventually } from './local';

/** What the SDK needs to talk to a local edge. */
export interface Edge {
  readonly awsEndpoint: string;
  readonly region: string;
  /** The session's operator credentials: the edge serves only keys it issued. */
  readonly operator: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

const clientConfig = (edge: Edge) => ({
  endpoint: edge.awsEndpoint,
  region: edge.region,
  credentials: edge.operator,
});

/** A new commit on `branch` (made from develop when it does not exist yet); its SHA. */
export function commitOn(repo: string, branch: string, message: string): string {
  const exists = git(repo, 'branch', '--list', branch) !== '';
  git(repo, 'checkout', '--quiet', ...(exists ? [branch] : ['-b', branch, 'develop']));
  git(repo, 'commit', '--quiet', '--allow-empty', '-m', message);
  const sha = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'checkout', '--quiet', 'develop');
  return sha;
}

/** `gantry runs list --json` of the local control plane in `dataDir`. */
export async function listedRuns(dataDir: string): Promise<RunRecord[]> {
  const out = await gantry('runs', 'list', '--json', '--limit', '100', '--data-dir', dataDir);
  if (out.code !== 0) throw new Error(`gantry runs list failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as RunRecord[];
}

/** `gantry audit query --json` with the filters given (`--commit x`, `--type y`, …). */
export async function ledger(dataDir: string, ...filters: string[]): Promise<AuditEvent[]> {
  const out = await gantry('audit', 'query', '--json', ...filters, '--data-dir', dataDir);
  if (out.code !== 0) throw new Error(`gantry audit query failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as AuditEvent[];
}

/** The ARN of the state machine whose name is `name`, or that contains `part`. */
export async function stateMachineArn(edge: Edge, part: string): Promise<string> {
  const machines = (await new SFNClient(clientConfig(edge)).send(new ListStateMachinesCommand({}))).stateMachines ?? [];
  const found = machines.find((m) => m.name === part) ?? machines.find((m) => m.name?.includes(part));
  if (found?.stateMachineArn === undefined) throw new Error(`no state machine named like ${part}`);
  return found.stateMachineArn;
}

/** Every execution of a state machine, newest first. */
export async function executionsOf(edge: Edge, machineArn: string): Promise<ExecutionListItem[]> {
  const sfn = new SFNClient(clientConfig(edge));
  const all: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, nextToken }));
    all.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

/** An execution's whole history. */
export async function historyOf(edge: Edge, executionArn: string): Promise<HistoryEvent[]> {
  const out = await new SFNClient(clientConfig(edge)).send(
    new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
  );
  return out.events ?? [];
}

/**
 * Runs the sweep now, as its schedule would: the scheduled rule's own target (the lane's keeper)
 * invoked through the Lambda API with the rule's own input. Returns what the sweep reports.
 */
export async function sweepNow(edge: Edge): Promise<{ checked: number; closed: { runId: string; reason: string }[] }> {
  const events = new EventBridgeClient(clientConfig(edge));
  const rules = (await events.send(new ListRulesCommand({}))).Rules ?? [];
  const rule = rules.find((r) => r.ScheduleExpression === 'rate(5 minutes)' && r.Name?.includes('Sweep'));
  if (rule?.Name === undefined) throw new Error(`no sweep rule among ${rules.map((r) => r.Name).join(', ')}`);
  const [target] = (await events.send(new ListTargetsByRuleCommand({ Rule: rule.Name }))).Targets ?? [];
  if (target?.Arn === undefined || target.Input === undefined) throw new Error(`rule ${rule.Name} has no target`);
  const out = await new LambdaClient(clientConfig(edge)).send(
    new InvokeCommand({ FunctionName: target.Arn, Payload: Buffer.from(target.Input) }),
  );
  const payload = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'));
  if (out.FunctionError) throw new Error(`the sweep failed: ${JSON.stringify(payload)}`);
  return payload;
}

/** `gantry local up` in its own process, on free ports, with the test hooks given (if any). */
export function startLocalProcess(dataDir: string, hooks?: TestHooks): ChildProcess {
  return spawn(
    process.execPath,
    [
      join(ROOT, 'cli', 'bin.mjs'),
      'local',
      'up',
      '--port',
      '0',
      '--aws-port',
      '0',
      '--service-port',
      '0',
      '--data-dir',
      dataDir,
      '--quiet',
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...(hooks ? { [TEST_HOOKS_ENV]: JSON.stringify(hooks) } : {}) },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

/** The runtime info of the control plane `child` runs, once it is up. */
export function runningProcess(dataDir: string, child: ChildProcess): Promise<RuntimeInfo> {
  return eventually(
    'the control plane to start',
    async () => {
      const info = readRuntimeInfo(dataDir);
      return info?.pid === child.pid ? info : undefined;
    },
    90_000,
  );
}

/** kill -9, and wait until the process is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Runs `work` with the test hooks set in this process's environment (for an in-process plane). */
export async function withTestHooks<T>(hooks: TestHooks, work: () => Promise<T>): Promise<T> {
  process.env[TEST_HOOKS_ENV] = JSON.stringify(hooks);
  try {
    return await work();
  } finally {
    delete process.env[TEST_HOOKS_ENV];
  }
}
