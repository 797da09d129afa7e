/**
 * A local control plane for the benchmarks: pipelines built in code over git repositories made in
 * a temporary folder, each with a buildspec that does nothing and no gate that needs a report,
 * so what is timed is Gantry's own work around a build, not the build.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, SFNClient } from '@aws-sdk/client-sfn';
import { githubPushPayload } from '../../cli/local/push-payloads';
import { git } from '../../cli/local/sample-repo';
import { connectionSecretName, type GantryConfig, GantryConfigSchema } from '../../infra/config/schema';
import { pipelineStateMachineName } from '../../infra/constructs/pipeline/names';
import type { LogSink } from '../../local/lambda/functions';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/runtime';
import { readLocalSecret } from '../../local/secretsmanager';
import { documentClient } from '../../shared/aws/clients';
import { admissionName } from '../../shared/pipelines/start';
import { DynamoDbRunStore } from '../../shared/runs/store';
import { COUNTER, type DeliverySpec } from './loadgen';

export const CONNECTION = 'bench-github';
/** The branch every pipeline runs on; pushes to any other branch match no rule. */
export const RUN_BRANCH = 'main';
/** A branch no trigger selects: the receiver does all its work, and the bus delivers to no target. */
export const IDLE_BRANCH = 'bench/no-rule';

const NOOP_BUILDSPEC = 'version: 0.2\nphases:\n  build:\n    commands:\n      - "true"\n';

export interface BenchRepo {
  readonly pipeline: string;
  readonly repository: string;
  readonly dir: string;
  readonly head: string;
}

export interface BenchPlane {
  readonly plane: LocalControlPlane;
  readonly config: GantryConfig;
  readonly repos: readonly BenchRepo[];
  /** The connection's webhook secret, as local mode generated it in secrets.json. */
  readonly secret: string;
  readonly sfn: SFNClient;
  readonly runs: DynamoDbRunStore;
  readonly deliveries: ReturnType<typeof documentClient>;
  readonly webhookUrl: string;
  close(): Promise<void>;
}

/**
 * `count` pipelines `noop-0` … over repositories `bench/noop-N`, each running pushes to `main`
 * in environment `dev` (no approval). Each also has a `prod` environment on `release/*` that
 * needs approval, never pushed to: without one, the state machine's NeedsApproval? Choice has no
 * choices, which Step Functions refuses (see the bench report).
 */
export function benchConfig(repos: readonly { pipeline: string; repository: string }[]): GantryConfig {
  return GantryConfigSchema.parse({
    connections: [{ name: CONNECTION, provider: 'github' }],
    pipelines: repos.map((r) => ({
      name: r.pipeline,
      source: { provider: 'github', repository: r.repository, connection: CONNECTION },
      triggers: { push: { branches: [RUN_BRANCH, 'release/*'] } },
      build: { buildspec: 'buildspec.yml', computeSize: 'small', timeoutMinutes: 5 },
      gates: {},
      environments: [
        { name: 'dev', branches: [RUN_BRANCH] },
        { name: 'prod', branches: ['release/*'], approval: { required: true, approverGroups: ['release-managers'] } },
      ],
      concurrency: 'queued',
    })),
    approvers: {
      groups: { 'release-managers': ['alice'] },
      identities: { alice: { principals: ['arn:aws:iam::000000000000:user/alice'] } },
    },
  });
}

function noopRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet');
  writeFileSync(join(dir, 'buildspec.yml'), NOOP_BUILDSPEC);
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '-m', 'A build that does nothing');
  return git(dir, 'rev-parse', 'HEAD');
}

export async function startBenchPlane(pipelines: number, log?: LogSink): Promise<BenchPlane> {
  const root = mkdtempSync(join(tmpdir(), 'gantry-bench-'));
  const repos = Array.from({ length: pipelines }, (_, i) => {
    const pipeline = `noop-${i}`;
    const dir = join(root, 'repos', pipeline);
    return { pipeline, repository: `bench/${pipeline}`, dir, head: noopRepo(dir) };
  });
  const config = benchConfig(repos);
  const dataDir = join(root, 'data');
  const plane = await startLocalControlPlane({
    config,
    dataDir,
    port: 0,
    awsPort: 0,
    env: {},
    ...(log ? { log } : {}),
  });
  const connection = config.connections[0];
  if (connection === undefined) throw new Error('no connection');
  // As `gantry local push` does: the fake provider serves a repository's source once told where it is.
  for (const repo of repos) {
    const res = await fetch(`${plane.awsEndpoint}/_gantry/provider/repositories`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${plane.token}` },
      body: JSON.stringify({ provider: connection.provider, fullName: repo.repository, dir: repo.dir }),
    });
    if (!res.ok) throw new Error(`the bench plane did not take ${repo.dir} as ${repo.repository}: HTTP ${res.status}`);
  }
  const { webhookSecret } = JSON.parse(
    readLocalSecret(join(dataDir, 'secrets.json'), connectionSecretName(connection), {}),
  ) as { webhookSecret: string };
  const edge = {
    endpoint: plane.awsEndpoint,
    region: plane.region,
    // The session's operator: the edge serves only keys it issued.
    credentials: plane.operator,
  };
  const dynamo = new DynamoDBClient(edge);
  const sfn = new SFNClient(edge);
  return {
    plane,
    config,
    repos,
    secret: webhookSecret,
    sfn,
    runs: new DynamoDbRunStore(documentClient(dynamo), 'gantry-runs'),
    deliveries: documentClient(dynamo),
    webhookUrl: `${plane.webhookUrl}/webhooks/github`,
    close: async () => {
      sfn.destroy();
      dynamo.destroy();
      await plane.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * A push of `repo`'s commit to `branch` as GitHub sends it, for the load generator to sign:
 * the commit message carries each delivery's number, so no two bodies are the same. With
 * `repositories`, the deliveries name each of them in turn (the connection verifies any).
 */
export function pushDelivery(
  bench: BenchPlane,
  repo: BenchRepo,
  branch: string,
  idPrefix: string,
  repositories: readonly string[] = [repo.repository],
): DeliverySpec {
  const bodies = repositories.map((repository) =>
    JSON.stringify(
      githubPushPayload({
        repository,
        cloneUrl: `file://${repo.dir}`,
        branch,
        before: '0'.repeat(40),
        after: repo.head,
        commits: [
          {
            id: repo.head,
            message: `bench delivery ${COUNTER}`,
            author: { name: 'Bench', email: 'bench@example.com' },
            committer: { name: 'Bench', email: 'bench@example.com' },
            timestamp: new Date().toISOString(),
          },
        ],
        pusher: 'bench',
      }),
    ),
  );
  return { secret: bench.secret, bodies, idPrefix };
}

/** The pipeline execution admission starts for a delivery: named after the pipeline and the event id. */
export function pipelineExecutionArn(bench: BenchPlane, pipeline: string, deliveryId: string): string {
  return `arn:aws:states:${bench.plane.region}:000000000000:execution:${pipelineStateMachineName(pipeline)}:${runIdOf(pipeline, deliveryId)}`;
}

/** A run's id (and its execution's name), as admission names it for the delivery's first event. */
export function runIdOf(pipeline: string, deliveryId: string): string {
  return admissionName(pipeline, `github:${deliveryId}:0`);
}

export async function describeExecution(
  bench: BenchPlane,
  executionArn: string,
): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    return await bench.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

/** Polls `check` every `everyMs` until it returns a value; fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
