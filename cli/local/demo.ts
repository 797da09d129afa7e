import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RuntimeInfo } from '../../local/discovery';
import type { RunRecord } from '../../shared/runs/model';
import { printable } from '../../shared/text/printable';
import { loadCliConfig } from '../config-file';
import { UsageError } from '../errors';
import { status } from '../format';
import { resolveTarget, sendDecision, type Target } from '../target';
import { busEvents, operatorGet, runningControlPlane, settledEvents } from './client';
import { followRun } from './follow';
import { type LocalPushResult, localPush } from './push';
import { ensureSampleRepo, git } from './sample-repo';

const out = (line = '') => process.stdout.write(`${line}\n`);

/**
 * `gantry local demo`: the sample service through the running control plane, the way a team
 * would meet it — a green push, a redelivery, a forged delivery, a red gate, and a production
 * release that needs someone other than its author to approve it.
 */
export async function localDemo(options: { dataDir?: string }): Promise<void> {
  const info = runningControlPlane(options.dataDir);
  const config = loadCliConfig(info.configFile);
  const pipeline = config.pipelines.find((p) => p.source.repository === 'gantry-demo/sample-service');
  if (pipeline === undefined)
    throw new UsageError('the demo needs the sample-service pipeline of the default gantry.config.yaml');
  const target = await resolveTarget({ dataDir: info.dataDir });
  const repo = ensureSampleRepo(join(info.dataDir, 'repos', 'sample-service'));
  const started = Date.now();
  out(`Gantry demo: examples/sample-service through the local control plane at ${info.webhookUrl}`);
  out(
    `Its git repository: ${relative(process.cwd(), repo) || repo} (branches develop, demo/failing-gate, demo/bad-release, release/1.0)`,
  );
  const push = (branch: string, deliveryId?: string) =>
    localPush({
      config,
      webhookUrl: info.webhookUrl,
      awsEndpoint: info.awsEndpoint,
      ...(info.token === undefined ? {} : { token: info.token }),
      secretsFile: join(info.dataDir, 'secrets.json'),
      repoDir: repo,
      branch,
      ...(deliveryId ? { deliveryId } : {}),
    });

  out('\n1. A push to develop, signed as GitHub signs it');
  const first = await step(info, () => push('develop'));
  await showRun(info, target, first, pipeline.name);

  out('\n2. The same delivery again, as a provider retry sends it');
  await step(info, () => push('develop', String(first.body.deliveryId)));

  out('\n3. A delivery signed with the wrong secret');
  const forged = await fetch(`${info.webhookUrl}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
    },
    body: JSON.stringify({ ref: 'refs/heads/develop', repository: { full_name: pipeline.source.repository } }),
  });
  out(`   → ${forged.status} ${JSON.stringify(await forged.json())}: nothing published`);

  out('\n4. A push to demo/failing-gate: untested code that calls eval()');
  await showRun(info, target, await step(info, () => push('demo/failing-gate')), pipeline.name);

  const prodAccount = pipeline.environments.find((e) => e.name === 'prod')?.deploy?.account;
  const elsewhere =
    prodAccount !== undefined && prodAccount !== config.controlPlane?.account
      ? ` in account ${prodAccount} (released there as its deploy role, in a session tagged with the run's id)`
      : '';
  out(`\n5. A release to prod${elsewhere}, which needs an approval; Alice wrote it`);
  releaseBranch(repo);
  const release = await step(info, () => push('release/1.0'));
  const waiting = await showRun(info, target, release, pipeline.name);
  if (waiting?.stages.approval?.status === 'waiting') {
    for (const [who, reason] of [
      ['alice', 'my own change, looks fine to me'],
      ['bob', 'release notes and migration reviewed'],
    ] as const) {
      const answer = await sendDecision(target, { runId: waiting.runId, decision: 'approve', reason, as: who });
      const error = answer.body.error as { code?: string; message?: string } | undefined;
      out(
        `   ${who} approves: ${error ? `refused, ${error.code}: ${error.message}` : `accepted (${String(answer.body.outcome)})`}`,
      );
    }
    await showRun(info, target, release, pipeline.name);
  }

  out('\n6. A push to demo/bad-release: tests pass, but the deployed /hello answers 500');
  const users = watchStableUrl(info, 'gantry-sample-service-preview');
  await showRun(info, target, await step(info, () => push('demo/bad-release')), pipeline.name);
  const seen = await users.stop();
  out(
    `   a user polling the preview URL the whole time: ${seen.total} requests, ${seen.down} unanswered (the stable URL was never down), ${seen.errors} 500s from the canary before it was rolled back`,
  );
  out('\n7. What people heard (the notifications configured in gantry.config.yaml, recorded locally)');
  await showNotifications(info);
  out(
    `\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Look closer with \`npx gantry runs list\` and \`npx gantry runs show <run>\`;`,
  );
  out('the control plane terminal shows every function log line.');
}

interface HeardNotification {
  readonly kind: string;
  readonly target: string;
  readonly body: {
    readonly text?: string;
    readonly subject?: string;
    readonly attachments?: {
      readonly content?: { readonly body?: { readonly inlines?: { readonly text?: string }[] }[] };
    }[];
  } | null;
}

/** Every message the local Slack, Teams and SNS stand-ins took, one line each. */
async function showNotifications(info: RuntimeInfo): Promise<void> {
  const res = await operatorGet(info, '/_gantry/notifications');
  const { notifications } = (await res.json()) as { notifications: HeardNotification[] };
  if (notifications.length === 0) out('   none (no target of gantry.config.yaml asked for these events)');
  for (const n of notifications) {
    // Slack's text, SNS's subject, a Teams card's first block.
    const headline =
      n.body?.text ??
      n.body?.subject ??
      n.body?.attachments?.[0]?.content?.body?.[0]?.inlines?.[0]?.text ??
      JSON.stringify(n.body);
    out(`   ${n.kind.padEnd(6)} ${n.target.padEnd(14)} ${printable(headline.replaceAll('*', ''))}`);
  }
  out(
    `   (all of them: curl -H "Authorization: Bearer $(jq -r .token .gantry/runtime.json)" ${info.awsEndpoint}/_gantry/notifications)`,
  );
}

/** Sends a delivery and shows the answer and what the bus did with it. */
async function step(info: RuntimeInfo, send: () => Promise<LocalPushResult>): Promise<LocalPushResult> {
  const since = (await busEvents(info)).at(-1)?.id;
  const result = await send();
  const body = result.body;
  const what =
    body.status === 'accepted'
      ? `accepted, ${String(body.events)} event on the bus`
      : body.status === 'duplicate'
        ? 'duplicate: already handled, nothing published'
        : JSON.stringify(body);
  out(`   → ${result.status} ${what} (${result.push.branch} @ ${result.push.after.slice(0, 7)})`);
  for (const event of await settledEvents(info, since)) {
    for (const t of event.targets)
      out(
        `   bus: "${event.detailType}" matched rule ${t.rule} → ${t.status === 'delivered' ? 'admission started the run' : `${t.status} ${t.error ?? ''}`}`,
      );
  }
  return result;
}

/** Follows the run of a push to its end (or its approval) and shows its commit statuses. */
async function showRun(
  info: RuntimeInfo,
  target: Target,
  pushed: LocalPushResult,
  pipeline: string,
): Promise<RunRecord | undefined> {
  const run = await followRun(target, pushed.push.after, { pipeline, stopWhenWaiting: true, print: out });
  if (run === undefined) return undefined;
  if (run.stages.approval?.status === 'waiting') {
    out(
      `   run ${run.runId.slice(0, 12)} waits for approval by ${run.plan.approval?.approvers.map((a) => a.identity).join(' or ')}`,
    );
    return run;
  }
  out(
    `   run ${run.runId.slice(0, 12)}: ${status(run.status)}${run.failure ? ` (${printable(run.failure.reason)})` : ''}`,
  );
  if (run.deployment) await showDeployment(info, run);
  if (run.deployment && run.provenance) await showProvenance(target, run);
  const res = await operatorGet(info, `/_gantry/statuses?commit=${pushed.push.after}`);
  const statuses = ((await res.json()) as { statuses: { state: string; description: string }[] }).statuses;
  out(`   commit status on GitHub: ${statuses.map((s) => `${s.state} "${printable(s.description)}"`).join(' → ')}`);
  return run;
}

interface ServiceView {
  functionName: string;
  url: string;
  weights: Record<string, number>;
  deployments: { deploymentId: string; timeline: { percent: number; event?: string }[] }[];
}

async function services(info: RuntimeInfo): Promise<ServiceView[]> {
  const res = await operatorGet(info, '/_gantry/services');
  return ((await res.json()) as { services: ServiceView[] }).services;
}

/** What Deploy verified before traffic moved: the signed provenance, checked again here. */
async function showProvenance(target: Target, run: RunRecord): Promise<void> {
  const { verifyRun } = await import('../provenance');
  const result = await verifyRun(target, run);
  const zip = run.provenance?.subjects.find((s) => s.name === 'dist/function.zip');
  out(
    `   provenance: ${run.provenance?.subjects.length} artifacts signed by Gantry${zip ? `, dist/function.zip sha256 ${zip.sha256.slice(0, 12)}…` : ''}; ${result.valid ? 'verified' : 'NOT verified'} (npx gantry provenance show ${run.runId.slice(0, 12)})`,
  );
}

/** How the run's deployment moved traffic, and what its stable URL serves now. */
async function showDeployment(info: RuntimeInfo, run: RunRecord): Promise<void> {
  const fn = run.plan.deployTarget?.lambda?.function;
  const svc = (await services(info)).find((s) => s.functionName === fn);
  const d = svc?.deployments.find((x) => x.deploymentId === run.deployment?.deploymentId);
  const steps = [...new Set((d?.timeline ?? []).map((e) => `${e.percent}%`))];
  out(
    `   deploy: ${run.deployment?.strategy}, traffic to the new version ${steps.join(' → ') || '(none)'}; ${svc?.url} now serves ${Object.entries(
      svc?.weights ?? {},
    )
      .map(([v, p]) => `version ${v} at ${p}%`)
      .join(', ')}`,
  );
}

/** Polls a stable URL every 50 ms until stopped: what a user of the service would have seen. */
function watchStableUrl(info: RuntimeInfo, fn: string) {
  const seen = { total: 0, errors: 0, down: 0 };
  let running = true;
  const loop = (async () => {
    const url = (await services(info)).find((s) => s.functionName === fn)?.url;
    if (url === undefined) return;
    while (running) {
      seen.total++;
      try {
        const res = await fetch(new URL('/hello', url));
        if (res.status >= 500) seen.errors++;
        await res.arrayBuffer();
      } catch {
        seen.down++;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

/** A release branch with a commit by Alice, so the demo can show separation of duties. */
function releaseBranch(repo: string): void {
  const exists = git(repo, 'branch', '--list', 'release/1.0') !== '';
  git(repo, 'checkout', '--quiet', exists ? 'release/1.0' : '-b', ...(exists ? [] : ['release/1.0', 'develop']));
  const changelog = join(repo, 'CHANGELOG.md');
  writeFileSync(
    changelog,
    `${existsSync(changelog) ? '' : '# Changelog\n'}\n## 1.0 (${new Date().toISOString()})\n\nFirst release.\n`,
    { flag: 'a' },
  );
  execFileSync('git', ['add', 'CHANGELOG.md'], { cwd: repo });
  execFileSync(
    'git',
    [
      '-c',
      'user.name=Alice',
      '-c',
      'user.email=alice@example.com',
      // The demo's commit, not the user's: a global commit.gpgsign must not fail it.
      '-c',
      'commit.gpgsign=false',
      'commit',
      '--quiet',
      '-m',
      'Release 1.0',
    ],
    { cwd: repo },
  );
  git(repo, 'checkout', '--quiet', 'develop');
}
