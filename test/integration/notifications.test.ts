import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { git } from '../../cli/local/sample-repo';
import type { RecordedNotification } from '../../local/notifications/fake';
import { readLocalSecret } from '../../local/secretsmanager';
import { SLACK_IDS } from '../../shared/notify/messages';
import { slackSignature } from '../../shared/notify/slack-signature';
import {
  edgeClientConfig,
  eventually,
  finishedRun,
  operatorHeaders,
  startTestPlane,
  type TestPlane,
} from '../support/local';

async function notifications(t: TestPlane): Promise<RecordedNotification[]> {
  const res = await fetch(`${t.plane.awsEndpoint}/_gantry/notifications`, { headers: operatorHeaders(t.plane) });
  return ((await res.json()) as { notifications: RecordedNotification[] }).notifications;
}

/**
 * A click on the button of `message` (the Slack message Gantry posted), signed as Slack signs it
 * with the app's (local) signing secret; Slack sends the message the button is on with the click.
 */
async function click(t: TestPlane, message: unknown, runId: string, user: string, reason: string, secret?: string) {
  const signing =
    secret ??
    (
      JSON.parse(
        readLocalSecret(join(t.dataDir, 'secrets.json'), 'gantry/notifications/slack-signing-secret', process.env),
      ) as { signingSecret: string }
    ).signingSecret;
  const payload = {
    type: 'block_actions',
    team: { id: 'T0GANTRY' },
    user: { id: user },
    actions: [{ action_id: SLACK_IDS.approve, value: runId }],
    state: {
      values: { [SLACK_IDS.reasonBlock]: { [SLACK_IDS.reasonInput]: { type: 'plain_text_input', value: reason } } },
    },
    response_url: `${t.plane.awsEndpoint}/_gantry/notify/slack-response`,
    message,
  };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const res = await fetch(`${t.plane.webhookUrl}/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(signing, timestamp, body),
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as { code?: string; text: string } };
}

describe('notifications, end to end through the local runtime', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane();
  }, 60_000);
  afterAll(() => t?.close());

  it('announces a run waiting for approval in Slack once, and a Slack approval by another approver lets it go on', async () => {
    const repo = t.repo();
    git(repo, 'checkout', '--quiet', '-B', 'release/1.0', 'develop');
    writeFileSync(join(repo, 'CHANGELOG.md'), '# 1.0\n\nFirst release.\n');
    execFileSync('git', ['add', '--all'], { cwd: repo });
    execFileSync(
      'git',
      ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.com', 'commit', '--quiet', '-m', 'Release 1.0'],
      {
        cwd: repo,
      },
    );
    const { push } = await t.push({ branch: 'release/1.0' });
    const waiting = await eventually(
      'the run to wait for approval',
      async () => {
        const run = (await t.runs.list({ pipeline: 'sample-service' })).find((r) => r.commit === push.after);
        return run?.stages.approval?.status === 'waiting' ? run : undefined;
      },
      60_000,
    ).catch(async (e) => {
      const runs = await t.runs.list({ pipeline: 'sample-service' });
      throw new Error(
        `${e} push=${JSON.stringify(push).slice(0, 300)} runs=${JSON.stringify(runs.map((r) => [r.status, r.commit, r.stages, r.failure]))} logs=${t.logs.slice(-25).join('\n')}`,
      );
    });
    const announced = await eventually('the approval request in Slack', async () => {
      const found = (await notifications(t)).filter(
        (n) => n.kind === 'slack' && n.target === 'releases' && JSON.stringify(n.body).includes(waiting.runId),
      );
      return found.length > 0 ? found : undefined;
    });
    expect(JSON.stringify(announced[0]?.body)).toContain('Approval requested: sample-service → prod');
    expect(JSON.stringify(announced[0]?.body)).toContain(SLACK_IDS.approve);

    // The same fact on the bus again (a redelivery, a retried RequestApproval): no second message.
    const bus = new EventBridgeClient(edgeClientConfig(t.plane));
    const detail = {
      schemaVersion: '1',
      runId: waiting.runId,
      pipeline: 'sample-service',
      environment: 'prod',
      repository: waiting.repository,
      commit: waiting.commit,
      branch: 'release/1.0',
      trigger: 'push',
      deadline: waiting.approval?.deadline,
      approvers: ['alice', 'bob'],
      minApprovals: 1,
    };
    await bus.send(
      new PutEventsCommand({
        Entries: [0, 1].map(() => ({
          EventBusName: 'gantry',
          Source: 'gantry.pipelines',
          DetailType: 'Approval Requested',
          Detail: JSON.stringify(detail),
        })),
      }),
    );
    bus.destroy();
    // Both events were dispatched while PutEvents was answered; once the bus has settled, each one's
    // notifier invocation (and any retry of it) has ended, and with it every message it sent.
    await t.plane.bus.settled();
    const slackAbout = (await notifications(t)).filter(
      (n) => n.kind === 'slack' && JSON.stringify(n.body).includes(waiting.runId),
    );
    expect(slackAbout).toHaveLength(1);

    // A forged click, then the author's own, then another approver's, all on the message Gantry posted.
    const posted = announced[0]?.body;
    expect(await click(t, posted, waiting.runId, 'U0BOB', 'ok', 'not-the-signing-secret')).toMatchObject({
      status: 401,
      body: { code: 'bad_signature' },
    });
    expect(await click(t, posted, waiting.runId, 'U0ALICE', 'my own change')).toMatchObject({
      body: { code: 'separation_of_duties' },
    });
    expect(await click(t, posted, waiting.runId, 'U0NOBODY', 'let me in')).toMatchObject({
      body: { code: 'not_an_approver' },
    });
    // A click Slack sent without the message it was on (an ephemeral one): nobody can tell what was shown.
    expect(await click(t, undefined, waiting.runId, 'U0BOB', 'ok')).toMatchObject({
      body: { code: 'message_missing' },
    });
    expect(await click(t, posted, waiting.runId, 'U0BOB', 'release notes checked')).toMatchObject({
      status: 200,
      body: { text: `Run ${waiting.runId} approved.` },
    });
    const run = await finishedRun(t, push.after);
    expect(run).toMatchObject({ status: 'SUCCEEDED', approval: { outcome: 'approved' } });
    expect(run.approval?.decisions.bob).toMatchObject({
      reason: 'release notes checked',
      principal: 'slack:T0GANTRY/U0BOB',
    });
    const answers = (await notifications(t)).filter((n) => n.kind === 'slack-response');
    expect(answers.map((a) => (a.body as { text: string }).text)).toEqual([
      expect.stringMatching(/^Refused \(separation_of_duties\)/),
      expect.stringMatching(/^Refused \(not_an_approver\)/),
      expect.stringMatching(/^Refused \(message_missing\)/),
      `Run ${waiting.runId} approved.`,
    ]);
  }, 240_000);
});
