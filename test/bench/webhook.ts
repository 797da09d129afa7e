import { Readable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Webhooks } from '@octokit/webhooks';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { useGeneratedCheckers } from '../../events';
import { DynamoDbAuditLedger } from '../../shared/audit/ledger';
import { RecordWindow } from '../../shared/audit/window';
import { documentClient } from '../../shared/aws/clients';
import { EventBridgeBus } from '../../shared/bus/event-bus';
import { SecretsManagerSecretSource } from '../../shared/secrets/secrets';
import { answerApiGatewayDelivery } from '../../shared/webhooks/api-gateway';
import { ConnectionDirectory } from '../../shared/webhooks/connections';
import { SqsDeadLetterSink } from '../../shared/webhooks/dead-letters';
import { DynamoDbDeliveryStore } from '../../shared/webhooks/deliveries';
import { REJECTION_WINDOW_MS, type ReceiverDeps } from '../../shared/webhooks/receive';
import { hmacSha256 } from '../../shared/webhooks/signatures';
import { fmt, medianStats, type RunStats, table, timeSequential } from './stats';

const SECRET = 'bench-secret-0123456789';
/** Issue 19's targets for the receiver in-process (AWS calls answered at the client): it does more than octokit. */
const MIN_RATIO = 0.5;
const MAX_P99_MS = 1;
const REGION = { region: 'eu-west-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };

interface Delivery {
  readonly id: string;
  readonly body: string;
  readonly signature: string;
}

/** Signed push deliveries from @octokit/webhooks-examples, each with its own delivery id. */
export async function pushDeliveries(count: number): Promise<Delivery[]> {
  const { default: examples } = (await import('@octokit/webhooks-examples/api.github.com/index.json', {
    with: { type: 'json' },
  })) as {
    default: { name: string; examples: unknown[] }[];
  };
  const pushes = examples.find((e) => e.name === 'push')?.examples ?? [];
  return Array.from({ length: count }, (_, i) => {
    const body = JSON.stringify(pushes[i % pushes.length]);
    return { id: `bench-${i}`, body, signature: `sha256=${hmacSha256(SECRET, Buffer.from(body)).toString('hex')}` };
  });
}

function apiEvent(d: Delivery): APIGatewayProxyEvent {
  return {
    pathParameters: { provider: 'github' },
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': d.id,
      'X-Hub-Signature-256': d.signature,
    },
    multiValueHeaders: {},
    body: Buffer.from(d.body).toString('base64'),
    isBase64Encoded: true,
  } as unknown as APIGatewayProxyEvent;
}

/** The receiver's ports on the real AWS adapters and SDK clients, built as the handler builds them. */
export function receiverDeps(clients: {
  dynamo: DynamoDBClient;
  document?: DynamoDBDocumentClient;
  events: EventBridgeClient;
  sqs: SQSClient;
  secrets: SecretsManagerClient;
}): ReceiverDeps {
  useGeneratedCheckers();
  const logger = new Logger({ serviceName: 'bench', logLevel: 'WARN' });
  const document = clients.document ?? documentClient(clients.dynamo);
  return {
    connections: new ConnectionDirectory([{ name: 'gh', provider: 'github', secretId: 'gh', repositories: [] }]),
    secrets: new SecretsManagerSecretSource(clients.secrets, 300_000),
    deliveries: new DynamoDbDeliveryStore(document, 'deliveries'),
    bus: new EventBridgeBus(clients.events, 'gantry'),
    deadLetters: new SqsDeadLetterSink(async () => clients.sqs, 'https://sqs/dlq'),
    audit: new DynamoDbAuditLedger(document, 'audit'),
    rejections: new RecordWindow(REJECTION_WINDOW_MS),
    logger,
    clock: () => new Date(),
    limits: {
      maxBodyBytes: 512 * 1024,
      deliveryTtlSeconds: 86_400,
      replayWindowSeconds: 400 * 86_400,
      previousSecretMs: 86_400_000,
      claimLeaseMs: 60_000,
    },
  };
}

/**
 * AWS calls answered at each client's `send`, keeping no call history: what remains is
 * Gantry's own code (command building, marshalling, JSON) and nothing of the network.
 */
export function stubbedClients() {
  const answering = <C extends { send: unknown }>(
    client: C,
    answer: (command: { constructor: { name: string } }) => unknown,
  ): C => {
    (client as { send: unknown }).send = async (command: { constructor: { name: string } }) => answer(command);
    return client;
  };
  const dynamo = new DynamoDBClient(REGION);
  return {
    dynamo,
    events: answering(new EventBridgeClient(REGION), () => ({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] })),
    sqs: answering(new SQSClient(REGION), () => ({})),
    secrets: answering(new SecretsManagerClient(REGION), () => ({ SecretString: SECRET })),
    /** The document client sends through the base client's handler stack; answer there. */
    document: answering(documentClient(dynamo), () => ({})),
  };
}

