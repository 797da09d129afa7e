import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { parquetReadObjects } from 'hyparquet';
import { verifyTable } from '../../../cli/audit';
import { type AuditEvent, AuditEventSchema, type AuditRecordInput } from '../../../events';
import { type RunningDynalite, startDynalite } from '../../../local/dynamodb/dynalite';
import { hashEvent } from '../../../shared/audit/chain';
import {
  type Checkpoint,
  type CheckpointSigner,
  type CheckpointStore,
  writeCheckpoint,
} from '../../../shared/audit/checkpoints';
import { buildDossier, dossierMarkdown, unvouched } from '../../../shared/audit/evidence';
import { digestFile, exportAudit } from '../../../shared/audit/export';
import {
  AUDIT_INDEXES,
  AuditWriteError,
  CHAIN_REGISTRY,
  DynamoDbAuditLedger,
  onceKeyPartition,
  registrySeq,
  toItem,
} from '../../../shared/audit/ledger';
import { AuditReader, sliceBounds } from '../../../shared/audit/reader';
import { verifyLedger } from '../../../shared/audit/verify';
import { verifyLedgerCopy } from '../../../shared/audit/verify-export';
import { documentClient } from '../../../shared/aws/clients';
import { createAuditTable, localClientConfig } from '../../support/aws';

const REPO = 'acme/payments';
const COMMIT = 'a'.repeat(40);

/**
 * A gate.evaluated record, or another shape through `overrides`: the hostile tests below hand the
 * ledger records the compiler would refuse, to prove the ledger refuses them too at run time.
 */
function record(overrides: { [K in keyof AuditRecordInput]?: unknown } = {}, n = 0): AuditRecordInput {
  return {
    type: 'gate.evaluated',
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: { repository: REPO, commit: COMMIT, runId: `run-${n % 3}`, environment: 'dev', pipeline: 'payments' },
    outcome: 'success',
    details: {
      passed: true,
      reasons: [],
      metrics: {
        tests: { total: 10 + n, failed: 0, skipped: 0 },
        lineCoverage: 81.25,
        findings: { error: 0, warning: 1, note: 0, critical: 0, high: 0 },
      },
      build: `build-${n}`,
    },
    correlationId: `delivery-${n}`,
    ...overrides,
  } as AuditRecordInput;
}

/** An ECDSA signer in memory (KMS in AWS, the local KMS emulator in local mode). */
function memorySigner(): CheckpointSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    keyId: 'test-key',
    sign: async (m) => sign('sha256', m, privateKey),
    verify: async (m, s) => verify('sha256', m, publicKey, s),
  };
}

function memoryStore(): CheckpointStore & { items: Map<string, Checkpoint> } {
  const items = new Map<string, Checkpoint>();
  return {
    items,
    put: async (c) => {
      const key = `checkpoints/${items.size}.json`;
      items.set(key, c);
      return key;
    },
    list: async function* () {
      for (const [key, checkpoint] of items) yield { key, checkpoint };
    },
  };
}

