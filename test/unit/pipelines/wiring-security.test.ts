import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { AuditRecordInput } from '../../../events';
import { observability } from '../../../shared/observability';
import { awsPipelineDeps } from '../../../shared/pipelines/wiring';

const dynamo = mockClient(DynamoDBDocumentClient);
const eventBridge = mockClient(EventBridgeClient);

const ENV = { RUNS_TABLE_NAME: 'runs', EVENT_BUS_NAME: 'gantry', AUDIT_TABLE_NAME: 'audit' };

const forged = (runId: string): AuditRecordInput => ({
  type: 'security.forged_input',
  actor: { type: 'system', id: 'gantry', providerIdentity: null },
  subject: { repository: 'acme/widgets', commit: null, runId, environment: null, pipeline: 'widgets' },
  outcome: 'rejected',
  details: { step: 'Deploy', executionArn: 'arn:aws:states:::execution:m:e', reason: `not ${runId}'s execution` },
  correlationId: `forged:${runId}`,
});

beforeEach(() => {
  dynamo.reset();
  eventBridge.reset();
  // An empty chain: each append is the first of its chain, and DynamoDB takes it.
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo.on(PutCommand).resolves({});
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});

describe('the pipeline steps’ ledger (awsPipelineDeps)', () => {
  it('puts each security record it writes on the Gantry bus, two in a row as two events', async () => {
    const { audit } = awsPipelineDeps(observability(), ENV);
    await audit.record(forged('r-1'));
    await audit.record(forged('r-2'));
    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries.map((e) => [e.EventBusName, e.Source, e.DetailType])).toEqual([
      ['gantry', 'gantry.audit', 'Security Record'],
      ['gantry', 'gantry.audit', 'Security Record'],
    ]);
    expect(entries.map((e) => (JSON.parse(e.Detail ?? '{}') as { subject: { runId: string } }).subject.runId)).toEqual([
      'r-1',
      'r-2',
    ]);
    // And written to the ledger (announcing nothing the ledger refused: security-notice.test.ts).
    expect(dynamo.commandCalls(PutCommand).length).toBeGreaterThanOrEqual(2);
  });
});
