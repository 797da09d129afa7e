import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { jest } from '@jest/globals';
import { localPush } from '../../cli/local/push';
import { ensureSampleRepo, git } from '../../cli/local/sample-repo';
import { localOperatorHeaders } from '../../cli/target';
import { loadGantryConfig } from '../../infra/config/load';
import type { GantryConfig } from '../../infra/config/schema';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/runtime';
import { documentClient } from '../../shared/aws/clients';
import type { RunRecord } from '../../shared/runs/model';
import { DynamoDbRunStore } from '../../shared/runs/store';

export interface TestPlane {
  readonly plane: LocalControlPlane;
  readonly config: GantryConfig;
  readonly dataDir: string;
  readonly logs: string[];
  readonly runs: DynamoDbRunStore;
  readonly sfn: SFNClient;
  readonly repo: () => string;
  push(options?: { branch?: string; deliveryId?: string }): ReturnType<typeof localPush>;
  close(): Promise<void>;
}

/** The AWS SDK options for a client of the local edge. */
export function edgeClientConfig(plane: LocalControlPlane) {
  return {
    endpoint: plane.awsEndpoint,
    region: plane.region,
    // The session's operator: the edge serves only keys it issued.
    credentials: plane.operator,
  };
}

/** The headers the edge's local-only routes and the front door's IAM routes need: the session token. */
export function operatorHeaders(plane: Pick<LocalControlPlane, 'token'>): Record<string, string> {
  return { authorization: `Bearer ${plane.token}` };
}

/**
 * The headers of an operator API call acting as `who`, as the CLI sends them: the session token
 * and a caller proof the operator API's function verifies through the edge.
 */
export function actingAs(
  plane: Pick<LocalControlPlane, 'awsEndpoint' | 'region' | 'token' | 'operatorApiUrl'>,
  who: string,
  path: string,
  body: string,
): Promise<Record<string, string>> {
  return localOperatorHeaders(plane, path, body, who);
}

/**
 * A local control plane from the project's own gantry.config.yaml, on free ports with a fresh
 * data folder; it is driven over HTTP like a user's would be.
 */
