import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { COMMIT_ID } from '../../events';
import {
  type ConnectionConfig,
  connectionSecretName,
  type GantryConfig,
  type PipelineConfig,
} from '../../infra/config/schema';
import { readLocalSecret, secretEnvVar } from '../../local/secretsmanager';
import { UsageError } from '../errors';
import { type PushFacts, pushDelivery } from './push-payloads';

export interface LocalPushOptions {
  readonly config: GantryConfig;
  readonly webhookUrl: string;
  /** The local edge: told where the repository lives, so the fake provider can list its commits. */
  readonly awsEndpoint?: string;
  /** The session's token, which the edge's local-only routes need (runtime.json). */
  readonly token?: string;
  readonly secretsFile: string;
  readonly repoDir: string;
  /** @default the checked-out branch */
  readonly branch?: string;
  /** @default the config pipeline whose repository matches the origin remote or the folder name */
  readonly repository?: string;
  readonly deliveryId?: string;
}

export interface LocalPushResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly pipeline: PipelineConfig;
  readonly push: PushFacts;
}

/**
 * `gantry local push`: the repository's current commit as the provider's own push delivery,
 * signed with the connection's local secret and sent to the running control plane, so a
 * pipeline runs on it before anything is pushed anywhere (as `act` does for GitHub Actions).
 */
export async function localPush(options: LocalPushOptions): Promise<LocalPushResult> {
  const dir = resolve(options.repoDir);
  if (!existsSync(join(dir, '.git'))) throw new UsageError(`${dir} is not a git repository`);
  const pipeline = pipelineFor(options.config, dir, options.repository);
  const connection = options.config.connections.find((c) => c.name === pipeline.source.connection);
  if (connection === undefined) throw new UsageError(`pipeline ${pipeline.name} names an unknown connection`);
  const pushed = pushedHeads(options.secretsFile);
  const facts = pushFacts(dir, pipeline.source.repository, options.branch);
  const refKey = `${connection.name}:${facts.repository}#${facts.branch}`;
  // Where this ref stood after its last local push, as a provider says where a push moved it from
  // (a branch reset to an older commit and pushed again is a force push from there, not a late
  // delivery of the older commit's first push).
  const last = pushed.read()[refKey];
  const push = last !== undefined && last !== facts.after ? { ...facts, before: last } : facts;
  const webhookSecret = localWebhookSecret(options.secretsFile, connection);
  if (options.awsEndpoint !== undefined)
    await registerRepository(options.awsEndpoint, options.token, connection.provider, push.repository, dir);
  const { body, headers } = pushDelivery(
    connection.provider,
    push,
    webhookSecret,
    options.deliveryId ?? crypto.randomUUID(),
  );
  const res = await fetch(`${options.webhookUrl}/webhooks/${connection.provider}`, { method: 'POST', headers, body });
  if (res.ok) pushed.write(refKey, push.after);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, pipeline, push };
}

/**
 * Each ref's head after its last local push, kept in the data folder beside the secrets
 * (`local-pushes.json`): the next push of the ref moves it from there. Unreadable is empty.
 */
function pushedHeads(secretsFile: string) {
  const file = join(dirname(secretsFile), 'local-pushes.json');
  const read = (): Record<string, string> => {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch {
      return {};
    }
  };
  return {
    read,
    write(ref: string, after: string): void {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ ...read(), [ref]: after }, null, 2), { mode: 0o600 });
      renameSync(tmp, file);
    },
  };
}

/**
 * The connection's webhook secret as the local control plane holds it. Azure DevOps sends only
 * Basic credentials, so its secret must be `user:password`; a data folder created before local
 * mode generated that form holds another, which is reported with the fix.
 */
function localWebhookSecret(secretsFile: string, connection: ConnectionConfig): string {
  const secretName = connectionSecretName(connection);
  const { webhookSecret } = JSON.parse(readLocalSecret(secretsFile, secretName, process.env)) as {
    webhookSecret: string;
  };
  if (connection.provider === 'azure-devops' && !webhookSecret.includes(':')) {
    throw new UsageError(
      `Azure DevOps service hooks authenticate with Basic user:password, but the webhookSecret of connection ${connection.name} has no ':'. ` +
        `Set it to user:password in ${secretsFile} (or ${secretEnvVar(secretName)}) and restart the control plane.`,
    );
  }
  return webhookSecret;
}

