import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { localPush } from '../../cli/local/push';
import { pushDelivery } from '../../cli/local/push-payloads';
import { ensureSampleRepo } from '../../cli/local/sample-repo';
import { loadGantryConfig } from '../../infra/config/load';
import { connectionSecretName } from '../../infra/config/schema';
import { type RuntimeInfo, readRuntimeInfo } from '../../local/discovery';
import { readLocalSecret } from '../../local/secretsmanager';
import { AuditReader } from '../../shared/audit/reader';
import { verifyLedger } from '../../shared/audit/verify';
import { documentClient } from '../../shared/aws/clients';
import { admissionName } from '../../shared/pipelines/start';
import { eventually } from '../support/local';

const ROOT = join(import.meta.dirname, '..', '..');

/** `gantry local up` as a user runs it, in its own process, on free ports. */
function startProcess(dataDir: string): ChildProcess {
  return spawn(
    process.execPath,
    [join(ROOT, 'cli', 'bin.mjs'), 'local', 'up', '--port', '0', '--aws-port', '0', '--data-dir', dataDir, '--quiet'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

async function running(dataDir: string, child: ChildProcess): Promise<RuntimeInfo> {
  return eventually(
    'the control plane to start',
    async () => {
      const info = readRuntimeInfo(dataDir);
      return info?.pid === child.pid ? info : undefined;
    },
    60_000,
  );
}

const config = (info: RuntimeInfo) => ({
  endpoint: info.awsEndpoint,
  region: info.region,
  credentials: info.operator ?? { accessKeyId: 'missing', secretAccessKey: 'missing' },
});

describe('a delivery answered 202 survives kill -9 of the control plane', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-crash-'));
  let second: ChildProcess | undefined;
  afterAll(() => {
    second?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is on the bus with its target started, or in the dead-letter queue, after a restart; and its dedupe record is there', async () => {
    const first = startProcess(dataDir);
    const before = await running(dataDir, first);
    // It says which config it runs, so `gantry local push` and the demo read that one.
    expect(before.configFile).toBe(join(ROOT, 'gantry.config.yaml'));
    const repo = ensureSampleRepo(join(dataDir, 'repos', 'sample-service'));
    const deliveryId = 'crash-test-1';
    const pushed = await localPush({
      config: loadGantryConfig(join(ROOT, 'gantry.config.yaml')),
      webhookUrl: before.webhookUrl,
      secretsFile: join(dataDir, 'secrets.json'),
      repoDir: repo,
      deliveryId,
    });
    expect(pushed.status).toBe(202);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    second = startProcess(dataDir);
    const after = await running(dataDir, second);
    const record = await documentClient(new DynamoDBClient(config(after))).send(
      new GetCommand({ TableName: 'gantry-deliveries', Key: { pk: `github#${deliveryId}` } }),
    );
    expect(record.Item).toMatchObject({ state: expect.stringMatching(/published|dead_lettered/) });

    const name = admissionName('sample-service', `github:${deliveryId}:0`);
    const machine = `arn:aws:states:${after.region}:000000000000:stateMachine:gantry-pipeline-sample-service`;
    const outcome = await eventually('the run to exist, or the delivery to be dead-lettered', async () => {
      const executions =
        (await new SFNClient(config(after)).send(new ListExecutionsCommand({ stateMachineArn: machine }))).executions ??
        [];
      if (executions.some((e) => e.name === name)) return 'started';
      const dlq = `${after.awsEndpoint}/000000000000/GantryControlPlane-WebhookIngressDeadLetterQueue3F45A390`;
      const letters = await new SQSClient(config(after)).send(
        new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 0 }),
      );
      return letters.Messages?.some((m) => m.Body?.includes(deliveryId)) ? 'dead-lettered' : undefined;
    });
    expect(['started', 'dead-lettered']).toContain(outcome);
  }, 120_000);
});

describe('deliveries answered 202 under load survive kill -9 in the middle of it', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-crash-load-'));
  let second: ChildProcess | undefined;
  afterAll(() => {
    second?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('each one is published exactly once: its dedupe record settled and one webhook.accepted in an intact chain', async () => {
    const gantry = loadGantryConfig(join(ROOT, 'gantry.config.yaml'));
    const pipeline = gantry.pipelines.find((p) => p.name === 'sample-service');
    const connection = gantry.connections.find((c) => c.name === pipeline?.source.connection);
    if (pipeline === undefined || connection === undefined) throw new Error('the sample pipeline is not configured');
    const first = startProcess(dataDir);
    const before = await running(dataDir, first);
    const { webhookSecret } = JSON.parse(
      readLocalSecret(join(dataDir, 'secrets.json'), connectionSecretName(connection), process.env),
    ) as { webhookSecret: string };
    const statuses: Record<number, number> = {};
    // Pushes to branches no trigger selects: each delivery is verified, deduped, published and audited, and starts no build.
    const send = async (i: number): Promise<string | undefined> => {
      const deliveryId = `load-${i}`;
      const { body, headers } = pushDelivery(
        connection.provider,
        {
          repository: pipeline.source.repository,
          cloneUrl: 'file:///nowhere',
          branch: `load/${i}`,
          before: '0'.repeat(40),
          after: i.toString(16).padStart(40, 'a'),
          commits: [],
          pusher: 'alice',
        },
        webhookSecret,
        deliveryId,
      );
      const status = await fetch(`${before.webhookUrl}/webhooks/${connection.provider}`, {
        method: 'POST',
        headers,
        body,
      })
        .then((r) => r.status)
        .catch(() => 0);
      statuses[status] = (statuses[status] ?? 0) + 1;
      return status === 202 ? deliveryId : undefined;
    };
    const acknowledged: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < 300) {
        const id = await send(next++);
        if (id !== undefined) acknowledged.push(id);
        if (acknowledged.length === 100) first.kill('SIGKILL');
      }
    };
    await Promise.all(Array.from({ length: 20 }, lane));
    if (first.exitCode === null && first.signalCode === null) {
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
    }
    expect({ statuses, killedMidLoad: acknowledged.length < 300 }).toEqual({
      statuses: expect.objectContaining({ 202: expect.any(Number) }),
      killedMidLoad: true,
    });
    // The kill came with requests in flight: some were never answered, and none of those is owed anything.
    expect(acknowledged.length).toBeGreaterThanOrEqual(100);

    second = startProcess(dataDir);
    const after = await running(dataDir, second);
    const db = documentClient(new DynamoDBClient(config(after)));
    for (const deliveryId of acknowledged) {
      const record = await db.send(
        new GetCommand({ TableName: 'gantry-deliveries', Key: { pk: `${connection.provider}#${deliveryId}` } }),
      );
      expect({ deliveryId, state: record.Item?.state }).toEqual({
        deliveryId,
        state: expect.stringMatching(/published|dead_lettered/),
      });
    }
    const ledger = new AuditReader(db, 'gantry-audit');
    const accepted = new Map<string, number>();
    for await (const event of ledger.query({ repository: pipeline.source.repository, type: 'webhook.accepted' }))
      accepted.set(event.correlationId, (accepted.get(event.correlationId) ?? 0) + 1);
    for (const deliveryId of acknowledged)
      expect({ deliveryId, accepted: accepted.get(deliveryId) }).toEqual({ deliveryId, accepted: 1 });
    const verified = await verifyLedger(ledger, { repository: pipeline.source.repository });
    expect(verified).toMatchObject({ ok: true, firstBreak: null });
  }, 240_000);
});