describe('the audit ledger on DynamoDB (dynalite)', () => {
  let dynamo: RunningDynalite;
  let client: DynamoDBClient;
  let db: DynamoDBDocumentClient;
  let table: string;
  let n = 0;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    client?.destroy();
    await dynamo.close();
  });
  beforeEach(async () => {
    table = `audit-${++n}`;
    client = await createAuditTable(dynamo.endpoint, table);
    db = documentClient(client);
  });

  const ledger = (options = {}) => new DynamoDbAuditLedger(db, table, options);
  const reader = () => new AuditReader(db, table);

  it('chains each repository from the genesis hash, one sequence per repository', async () => {
    const writer = ledger();
    const a1 = await writer.append(record());
    const a2 = await writer.append(record({}, 1));
    const b1 = await writer.append(record({ subject: { repository: 'acme/web', commit: COMMIT } }));
    expect(a1).toMatchObject({ chain: REPO, seq: 1, prevHash: '0'.repeat(64), prevExpiresAt: null });
    expect(a2).toMatchObject({ chain: REPO, seq: 2, prevHash: a1.hash, prevExpiresAt: a1.expiresAt });
    expect(b1).toMatchObject({ chain: 'acme/web', seq: 1 });
    expect(a1.hash).toBe(hashEvent(a1));
    expect(a1.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(await reader().chains()).toEqual(['acme/payments', 'acme/web']);
    const report = await verifyLedger(reader());
    expect(report).toMatchObject({ ok: true, events: 3, firstBreak: null });
  });

  it("puts every refusal of a change, and the rollback that undid it, in the change's evidence", async () => {
    const writer = ledger();
    const subject = { repository: REPO, commit: COMMIT, runId: 'run-9', environment: 'prod', pipeline: 'payments' };
    await writer.append(record({ subject }, 9));
    await writer.append(
      record({
        type: 'operator.refused',
        subject,
        outcome: 'rejected',
        actor: { type: 'user', id: 'alice', providerIdentity: 'arn:aws:iam::1:user/alice' },
        details: {
          action: 'approve',
          code: 'separation_of_duties',
          reason: 'alice wrote or committed a commit of this change; another approver must decide',
          principal: 'arn:aws:iam::1:user/alice',
        },
      }),
    );
    await writer.append(
      record({
        type: 'deploy.refused',
        subject,
        outcome: 'rejected',
        details: {
          target: 'lambda payments:live',
          check: 'configuration',
          reason: 'layers added: arn:evil ![x](https://phish/a.png) [Approve](https://phish) <img src=x>',
        },
      }),
    );
    await writer.append(
      record({
        type: 'operator.action',
        subject,
        outcome: 'info',
        actor: { type: 'user', id: 'olga', providerIdentity: 'arn:aws:iam::1:user/olga' },
        details: {
          action: 'rollback',
          reason: 'errors up',
          target: 'prod: undone by run rollback-1',
          undoneBy: 'rollback-1',
        },
      }),
    );
    const dossier = await buildDossier(reader(), 'run-9');
    expect(dossier.deployment.undoneBy).toEqual([
      expect.objectContaining({ runId: 'rollback-1', by: 'olga', reason: 'errors up' }),
    ]);
    expect(dossier.refusals).toEqual([
      expect.objectContaining({
        type: 'operator.refused',
        actor: 'alice (arn:aws:iam::1:user/alice)',
        reason: 'alice wrote or committed a commit of this change; another approver must decide',
      }),
      expect.objectContaining({ type: 'deploy.refused', actor: 'gantry', reason: expect.stringContaining('arn:evil') }),
    ]);
    const markdown = dossierMarkdown(dossier);
    expect(markdown).toContain('## Refusals');
    expect(markdown).toContain('Rolled back: run rollback-1, asked by olga');
    // What a sender wrote into a reason is text in the Markdown, never a link, an image or HTML.
    expect(markdown).toContain('!\\[x\\](https\\://phish/a.png) \\[Approve\\](https\\://phish) \\<img src=x\\>');
    expect(markdown).toContain('| operator.refused | alice (arn:aws:iam::1:user/alice) | alice wrote or committed');
  });

  it("writes what a provider's sender controls (a Bitbucket display name, a delivery id) as text in the evidence", async () => {
    const writer = ledger();
    const subject = { repository: REPO, commit: COMMIT, runId: 'run-7', environment: 'prod', pipeline: 'payments' };
    const hostile =
      '[✅ approved by security](https://evil) ![](https://evil/beacon) <img src=x> `x` _https://evil.example ciso@evil.example';
    await writer.append(record({ subject, correlationId: 'delivery-7' }, 7));
    await writer.append(
      record({
        type: 'webhook.accepted',
        subject: { repository: REPO, commit: COMMIT },
        outcome: 'success',
        actor: { type: 'provider', id: 'bitbucket-cloud', providerIdentity: hostile },
        details: {
          deliveryId: 'd`7` <b>',
          eventName: 'repo:push',
          events: [{ eventId: 'e-7', kind: 'push', ref: 'refs/heads/main', headSha: COMMIT }],
          commits: [
            {
              id: COMMIT,
              message: 'fix\r\r## Approval\r\rApproved by ciso',
              author: 'alice\r\r## Approval www.evil.example',
              timestamp: null,
            },
          ],
        },
        correlationId: 'delivery-7',
      }),
    );
    const markdown = dossierMarkdown(await buildDossier(reader(), 'run-7'));
    // A lone carriage return is a line ending to CommonMark: it cannot end the table and add a section.
    expect(markdown).toContain('| aaaaaaaaaaaa | alice  \\#\\# Approval www\\.evil.example | fix |');
    expect(markdown).toContain('Delivery d\\`7\\` \\<b\\> from bitbucket-cloud, received ');
    expect(markdown).toContain(
      'pushed by \\[✅ approved by security\\](https\\://evil) !\\[\\](https\\://evil/beacon) \\<img src=x\\> \\`x\\` \\_https\\://evil.example ciso\\@evil.example.',
    );
  });

  it('refuses to write to a chain whose registry entry names another chain, which checkpoints would leave out', async () => {
    await ledger().append(record());
    // Overwritten by another writer of the table: checkpoints sign the chains the registry names.
    await db.send(
      new PutCommand({ TableName: table, Item: { chain: CHAIN_REGISTRY, seq: registrySeq(REPO), name: 'decoy' } }),
    );
    // A writer that has not registered the chain yet (a new Lambda instance) reads its entry back.
    await expect(ledger().append(record({}, 1))).rejects.toThrow(
      /the ledger's registry entry for chain "acme\/payments" names "decoy": the ledger table was written outside Gantry/,
    );
    expect((await reader().event(REPO, 2)) ?? null).toBeNull();
  });

  it('keeps change records 7 years and deliveries shorter, configurably', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const writer = ledger({ clock: () => now, retentionDays: { delivery: 30 } });
    const change = await writer.append(record());
    const delivery = await writer.append({
      type: 'webhook.rejected',
      actor: { type: 'provider', id: 'github', providerIdentity: null },
      subject: {},
      outcome: 'rejected',
      details: { code: 'signature_invalid', status: 401, bodyBytes: 12 },
      correlationId: 'rejected:1',
    });
    expect(change.expiresAt - now.getTime() / 1000).toBe(2557 * 86_400);
    expect(delivery.expiresAt - now.getTime() / 1000).toBe(30 * 86_400);
    expect(delivery.chain).toBe('-');
  });

  it('refuses a record whose details break its type schema, and writes nothing', async () => {
    const writer = ledger();
    await expect(writer.append(record({ details: { passed: 'yes' } }))).rejects.toThrow(AuditWriteError);
    await expect(writer.append(record({ type: 'approval.granted', details: { reason: '' } }))).rejects.toThrow(
      /details.reason/,
    );
    await expect(writer.append(record({ type: 'made.up' as AuditRecordInput['type'], details: {} }))).rejects.toThrow(
      /invalid audit record/,
    );
    expect((await verifyLedger(reader())).events).toBe(0);
  });

  it('fails the step when the table cannot be written', async () => {
    const broken = new DynamoDbAuditLedger(db, 'no-such-table');
    await expect(broken.record(record())).rejects.toThrow(/non-existent table|not found|ResourceNotFound/i);
  });

  // Every one of the 600 sequence numbers is raced for by 20 writers at once (the contention is
  // per slot, so more events repeat the same race: the appends' throughput is the benchmark's).
  it('keeps one gapless chain under 20 concurrent writers × 30 events', async () => {
    const writers = Array.from({ length: 20 }, () => ledger());
    const written = await Promise.all(
      writers.map(async (writer, w) => {
        const mine: AuditEvent[] = [];
        for (let i = 0; i < 30; i++) mine.push(await writer.append(record({ correlationId: `w${w}-${i}` }, i)));
        return mine;
      }),
    );
    const seqs = written.flat().map((e) => e.seq);
    expect(new Set(seqs).size).toBe(600);
    expect(Math.max(...seqs)).toBe(600);
    expect(new Set(written.flat().map((e) => e.correlationId)).size).toBe(600);
    const report = await verifyLedger(reader());
    expect(report).toMatchObject({ ok: true, events: 600 });
    expect(report.chains[0]?.head?.seq).toBe(600);
  }, 120_000);

  it('writes 50 appends made at once by one writer to one chain without losing a conditional put', async () => {
    const puts: string[] = [];
    const counted = Object.assign(Object.create(db) as DynamoDBDocumentClient, {
      send: (command: Parameters<DynamoDBDocumentClient['send']>[0], options?: object) => {
        if (command instanceof PutCommand) puts.push(String(command.input.Item?.chain));
        return db.send(command as PutCommand, options);
      },
    });
    const writer = new DynamoDbAuditLedger(counted, table);
    await writer.append(record());
    puts.length = 0;
    const written = await Promise.all(Array.from({ length: 50 }, (_, i) => writer.append(record({}, i + 1))));
    expect(written.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
    // One put per event: none lost the race to its own writer's other appends and retried.
    expect(puts).toEqual(Array.from({ length: 50 }, () => REPO));
    expect(await verifyLedger(reader())).toMatchObject({ ok: true, events: 51 });
  });

  describe('records keyed `once` (a retried step)', () => {
    const KEY = 'run-1/gate.evaluated';
    const keyed = () => record({ once: KEY });
    const events = async () => (await verifyLedger(reader())).events;

    it('writes a keyed record once, however often it is sent, and returns the event it was written as', async () => {
      const first = await ledger().append(keyed());
      const again = await ledger().append(keyed());
      const other = await ledger().append(record({ once: 'run-2/gate.evaluated' }));
      expect(again).toEqual(first);
      expect(other.seq).toBe(first.seq + 1);
      expect(await events()).toBe(2);
      expect(first).not.toHaveProperty('once');
      expect(await reader().event(REPO, 1)).toEqual(first);
    });

    it('writes it once when ten writers send it at the same moment', async () => {
      const written = await Promise.all(Array.from({ length: 10 }, () => ledger().append(keyed())));
      expect(new Set(written.map((e) => e.seq))).toEqual(new Set([1]));
      expect(await events()).toBe(1);
    });

    it('refuses, writing nothing, when a done marker planted by another writer names some other record', async () => {
      const other = await ledger().append(record({}, 5));
      // What any writer of the table could put to keep this record from ever being written.
      await db.send(
        new PutCommand({
          TableName: table,
          Item: {
            chain: onceKeyPartition(KEY),
            seq: 0,
            eventChain: REPO,
            eventSeq: other.seq,
            expiresAt: 4_000_000_000,
          },
        }),
      );
      await expect(ledger().append(keyed())).rejects.toThrow(
        new AuditWriteError(
          `audit record "${KEY}" is marked written as ${REPO}#${other.seq}, which is another record: the ledger table was written outside Gantry, so nothing was recorded; run gantry audit verify and remove the marker`,
        ),
      );
      expect(await events()).toBe(1);
    });

    it.each([
      [
        'another type',
        {
          type: 'webhook.rejected',
          subject: { repository: REPO },
          outcome: 'failure',
          details: { code: 'bad_signature', status: 401, bodyBytes: 10, deliveryId: 'd-1' },
        },
      ],
      ['the same type of another run', { subject: { repository: REPO, runId: 'run-other', pipeline: 'payments' } }],
    ])(
      'refuses, loudly, a key an ordinary append of %s took first: no fact is suppressed by a decoy carrying its key',
      async (_name, decoy) => {
        const planted = await ledger().append(record({ ...decoy, once: KEY }));
        await expect(ledger().append(keyed())).rejects.toThrow(
          new AuditWriteError(
            `audit record "${KEY}" (gate.evaluated) is taken by ${REPO}#${planted.seq}, a ${planted.type} of ${planted.subject.runId ?? 'no run'} by gantry, which records something else: a writer of the ledger table used another fact's key, so nothing was recorded; run gantry audit verify, and look into who wrote ${REPO}#${planted.seq}`,
          ),
        );
        expect(await events()).toBe(1);
      },
    );

    it('keeps a fact beside a record of its kind holding its key, so neither swallows the other', async () => {
      const END = 'run/run-0/run.ended';
      const subject = { repository: REPO, commit: COMMIT, runId: 'run-0', environment: 'dev', pipeline: 'payments' };
      const ended = (type: 'run.succeeded' | 'run.failed', actor = 'gantry') =>
        record({
          type,
          subject,
          outcome: type === 'run.succeeded' ? 'success' : 'failure',
          actor: { type: 'system', id: actor, providerIdentity: null },
          details: type === 'run.succeeded' ? { deployed: false } : { stage: 'build', error: 'X', reason: 'red' },
          once: END,
        });
      // A decoy success holds the run's end: the real failure is written beside it, not swallowed.
      const decoy = await ledger().append(ended('run.succeeded'));
      const failed = await ledger().append(ended('run.failed'));
      expect(failed.seq).toBe(decoy.seq + 1);
      expect(failed.type).toBe('run.failed');
      // A retry of either finds its own record, and writes nothing more.
      await expect(ledger().append(ended('run.failed'))).resolves.toEqual(failed);
      await expect(ledger().append(ended('run.succeeded'))).resolves.toEqual(decoy);
      // The same type by another actor (an approval in alice's name by someone else) is another fact too.
      const other = await ledger().append(ended('run.failed', 'mallory'));
      await expect(ledger().append(ended('run.failed', 'somebody'))).resolves.toMatchObject({ seq: other.seq + 1 });
      expect(await events()).toBe(4);
      // The change's evidence takes the failure for the end, and vouches for nothing.
      const dossier = await buildDossier(reader(), 'run-0');
      expect(dossier.run).toMatchObject({ outcome: 'failed', conflictingEnds: true });
      expect(unvouched(dossier)).toContain(
        'run run-0: the ledger records both a success and a failure of the run: run gantry audit verify, and find who wrote each',
      );
    });

    it('refuses a second decoy holding the key a fact is kept beside', async () => {
      const END = 'run/run-0/run.ended';
      const subject = { repository: REPO, commit: COMMIT, runId: 'run-0', environment: 'dev', pipeline: 'payments' };
      const failed = (reason: string, actor = 'gantry', once = END) =>
        record({
          type: 'run.failed',
          subject,
          outcome: 'failure',
          actor: { type: 'system', id: actor, providerIdentity: null },
          details: { stage: 'build', error: 'X', reason },
          once,
        });
      await ledger().append(failed('decoy', 'mallory'));
      const second = await ledger().append(failed('decoy 2', 'mallory', `${END}/run.failed/gantry`));
      await expect(ledger().append(failed('red'))).rejects.toThrow(
        `audit record "${END}/run.failed/gantry" (run.failed) is taken by ${REPO}#${second.seq}, a run.failed of run-0 by mallory, which records something else`,
      );
      expect(await events()).toBe(2);
    });

    it('refuses a decoy carrying the key that a claim left without its done marker leads to', async () => {
      // Run-2's record takes run-0's key; its done marker is gone, its claim stays.
      const decoy = await ledger().append(record({ once: KEY }, 2));
      await db.send(new DeleteCommand({ TableName: table, Key: { chain: onceKeyPartition(KEY), seq: 0 } }));
      await expect(ledger().append(keyed())).rejects.toThrow(
        `is taken by ${REPO}#${decoy.seq}, a gate.evaluated of run-2 by gantry, which records something else`,
      );
      expect(await events()).toBe(1);
    });

    it('finishes the write of a writer that died after its claim', async () => {
      await ledger().append(record({}, 5));
      await db.send(
        new PutCommand({
          TableName: table,
          Item: { chain: onceKeyPartition(KEY), seq: 1, from: 1, at: 0, expiresAt: 4_000_000_000 },
        }),
      );
      const event = await ledger().append(keyed());
      expect(event.seq).toBe(2);
      expect(await ledger().append(keyed())).toEqual(event);
      expect(await events()).toBe(2);
    });

    it('a writer too slow to append within its claim gives up, and the writer that takes over writes the record once', async () => {
      // A gives up 200 ms after its claim; B takes a claim over after 600 ms but is never rushed itself
      // (a loaded machine may take longer than 200 ms for B's own put).
      const timingsA = { writeMs: 200, leaseMs: 600 };
      const timingsB = { writeMs: 30_000, leaseMs: 600 };
      // Writer A's event put is held up (throttling, the SDK's retries) well past its write window.
      const slow = new Proxy(db, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver);
          return async (command: PutCommand, options?: { abortSignal?: AbortSignal }) => {
            if (command instanceof PutCommand && command.input.Item?.hash !== undefined) {
              await new Promise((resolve, reject) => {
                const timer = setTimeout(resolve, 1_500);
                options?.abortSignal?.addEventListener('abort', () => {
                  clearTimeout(timer);
                  reject(options.abortSignal?.reason);
                });
              });
            }
            return target.send(command as never, options as never);
          };
        },
      });
      const a = new DynamoDbAuditLedger(slow, table, { onceTimings: timingsA }).append(keyed());
      const failedA = expect(a).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const b = await new DynamoDbAuditLedger(db, table, { onceTimings: timingsB }).append(keyed());
      await failedA;
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      expect(b.seq).toBe(1);
      expect(await events()).toBe(1);
    });

    it('finds the event of a writer that died before it marked its record written', async () => {
      const event = await ledger().append(keyed());
      await ledger().append(record({}, 7));
      await client.send(
        new DeleteItemCommand({
          TableName: table,
          Key: { chain: { S: onceKeyPartition(KEY) }, seq: { N: '0' } },
        }),
      );
      expect(await ledger().append(keyed())).toEqual(event);
      expect(await events()).toBe(2);
      const report = await verifyLedger(reader());
      expect(report).toMatchObject({ ok: true, firstBreak: null });
    });
  });

  describe('queries', () => {
    beforeEach(async () => {
      const writer = ledger({ clock: () => new Date('2026-07-15T10:00:00Z') });
      for (let i = 0; i < 6; i++) await writer.append(record({}, i));
      const later = ledger({ clock: () => new Date('2026-09-02T08:00:00Z') });
      await later.append(
        record({
          type: 'approval.granted',
          actor: { type: 'user', id: 'alice', providerIdentity: 'arn:aws:iam::1:user/alice' },
          subject: { repository: REPO, commit: 'b'.repeat(40), runId: 'run-9', environment: 'prod', pipeline: 'p' },
          outcome: 'success',
          details: { reason: 'change ticket CHG-1', principal: 'arn:aws:iam::1:user/alice' },
        }),
      );
    });
    const all = async (filter: Parameters<AuditReader['query']>[0]) => {
      const out: AuditEvent[] = [];
      for await (const e of reader().query(filter)) out.push(e);
      return out;
    };
    /** A query's events, and how many items the table read and sent back for it (seen below the document client). */
    const counted = async (filter: Parameters<AuditReader['query']>[0], tableName = table) => {
      const pages: { count: number; scanned: number }[] = [];
      const client = documentClient(new DynamoDBClient(localClientConfig(dynamo.endpoint)));
      client.middlewareStack.add(
        (next) => async (args) => {
          const out = await next(args);
          const body = out.output as { Count?: number; ScannedCount?: number };
          pages.push({ count: body.Count ?? 0, scanned: body.ScannedCount ?? 0 });
          return out;
        },
        { step: 'initialize', name: 'countPages' },
      );
      const read: AuditEvent[] = [];
      try {
        for await (const e of new AuditReader(client, tableName).query(filter)) read.push(e);
      } finally {
        client.destroy();
      }
      return {
        read,
        scanned: pages.reduce((n, p) => n + p.scanned, 0),
        sent: pages.reduce((n, p) => n + p.count, 0),
      };
    };

    it('by commit, run, actor, repository and day, with the other fields as filters', async () => {
      expect(await all({ commit: COMMIT })).toHaveLength(6);
      expect(await all({ runId: 'run-1' })).toHaveLength(2);
      expect((await all({ actor: 'alice' })).map((e) => e.type)).toEqual(['approval.granted']);
      expect(await all({ repository: REPO, type: 'gate' })).toHaveLength(6);
      // A repository over weeks (read by day) and over more than a quarter (its whole chain, filtered).
      const seqs = async (filter: Parameters<AuditReader['query']>[0]) =>
        (await all(filter)).map((e) => e.seq).sort((a, b) => a - b);
      expect(await seqs({ repository: REPO, from: '2026-08-20', to: '2026-09-30' })).toEqual([7]);
      expect(await seqs({ repository: REPO, from: '2026-07-01', to: '2026-08-20' })).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await seqs({ repository: REPO, from: '2026-01-01', to: '2026-08-20' })).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await all({ repository: REPO, from: '2026-09-03' })).toEqual([]);
      expect(await all({ repository: REPO, to: '2026-09-01' })).toHaveLength(6);
      expect(await all({ from: '2026-09-01', to: '2026-09-30' })).toHaveLength(1);
      expect(await all({ from: '2026-07-01', to: '2026-09-30', environment: 'prod' })).toHaveLength(1);
      expect(await all({ from: '2026-07-15', to: '2026-07-15', type: 'approval' })).toHaveLength(0);
    });

    it('reads a day in slices at once and returns each event once, in order, even at a slice boundary', async () => {
      const day = Date.parse('2026-08-10T00:00:00Z');
      // Events on every cut (and a millisecond either side), the day's first and last millisecond.
      const times = [
        ...new Set(sliceBounds(day, day + 86_399_999).flatMap((b) => [-1, 0, 1].map((d) => Date.parse(b) + d))),
      ]
        .filter((t) => t >= day && t < day + 86_400_000)
        .sort((a, b) => a - b);
      let now = 0;
      const writer = ledger({ clock: () => new Date(now) });
      for (const [i, t] of times.entries()) {
        now = t;
        await writer.append(record({}, 100 + i));
      }
      const read = await all({ repository: REPO, from: '2026-08-10', to: '2026-08-10' });
      expect(read.map((e) => e.time)).toEqual(times.map((t) => new Date(t).toISOString()));
      // What the ledger stores is what its published schema says, times included (text order is time order).
      for (const e of read) expect(AuditEventSchema.safeParse(e).error).toBeUndefined();
      // From the middle of the day: the cuts move, nothing before `from` comes back.
      const noon = Date.parse('2026-08-10T12:00:00Z');
      const afternoon = await all({ repository: REPO, from: new Date(noon).toISOString(), to: '2026-08-10' });
      expect(afternoon.map((e) => e.time)).toEqual(
        times.filter((t) => t >= noon).map((t) => new Date(t).toISOString()),
      );
      // A reader that stops at the first event gets the day's first, and the other slices' reads are closed, not left hanging.
      const first: string[] = [];
      for await (const e of reader().query({ repository: REPO, from: '2026-08-10', to: '2026-08-10' })) {
        first.push(e.time);
        break;
      }
      expect(first).toEqual([new Date(times[0] ?? 0).toISOString()]);
    });

    /** This test's table, and one like it from before the by-chain index (which a later deploy adds, and builds). */
    const tables = async () => {
      const legacy = `${table}-legacy`;
      (await createAuditTable(dynamo.endpoint, legacy, [AUDIT_INDEXES.byChain])).destroy();
      return [
        { name: table, indexed: true },
        { name: legacy, indexed: false },
      ];
    };

    it("asks DynamoDB for one repository's events of a day, not the whole day's", async () => {
      const other = { repository: 'acme/ledger', commit: COMMIT, runId: 'run-x', environment: 'dev', pipeline: 'l' };
      for (const { name, indexed } of await tables()) {
        const writer = new DynamoDbAuditLedger(db, name, { clock: () => new Date('2026-08-11T09:00:00Z') });
        for (let i = 0; i < 6; i++) await writer.append(record(i % 3 === 0 ? {} : { subject: other }, 200 + i));
        const { read, scanned, sent } = await counted({ repository: REPO, from: '2026-08-11', to: '2026-08-11' }, name);
        expect(read.map((e) => e.subject.repository)).toEqual([REPO, REPO]);
        // From the repository's own index, two read and sent. Without it (by day): six read, two
        // sent, the other repository's four dropped before they left the table.
        expect({ indexed, scanned, sent }).toEqual({ indexed, scanned: indexed ? 2 : 6, sent: 2 });
      }
    });

    it("keeps one repository's events by one actor, named by id or provider identity, server-side", async () => {
      const other = { repository: 'acme/ledger', commit: COMMIT, runId: 'run-x', environment: 'dev', pipeline: 'l' };
      const pusher = { type: 'system', id: 'gantry', providerIdentity: 'octocat' };
      const person = { type: 'user', id: 'octocat', providerIdentity: null };
      // Ours by the pusher, ours by the person, ours by someone else, theirs by the pusher and the person.
      const written = [
        { actor: pusher },
        { actor: person },
        {},
        { actor: pusher, subject: other },
        { actor: person, subject: other },
      ];
      for (const { name, indexed } of await tables()) {
        const writer = new DynamoDbAuditLedger(db, name, { clock: () => new Date('2026-08-12T09:00:00Z') });
        for (const [i, overrides] of written.entries()) await writer.append(record(overrides, 300 + i));
        const { read, scanned, sent } = await counted(
          { repository: REPO, actor: 'octocat', from: '2026-08-12', to: '2026-08-12' },
          name,
        );
        // (Written in the same millisecond: an index keeps no order among them.)
        expect(read.map((e) => [e.subject.repository, e.actor.type]).sort()).toEqual([
          [REPO, 'system'],
          [REPO, 'user'],
        ]);
        // From the index: our three read, two sent (id OR provider identity). By day: five read,
        // two sent, (repository AND (id OR provider identity)); an OR that bound looser would send
        // the other repository's pusher event too (the reader would drop it, at a cost).
        expect({ indexed, scanned, sent }).toEqual({ indexed, scanned: indexed ? 3 : 5, sent: 2 });
      }
      expect(await all({ actor: 'octocat', from: '2026-08-12', to: '2026-08-12' })).toHaveLength(4);
    });

    describe('an export leaves out no record its filter selects, whatever its index copies say', () => {
      let dir: string;
      beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), 'gantry-export-'));
      });
      afterEach(() => rmSync(dir, { recursive: true, force: true }));
      const setIndex = (seq: number, update: string, values: Record<string, { S: string }> = {}) =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { chain: { S: REPO }, seq: { N: `${seq}` } },
            UpdateExpression: update,
            ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          }),
        );
      const exported = (filter: Parameters<AuditReader['query']>[0]) =>
        exportAudit(reader(), { filter, format: 'jsonl', out: join(dir, 'out.jsonl') });

      it('counts every chain in scope again through the by-chain index, and says so', async () => {
        await expect(exported({ from: '2026-07-01', to: '2026-09-30' })).resolves.toMatchObject({
          count: 7,
          completeness: { checked: true, chains: 1 },
        });
        await expect(exported({ runId: 'run-9' })).resolves.toMatchObject({
          count: 1,
          completeness: { checked: true, chains: 1 },
        });
      });

      it('does not refuse an honest export of a ledger being written while it reads', async () => {
        const live = reader();
        const query = live.query.bind(live);
        let appended = false;
        live.query = async function* (filter) {
          for await (const event of query(filter)) {
            yield event;
            if (!appended) {
              appended = true;
              // Another step's record, written now, while the export reads.
              await ledger().append(record({}, 1));
            }
          }
        };
        for (const filter of [{ repository: REPO }, { runId: 'run-1' }, {}]) {
          appended = false;
          await expect(
            exportAudit(live, { filter, format: 'jsonl', out: join(dir, 'live.jsonl') }),
          ).resolves.toMatchObject({ completeness: { checked: true } });
        }
      });

      it('looks for a run’s records weeks after its first, not only the day after', async () => {
        // run-9's end comes three weeks after its approval; that record's run index is then removed.
        const late = ledger({ clock: () => new Date('2026-09-23T08:00:00Z') });
        const ended = await late.append(
          record({
            type: 'run.succeeded',
            subject: { repository: REPO, commit: 'b'.repeat(40), runId: 'run-9', environment: 'prod', pipeline: 'p' },
            details: { deployed: true },
          }),
        );
        await setIndex(ended.seq, 'REMOVE idxRun');
        await expect(exported({ runId: 'run-9' })).rejects.toMatchObject({ name: 'AuditExportIncomplete' });
      });

      it.each([
        ['a run’s record whose run index was removed', { runId: 'run-1' }, 5, 'REMOVE idxRun', {}, [2, 1]],
        ['a commit’s record whose commit index was removed', { commit: COMMIT }, 3, 'REMOVE idxCommit', {}, [6, 5]],
        [
          'a period’s approval whose day index was moved',
          { from: '2026-09-01', to: '2026-09-30' },
          7,
          'SET idxDay = :d',
          { ':d': { S: '2025-01-01' } },
          [1, 0],
        ],
      ] as const)('refuses, and keeps no file: %s', async (_, filter, seq, update, values, [held, found]) => {
        await setIndex(seq, update, values);
        await expect(exported(filter)).rejects.toMatchObject({
          name: 'AuditExportIncomplete',
          message: expect.stringMatching(
            new RegExp(`${REPO} holds ${held} record\\(s\\) the filter selects up to \\S+, the export found ${found}`),
          ),
        });
        expect(existsSync(join(dir, 'out.jsonl'))).toBe(false);
        expect(existsSync(join(dir, 'out.jsonl.manifest.json'))).toBe(false);
      });
    });

    it('exports a period as jsonl, csv and parquet with a manifest whose count and hash match', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gantry-export-'));
      try {
        for (const format of ['jsonl', 'csv', 'parquet'] as const) {
          const out = join(dir, `q3.${format}`);
          const manifest = await exportAudit(reader(), {
            filter: { from: '2026-07-01', to: '2026-09-30' },
            format,
            out,
          });
          expect(manifest.count).toBe(7);
          expect(manifest.sha256).toBe((await digestFile(out)).sha256);
          expect(JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8'))).toMatchObject({ count: 7, format });
          expect(manifest.chains).toEqual([
            expect.objectContaining({ chain: REPO, events: 7, first: expect.objectContaining({ seq: 1 }) }),
          ]);
          const rows =
            format === 'jsonl'
              ? readFileSync(out, 'utf8')
                  .trim()
                  .split('\n')
                  .map((l) => JSON.parse(l) as AuditEvent)
              : format === 'csv'
                ? readFileSync(out, 'utf8').trim().split('\r\n').slice(1)
                : await parquetReadObjects({ file: arrayBufferOf(readFileSync(out)) });
          expect(rows).toHaveLength(7);
          if (format === 'jsonl') expect((rows as AuditEvent[]).every((e) => hashEvent(e) === e.hash)).toBe(true);
          if (format === 'parquet') {
            expect((rows as Record<string, unknown>[])[6]).toMatchObject({ type: 'approval.granted', seq: 7n });
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('verify catches tampering in the table itself', () => {
    let events: AuditEvent[];
    let signer: CheckpointSigner;
    let store: ReturnType<typeof memoryStore>;
    beforeEach(async () => {
      const writer = ledger();
      events = [];
      for (let i = 0; i < 8; i++) events.push(await writer.append(record({}, i)));
      signer = memorySigner();
      store = memoryStore();
      await writeCheckpoint(reader(), signer, store);
    });
    const verifyAll = () => verifyLedger(reader(), { signer, checkpoints: store });

    it('passes untouched, with the checkpoint checked', async () => {
      expect(await verifyAll()).toMatchObject({ ok: true, checkpoints: { checked: 1, failures: [] } });
    });

    it('says which records no checkpoint has signed yet, rather than that every checkpoint vouches for them', async () => {
      await ledger().append(record({}, 8));
      await ledger().append(record({}, 9));
      const report = await verifyAll();
      expect(report.chains).toEqual([
        expect.objectContaining({ chain: REPO, signedTo: 8, head: expect.objectContaining({ seq: 10 }) }),
      ]);
      const text = verifyTable(report);
      expect(text).toContain(`! 2 records in 1 chain(s) are signed by no checkpoint yet (${REPO} after seq 8)`);
      expect(text).toContain('✓ Verified 10 events: every link and checkpoint holds.');
      await writeCheckpoint(reader(), signer, store, new Date(Date.now() + 1_000));
      expect(verifyTable(await verifyAll())).not.toContain('signed by no checkpoint');
      expect(verifyTable(await verifyLedger(reader()))).toContain('every link holds (checkpoints not checked)');
    });

    describe('a checkpoint schedule that stopped, which the records waiting for it show', () => {
      const hours = (h: number) => new Date(Date.now() + h * 3_600_000);

      it('fails once a record has waited longer than twice the stated rate, and names the chain and what to do', async () => {
        // The scheduled checkpoint states its hourly rate; nothing signs seq 9 after it.
        await writeCheckpoint(reader(), signer, store, new Date(Date.now() + 1_000), 60);
        await ledger().append(record({}, 8));
        const early = await verifyLedger(reader(), { signer, checkpoints: store, now: hours(2) });
        expect(early.ok).toBe(true);
        const late = await verifyLedger(reader(), { signer, checkpoints: store, now: hours(2.2) });
        expect(late.ok).toBe(false);
        expect(late.firstBreak).toBeNull();
        expect(late.checkpoints?.overdue).toEqual([
          { chain: REPO, seq: 9, time: expect.any(String), message: late.checkpoints?.failures[0]?.message },
        ]);
        expect(late.checkpoints?.failures).toEqual([
          {
            key: REPO,
            message: expect.stringMatching(
              /^chain acme\/payments: its records from seq 9 .* are signed by no checkpoint, the last signed is seq 8, though checkpoints are due every 60 minutes: .*run gantry audit checkpoint/,
            ),
          },
        ]);
        const text = verifyTable(late);
        expect(text).toContain('UNSIGNED since seq 9');
        expect(text).not.toContain('✓ Verified');
        // A checkpoint that signs the record ends it.
        await writeCheckpoint(reader(), signer, store, new Date(Date.now() + 2_000), 60);
        expect(await verifyLedger(reader(), { signer, checkpoints: store, now: hours(2.2) })).toMatchObject({
          ok: true,
        });
      });

      it('judges by the newest scheduled checkpoint’s rate, which its signature covers', async () => {
        await writeCheckpoint(reader(), signer, store, new Date(Date.now() + 1_000), 1440);
        await ledger().append(record({}, 8));
        expect((await verifyLedger(reader(), { signer, checkpoints: store, now: hours(47) })).ok).toBe(true);
        expect((await verifyLedger(reader(), { signer, checkpoints: store, now: hours(49) })).ok).toBe(false);
        // Someone who may write the bucket (governance mode) stretches the rate: the signature no longer holds.
        const [key, checkpoint] = [...store.items.entries()].at(-1) as [string, Checkpoint];
        store.items.set(key, { ...checkpoint, everyMinutes: 100_000 });
        const stretched = await verifyLedger(reader(), { signer, checkpoints: store, now: hours(3) });
        expect(stretched.ok).toBe(false);
        expect(stretched.checkpoints?.failures.map((f) => f.message)).toEqual(
          expect.arrayContaining([expect.stringContaining('valid signature'), expect.stringContaining('seq 9')]),
        );
      });

      it('fails a chain no checkpoint ever signed, with no checkpoint at all, and without a stated rate', async () => {
        store.items.clear();
        const report = await verifyLedger(reader(), { signer, checkpoints: store, now: hours(2.5) });
        expect(report.checkpoints?.failures).toEqual([
          {
            key: REPO,
            message: expect.stringContaining(
              'are signed by no checkpoint (none has ever signed this chain), though checkpoints are due every 60 minutes (the default: no scheduled checkpoint says)',
            ),
          },
        ]);
        // Chains only (--no-checkpoints) makes no such claim, and says so.
        expect(await verifyLedger(reader(), { now: hours(2.5) })).toMatchObject({ ok: true, checkpoints: null });
      });

      it("fails a change's dossier for its own records waiting too long, not for the chain's later ones", async () => {
        await writeCheckpoint(reader(), signer, store, new Date(Date.now() + 1_000), 60);
        const late = { repository: REPO, commit: COMMIT, runId: 'run-late', environment: 'dev', pipeline: 'payments' };
        await ledger().append(record({ subject: late }, 8));
        const options = { signer, checkpoints: store, now: hours(3) };
        // run-0's records are signed: its dossier verifies, and says the schedule looks stopped.
        const signedRun = (await buildDossier(reader(), 'run-0', options)).integrity;
        expect(signedRun).toMatchObject({ verified: true, checkpointed: true });
        expect(signedRun.message).toContain('later records, from seq 9, have waited too long for a checkpoint');
        // run-late's own record has waited three hours: its dossier does not vouch for it.
        const lateRun = await buildDossier(reader(), 'run-late', options);
        expect(lateRun.integrity).toMatchObject({ verified: false, checkpointed: false });
        expect(unvouched(lateRun)).toEqual([
          expect.stringContaining(
            'run run-late: its ledger records do not verify: chain acme/payments: its records from seq 9',
          ),
        ]);
      });

      it('weighs the largest of the newest scheduled rates, so a schedule made slower fails nothing meanwhile', async () => {
        await writeCheckpoint(reader(), signer, store, new Date(Date.now() + 1_000), 1440);
        await writeCheckpoint(reader(), signer, store, new Date(Date.now() + 2_000), 60);
        await ledger().append(record({}, 8));
        expect((await verifyLedger(reader(), { signer, checkpoints: store, now: hours(5) })).ok).toBe(true);
      });

      it('a record dated ahead of the clock, so that it would never look overdue, is a break', async () => {
        await ledger({ clock: () => hours(24 * 365) }).append(record({}, 8));
        const report = await verifyAll();
        expect(report.firstBreak).toMatchObject({
          seq: 9,
          kind: 'dated',
          message: expect.stringContaining('records are dated as they are written'),
        });
      });

      it('a record dated well before its predecessor is a break; a few seconds of clock skew is not', async () => {
        await ledger({ clock: () => new Date(Date.now() - 60_000) }).append(record({}, 8));
        expect((await verifyAll()).firstBreak).toBeNull();
        await ledger({ clock: () => hours(-1) }).append(record({}, 9));
        expect((await verifyAll()).firstBreak).toMatchObject({ seq: 10, kind: 'dated' });
      });
    });

    it('an edited field', async () => {
      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { chain: { S: REPO }, seq: { N: '4' } },
          UpdateExpression: 'SET outcome = :o',
          ExpressionAttributeValues: { ':o': { S: 'failure' } },
        }),
      );
      expect((await verifyAll()).firstBreak).toMatchObject({ seq: 4, kind: 'altered' });
    });

    it.each([
      ['an integer beyond 2^53', '1152921504606846976'],
      ['a number no BigInt is', '1.5e100'],
    ])(
      'a number written by hand that Gantry never writes (%s): that record, not a crash of the whole verify',
      async (_, n) => {
        await client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { chain: { S: REPO }, seq: { N: '4' } },
            UpdateExpression: 'SET details.build = :n',
            ExpressionAttributeValues: { ':n': { N: n } },
          }),
        );
        expect((await verifyAll()).firstBreak).toMatchObject({ chain: REPO, seq: 4, kind: 'altered' });
      },
    );

    it('a deleted record, in the middle and at the end', async () => {
      await client.send(new DeleteItemCommand({ TableName: table, Key: { chain: { S: REPO }, seq: { N: '3' } } }));
      expect((await verifyAll()).firstBreak).toMatchObject({ seq: 4, kind: 'missing' });
    });

    it('a truncated chain, which only the checkpoint can see', async () => {
      await client.send(new DeleteItemCommand({ TableName: table, Key: { chain: { S: REPO }, seq: { N: '8' } } }));
      expect((await verifyAll()).firstBreak).toMatchObject({ seq: 8, kind: 'checkpoint' });
    });

    it('a suffix rewritten with recomputed hashes, which only the checkpoint can see', async () => {
      let prev = events[4] as AuditEvent;
      for (const e of events.slice(5)) {
        const forged = { ...e, prevHash: prev.hash, details: { ...e.details, passed: false } };
        const rehashed = { ...forged, hash: hashEvent(forged) };
        await db.send(new PutCommand({ TableName: table, Item: toItem(rehashed) }));
        prev = rehashed;
      }
      const report = await verifyAll();
      expect(report.ok).toBe(false);
      expect(report.firstBreak).toMatchObject({ kind: 'checkpoint', seq: 8 });
    });

    it('a forged checkpoint signature', async () => {
      const [key, checkpoint] = [...store.items.entries()][0] as [string, Checkpoint];
      store.items.set(key, { ...checkpoint, chains: [{ chain: REPO, seq: 3, hash: 'f'.repeat(64) }] });
      const report = await verifyAll();
      expect(report.ok).toBe(false);
      expect(report.checkpoints?.failures[0]?.message).toMatch(/valid signature/);
    });

    const deleteRecords = async (chain: string, seqs: readonly number[]) => {
      for (const seq of seqs)
        await client.send(
          new DeleteItemCommand({ TableName: table, Key: { chain: { S: chain }, seq: { N: `${seq}` } } }),
        );
    };
    const deleteRegistryEntry = (chain: string) =>
      client.send(
        new DeleteItemCommand({
          TableName: table,
          Key: { chain: { S: CHAIN_REGISTRY }, seq: { N: `${registrySeq(chain)}` } },
        }),
      );
    const copyOfTable = async function* () {
      for (const chain of [CHAIN_REGISTRY, REPO]) yield* reader().chainItems(chain);
    };

    it('a signed prefix deleted, its successor forged to say its predecessor had expired', async () => {
      // Everything up to the signed head goes; one record claims the retention gap before it.
      await deleteRecords(REPO, [1, 2, 3, 4, 5, 6, 7, 8]);
      const head = events[7] as AuditEvent;
      const forged = { ...head, seq: 9, prevHash: head.hash, prevExpiresAt: Math.floor(Date.now() / 1000) - 1 };
      await db.send(new PutCommand({ TableName: table, Item: toItem({ ...forged, hash: hashEvent(forged) }) }));
      for (const report of [await verifyAll(), await verifyLedgerCopy(copyOfTable(), { signer, checkpoints: store })]) {
        expect(report.ok).toBe(false);
        expect(report.firstBreak).toMatchObject({
          seq: 8,
          kind: 'checkpoint',
          message: expect.stringContaining('deleted before its retention ended'),
        });
      }
    });

    it('a chain hidden by deleting its registry entry, then edited', async () => {
      await deleteRegistryEntry(REPO);
      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { chain: { S: REPO }, seq: { N: '4' } },
          UpdateExpression: 'SET outcome = :o',
          ExpressionAttributeValues: { ':o': { S: 'failure' } },
        }),
      );
      expect((await verifyAll()).firstBreak).toMatchObject({ chain: REPO, seq: 4, kind: 'altered' });
    });

    it('a whole chain deleted with its registry entry, and when retention may take it', async () => {
      await deleteRecords(REPO, [1, 2, 3, 4, 5, 6, 7, 8]);
      await deleteRegistryEntry(REPO);
      for (const report of [await verifyAll(), await verifyLedgerCopy(copyOfTable(), { signer, checkpoints: store })])
        expect(report.firstBreak).toMatchObject({ chain: REPO, seq: 8, kind: 'checkpoint' });
      // Once the head's signed retention is up, its absence is no break.
      const after = new Date(((events[7] as AuditEvent).expiresAt + 1) * 1000);
      expect(await verifyLedger(reader(), { signer, checkpoints: store, now: after })).toMatchObject({ ok: true });
    });

    it('a new chain hidden by deleting its registry entry before any checkpoint signed it, then edited', async () => {
      const other = 'acme/other';
      const subject = { repository: other, commit: COMMIT, runId: 'run-o', environment: 'dev', pipeline: 'other' };
      await ledger().append(record({ subject }, 1));
      await ledger().append(record({ subject }, 2));
      // An insider removes the entry before the next checkpoint: the registry no longer names the chain.
      await deleteRegistryEntry(other);
      expect(await reader().chains()).toEqual([REPO]);
      // The next checkpoint finds it by the day its records were written, and signs it all the same.
      const { checkpoint } = await writeCheckpoint(reader(), signer, store, new Date(Date.now() + 1_000), 60);
      expect(checkpoint.chains.map((c) => c.chain)).toEqual([other, REPO]);
      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { chain: { S: other }, seq: { N: '2' } },
          UpdateExpression: 'SET outcome = :o',
          ExpressionAttributeValues: { ':o': { S: 'failure' } },
        }),
      );
      expect((await verifyAll()).firstBreak).toMatchObject({ chain: other, seq: 2, kind: 'altered' });
    });

    it('a chain whose registry entry was overwritten, which later checkpoints leave out: its new records unsigned', async () => {
      await ledger().append(record({ subject: { repository: 'acme/web', commit: COMMIT } }));
      const soon = (ms: number) => new Date(Date.now() + ms);
      await writeCheckpoint(reader(), signer, store, soon(1_000));
      await db.send(
        new PutCommand({ TableName: table, Item: { chain: CHAIN_REGISTRY, seq: registrySeq(REPO), name: 'decoy' } }),
      );
      // While it is written to, the chain is found by the days of its records and signed all the same.
      const { key: early } = await writeCheckpoint(reader(), signer, store, soon(2_000));
      expect(store.items.get(early)?.chains.map((c) => c.chain)).toEqual([REPO, 'acme/web']);
      // Once it is quiet, later checkpoints leave it out, and verify says so.
      const later = 3 * 3_600_000;
      const { key } = await writeCheckpoint(reader(), signer, store, soon(later));
      expect(store.items.get(key)?.chains.map((c) => c.chain)).toEqual(['acme/web']);
      const report = await verifyLedger(reader(), { signer, checkpoints: store, now: soon(later + 1_000) });
      expect(report.ok).toBe(false);
      expect(report.checkpoints?.failures).toEqual([
        {
          key,
          message: expect.stringMatching(
            new RegExp(`does not sign chain ${REPO}, which checkpoints/\\d+\\.json signed`),
          ),
        },
      ]);
    });

    it('a chain retention emptied, which later checkpoints leave out once its signed head’s time is up', async () => {
      await deleteRecords(REPO, [1, 2, 3, 4, 5, 6, 7, 8]);
      const after = new Date(((events[7] as AuditEvent).expiresAt + 1) * 1000);
      const { key } = await writeCheckpoint(reader(), signer, store, after);
      expect(store.items.get(key)?.chains).toEqual([]);
      expect(await verifyLedger(reader(), { signer, checkpoints: store, now: after })).toMatchObject({
        ok: true,
        checkpoints: { checked: 2, failures: [] },
      });
    });

    it('a head rewritten between two checkpoints: the later one signs the forgery, the earlier one tells', async () => {
      const head = events[7] as AuditEvent;
      const forged = { ...head, details: { ...head.details, passed: false } };
      await db.send(new PutCommand({ TableName: table, Item: toItem({ ...forged, hash: hashEvent(forged) }) }));
      await writeCheckpoint(reader(), signer, store);
      const report = await verifyAll();
      expect(report.checkpoints).toMatchObject({ checked: 2, failures: [] });
      expect(report.firstBreak).toMatchObject({
        seq: 8,
        kind: 'checkpoint',
        message: expect.stringContaining('rewritten'),
      });
    });

    it('a tampered index key', async () => {
      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { chain: { S: REPO }, seq: { N: '2' } },
          UpdateExpression: 'SET idxActor = :a',
          ExpressionAttributeValues: { ':a': { S: 'mallory' } },
        }),
      );
      expect((await verifyAll()).firstBreak).toMatchObject({ seq: 2, message: expect.stringMatching(/idxActor/) });
    });
  });
});

/**
 * The file's bytes as an ArrayBuffer of exactly their length. A Buffer's `.buffer` may be larger
 * than the Buffer (Node 24 reads files into a bigger allocation), and parquet reads its footer
 * from the end of the ArrayBuffer.
 */
function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