export async function startTestPlane(
  dataDir = mkdtempSync(join(tmpdir(), 'gantry-it-')),
  options: { timeScale?: number; configure?: (config: GantryConfig) => GantryConfig } = {},
): Promise<TestPlane> {
  const loaded = loadGantryConfig(join(import.meta.dirname, '..', '..', 'gantry.config.yaml'));
  const config = options.configure ? options.configure(loaded) : loaded;
  const logs: string[] = [];
  const plane = await startLocalControlPlane({
    config,
    dataDir,
    port: 0,
    awsPort: 0,
    servicePort: 0,
    // Deployments and Wait states 600x faster: a 5-minute canary takes half a second.
    timeScale: options.timeScale ?? 600,
    log: (fn, line) => void logs.push(`${fn} ${line}`),
  });
  let repo: string | undefined;
  const sampleRepo = () => {
    repo ??= ensureSampleRepo(join(dataDir, 'repos', 'sample-service'));
    return repo;
  };
  return {
    plane,
    config,
    dataDir,
    logs,
    runs: new DynamoDbRunStore(documentClient(new DynamoDBClient(edgeClientConfig(plane))), 'gantry-runs'),
    sfn: new SFNClient(edgeClientConfig(plane)),
    repo: sampleRepo,
    push: (options = {}) =>
      localPush({
        config,
        webhookUrl: plane.webhookUrl,
        awsEndpoint: plane.awsEndpoint,
        token: plane.token,
        secretsFile: join(dataDir, 'secrets.json'),
        repoDir: sampleRepo(),
        ...options,
      }),
    close: async () => {
      await plane.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value, or fails after `timeoutMs` saying what it waited for. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The run of a commit once it has ended. */
export function finishedRun(t: TestPlane, commit: string): Promise<RunRecord> {
  // A hang guard, not a speed check (benchmarks check speed): a run that takes 10 s alone takes
  // several times that while the suite's other planes build and deploy on the same two cores.
  return eventually(
    `the run of ${commit.slice(0, 12)} to end`,
    async () => {
      const run = (await t.runs.list({ pipeline: 'sample-service' })).find((r) => r.commit === commit);
      return run && !['QUEUED', 'RUNNING'].includes(run.status) ? run : undefined;
    },
    RUN_END_WAIT_MS,
  );
}

/** How long a test waits for a run to end before it calls it hung. */
export const RUN_END_WAIT_MS = 90_000;

// A test file that drives a local plane waits for runs (finishedRun, up to RUN_END_WAIT_MS, a hang
// guard): jest's default 30 s (jest.config.ts) would make each such test a speed check, which
// failed a develop push's first run at 30 s on a loaded CI. Tests that name a timeout keep theirs.
jest.setTimeout(RUN_END_WAIT_MS + 30_000);

/**
 * A GitHub pull_request delivery (opened) for `branch` of the sample repository into `target`,
 * signed with the connection's local secret, as GitHub would send it. `fromRepository` other
 * than the pipeline's makes it a fork's.
 */
export async function openPullRequest(
  t: TestPlane,
  options: { branch: string; target?: string; number?: number; fromRepository?: string; author?: string },
): Promise<{ status: number; headSha: string }> {
  const { git } = await import('../../cli/local/sample-repo');
  const { readLocalSecret } = await import('../../local/secretsmanager');
  const { adapterFor } = await import('../../shared/webhooks/normalize');
  const repo = t.repo();
  const headSha = git(repo, 'rev-parse', `${options.branch}^{commit}`);
  const repository = t.config.pipelines[0]?.source.repository ?? 'gantry-demo/sample-service';
  const author = options.author ?? 'mallory';
  const payload = {
    action: 'opened',
    number: options.number ?? 7,
    pull_request: {
      title: `PR from ${options.branch}`,
      merged: false,
      user: { login: author },
      head: { ref: options.branch, sha: headSha, repo: { full_name: options.fromRepository ?? repository } },
      base: { ref: options.target ?? 'develop' },
    },
    repository: {
      name: repository.split('/')[1],
      full_name: repository,
      private: true,
      owner: { name: repository.split('/')[0], login: repository.split('/')[0] },
      html_url: `file://${repo}`,
      clone_url: `file://${repo}`,
      default_branch: 'main',
    },
    sender: { login: author, type: 'User' },
  };
  const secret = JSON.parse(
    readLocalSecret(join(t.dataDir, 'secrets.json'), 'gantry/connections/github-demo', process.env),
  ) as { webhookSecret: string };
  // The pull request's commits are at the provider, as a push (`gantry local push`) puts them there.
  const registered = await fetch(`${t.plane.awsEndpoint}/_gantry/provider/repositories`, {
    method: 'POST',
    headers: { ...operatorHeaders(t.plane), 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'github', fullName: repository, dir: repo }),
  });
  if (!registered.ok) throw new Error(`the fake provider did not take ${repo}: HTTP ${registered.status}`);
  const body = Buffer.from(JSON.stringify(payload));
  const headers = adapterFor('github').deliveryHeaders({
    body,
    secret: secret.webhookSecret,
    eventName: 'pull_request',
    deliveryId: crypto.randomUUID(),
  });
  const res = await fetch(`${t.plane.webhookUrl}/webhooks/github`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, headSha };
}

/** Commits on a new branch of the sample repository (from `base`) as `author`. */
export function commitOnBranch(
  repo: string,
  branch: string,
  author: string,
  files: Record<string, string>,
  message: string,
  base = 'develop',
): void {
  git(repo, 'checkout', '--quiet', '-B', branch, base);
  for (const [path, content] of Object.entries(files)) writeFileSync(join(repo, path), content);
  execFileSync('git', ['add', '--all'], { cwd: repo });
  execFileSync(
    'git',
    [
      '-c',
      `user.name=${author}`,
      '-c',
      `user.email=${author.toLowerCase()}@example.com`,
      'commit',
      '--quiet',
      '-m',
      message,
    ],
    { cwd: repo },
  );
}

/** `gantry runs rollback <environment>` as a user types it, acting as `who`; its JSON answer. */
export async function rollbackAs(
  t: TestPlane,
  environment: string,
  who = 'ops',
): Promise<{ runId: string; rollbackOf: string; toRunId: string; version: string }> {
  const { gantry } = await import('./cli');
  const rolled = await gantry(
    'runs',
    'rollback',
    environment,
    '--reason',
    'error budget',
    '--as',
    who,
    '--json',
    '--data-dir',
    t.dataDir,
  );
  // The whole result, so a refusal shows its stderr.
  expect(rolled).toEqual({ code: 0, stdout: expect.stringContaining('rollbackOf'), stderr: expect.any(String) });
  return JSON.parse(rolled.stdout) as { runId: string; rollbackOf: string; toRunId: string; version: string };
}

/** The run `runId` once it is no longer running. */
export function endedRun(t: TestPlane, runId: string, timeoutMs = 60_000): Promise<RunRecord> {
  return eventually(
    `run ${runId.slice(0, 12)} to end`,
    async () => {
      const r = await t.runs.get(runId);
      return r && r.status !== 'RUNNING' ? r : undefined;
    },
    timeoutMs,
  );
}