/** AWS calls through the whole SDK stack (serialize, sign, parse), answered by an in-process HTTP handler. */
function sdkStackClients() {
  const answer = (body: string) => ({
    handle: async () => ({
      response: {
        statusCode: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: Readable.from([Buffer.from(body)]),
      },
    }),
  });
  return {
    dynamo: new DynamoDBClient({ ...REGION, requestHandler: answer('{}') }),
    events: new EventBridgeClient({
      ...REGION,
      requestHandler: answer('{"FailedEntryCount":0,"Entries":[{"EventId":"e"}]}'),
    }),
    sqs: new SQSClient({ ...REGION, requestHandler: answer('{}') }),
    secrets: new SecretsManagerClient({ ...REGION, requestHandler: answer(JSON.stringify({ SecretString: SECRET })) }),
  };
}

let round = 0;

/** Times the receiver on API Gateway events built beforehand, with delivery ids new to this round. */
export async function gantryRun(deps: ReceiverDeps, deliveries: readonly Delivery[]): Promise<RunStats> {
  round++;
  const events = deliveries.map((d) => apiEvent({ ...d, id: `${d.id}-r${round}` }));
  return timeSequential(events.length, async (i) => {
    const { response } = await answerApiGatewayDelivery(deps, events[i] as APIGatewayProxyEvent);
    if (response.statusCode !== 202) throw new Error(`delivery answered ${response.statusCode}: ${response.body}`);
  });
}

/** The least any receiver behind API Gateway must do: decode the body, HMAC it, parse it. */
async function floorRun(deliveries: readonly Delivery[]): Promise<RunStats> {
  const bodies = deliveries.map((d) => Buffer.from(d.body).toString('base64'));
  return timeSequential(deliveries.length, async (i) => {
    const raw = Buffer.from(bodies[i] as string, 'base64');
    hmacSha256(SECRET, raw);
    JSON.parse(raw.toString('utf8'));
  });
}

async function octokitRun(deliveries: readonly Delivery[]): Promise<RunStats> {
  const webhooks = new Webhooks({ secret: SECRET });
  let received = 0;
  webhooks.on('push', () => {
    received++;
  });
  const stats = await timeSequential(deliveries.length, async (i) => {
    const d = deliveries[i] as Delivery;
    await webhooks.verifyAndReceive({ id: d.id, name: 'push', payload: d.body, signature: d.signature });
  });
  if (received !== deliveries.length) throw new Error('octokit did not receive every delivery');
  return stats;
}

/** `npm run bench -- webhook`: the receiver's full path against @octokit/webhooks' verify+parse. */
export async function benchWebhook(options: { rounds: number; count: number }): Promise<string> {
  const deliveries = await pushDeliveries(options.count);
  const stubbedDeps = receiverDeps(stubbedClients());
  const stackDeps = receiverDeps(sdkStackClients());
  const results = {
    octokit: [] as RunStats[],
    floor: [] as RunStats[],
    stubbed: [] as RunStats[],
    stack: [] as RunStats[],
  };
  await gantryRun(stubbedDeps, deliveries.slice(0, 2000));
  await octokitRun(deliveries.slice(0, 2000));
  for (let round = 0; round < options.rounds; round++) {
    results.octokit.push(await octokitRun(deliveries));
    results.floor.push(await floorRun(deliveries));
    results.stubbed.push(await gantryRun(stubbedDeps, deliveries));
    process.stderr.write('.');
  }
  await gantryRun(stackDeps, deliveries.slice(0, 500));
  for (let round = 0; round < options.rounds; round++) {
    results.stack.push(await gantryRun(stackDeps, deliveries.slice(0, Math.ceil(deliveries.length / 4))));
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const o = medianStats(results.octokit);
  const f = medianStats(results.floor);
  const s = medianStats(results.stubbed);
  const k = medianStats(results.stack);
  const row = (name: string, r: RunStats) => [name, fmt(r.perSecond), fmt(r.p50Ms, 3), fmt(r.p99Ms, 3)];
  return [
    `Signed GitHub push deliveries (${fmt(deliveries.length)} per round, ~7 KB each, from @octokit/webhooks-examples); medians of ${options.rounds} rounds, one core, sequential.`,
    '',
    table(
      ['path', 'deliveries/s', 'p50 ms', 'p99 ms'],
      [
        row('@octokit/webhooks verify + parse (baseline)', o),
        row('floor: base64-decode the API Gateway body, HMAC it, JSON.parse it (nothing else)', f),
        row('Gantry receiver: verify, dedupe, normalize, publish (AWS calls answered at the client)', s),
        row('Gantry receiver, AWS calls through the full SDK stack (serialize, SigV4, parse)', k),
      ],
    ),
    '',
    `Gantry / octokit throughput: ${fmt(s.perSecond / o.perSecond, 2)}x; target (issue 19) ≥ ${fmt(MIN_RATIO, 2)}x and p99 < ${MAX_P99_MS} ms: ${s.perSecond >= MIN_RATIO * o.perSecond && s.p99Ms < MAX_P99_MS ? 'met' : 'NOT met'}.`,
  ].join('\n');
}