/** The pipeline this repository belongs to, or a message that says how to add one. */
function pipelineFor(config: GantryConfig, dir: string, repository: string | undefined): PipelineConfig {
  const candidates = repository
    ? [repository]
    : [originRepository(dir), basename(dir)].filter((c): c is string => c !== undefined);
  for (const candidate of candidates) {
    const found = config.pipelines.find(
      (p) => p.source.repository === candidate || p.source.repository.split('/').pop() === candidate,
    );
    if (found) return found;
  }
  const name = repository ?? originRepository(dir) ?? `your-org/${basename(dir)}`;
  throw new UsageError(
    `${name} is not in gantry.config.yaml. Add a pipeline for it, e.g.\n\n` +
      `pipelines:\n  - name: ${basename(dir)
        .toLowerCase()
        .replace(
          /[^a-z0-9-]/g,
          '-',
        )}\n    source: { provider: github, repository: ${name}, connection: ${config.connections[0]?.name ?? 'github-demo'} }\n    triggers:\n      push: { branches: [main] }\n\n` +
      'then restart `npm start`. Or pass --repository <owner/name> to use an existing pipeline.',
  );
}

function originRepository(dir: string): string | undefined {
  try {
    const url = execFileSync('git', ['remote', 'get-url', 'origin'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return /[:/]([^/:]+\/[^/]+?)(\.git)?$/.exec(url)?.[1];
  } catch {
    return undefined;
  }
}

/** What a push of `branch` (the checked-out one by default) in `dir` would deliver: read from its commits alone. */
export function pushFacts(dir: string, repository: string, branch: string | undefined): PushFacts {
  // What the commits say, not what replace refs, grafts, mailmaps or a signature check would.
  const git = (...args: string[]) =>
    execFileSync('git', ['--no-replace-objects', '-c', 'log.showSignature=false', ...args], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GIT_GRAFT_FILE: '/dev/null' },
    }).trim();
  let ref = branch;
  if (ref === undefined) {
    let head = '';
    try {
      head = git('symbolic-ref', '--quiet', 'HEAD');
    } catch {
      // detached
    }
    // The full name: `--short` answers `heads/main` where a tag `main` also exists.
    if (!head.startsWith('refs/heads/')) throw new UsageError('HEAD is detached: pass --branch <name>');
    ref = head.slice('refs/heads/'.length);
  }
  // A branch, by its full name: never an option (`--output=…`), nor a tag or other ref of that name.
  let valid = false;
  try {
    valid = !ref.startsWith('-') && git('check-ref-format', '--branch', ref) === ref;
  } catch {
    // not a branch name
  }
  if (!valid) throw new UsageError(`${JSON.stringify(ref)} is not a branch name`);
  let after: string;
  try {
    after = git('rev-parse', '--verify', '--quiet', '--end-of-options', `refs/heads/${ref}^{commit}`);
  } catch {
    throw new UsageError(`no branch ${ref} in ${dir}`);
  }
  if (!COMMIT_ID.test(after)) throw new UsageError(`no branch ${ref} in ${dir}`);
  let before = '0'.repeat(40);
  try {
    before = git('rev-parse', '--verify', '--quiet', '--end-of-options', `${after}~1`);
  } catch {
    // the first commit: the push creates the branch
  }
  const log = git(
    'log',
    '-n',
    '20',
    '--reverse',
    '--no-use-mailmap',
    '--format=%H%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%aI%x1f%cI%x1f%B%x1e',
    '--end-of-options',
    after,
  )
    .split('\x1e')
    .filter((e) => e.trim() !== '');
  const commits = log.map((entry) => {
    const [
      id = '',
      name = '',
      email = '',
      committerName = '',
      committerEmail = '',
      timestamp = '',
      committedAt = '',
      message = '',
    ] = entry.trim().split('\x1f');
    return {
      id,
      message: message.trim(),
      author: { name, email },
      committer: { name: committerName, email: committerEmail },
      timestamp,
      committedAt,
    };
  });
  const head = commits.at(-1);
  return {
    repository,
    cloneUrl: `file://${dir}`,
    branch: ref,
    before,
    after,
    commits: commits.slice(-1),
    pusher: head?.author.email.split('@')[0] ?? 'local',
    ...(head ? { pusherName: head.author.name, pusherEmail: head.author.email } : {}),
  };
}

/**
 * Pushing to a provider gives it the commits; locally the fake provider is told where they are,
 * so its compare API can list a change (separation of duties asks when a delivery leaves a gap).
 */
async function registerRepository(
  awsEndpoint: string,
  token: string | undefined,
  provider: string,
  fullName: string,
  dir: string,
): Promise<void> {
  const res = await fetch(`${awsEndpoint}/_gantry/provider/repositories`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ provider, fullName, dir }),
  });
  if (!res.ok) throw new UsageError(`the local control plane did not take ${dir} as ${fullName}: HTTP ${res.status}`);
}
