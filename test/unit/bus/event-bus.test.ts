import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgeBus } from '../../../shared/bus/event-bus';

const eventBridge = mockClient(EventBridgeClient);
const noSleep = async () => undefined;
const event = (n: number, bytes = 10) => ({
  source: 'test',
  detailType: 'Thing',
  detail: { n, pad: 'x'.repeat(bytes) },
});

function bus(attempts = 3) {
  return new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' }), 'gantry', { attempts, sleep: noSleep });
}

function sentEntries(): NonNullable<PutEventsCommandInput['Entries']>[] {
  return eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
}

describe('EventBridgeBus.put', () => {
  beforeEach(() => eventBridge.reset());

  it('sends at most ten entries per PutEvents call, on the named bus', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    await expect(bus().put(Array.from({ length: 23 }, (_, i) => event(i)))).resolves.toEqual([]);
    expect(sentEntries().map((entries) => entries.length)).toEqual([10, 10, 3]);
    expect(sentEntries()[0]?.[0]).toMatchObject({ EventBusName: 'gantry', Source: 'test', DetailType: 'Thing' });
  });

  it('splits a batch that would pass 256 KB', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    await bus().put([event(1, 100_000), event(2, 100_000), event(3, 100_000)]);
    expect(sentEntries().map((entries) => entries.length)).toEqual([2, 1]);
  });

  it('retries only the entries that failed, until they succeed', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    await expect(bus().put([event(1), event(2)])).resolves.toEqual([]);
    expect(sentEntries()[1]?.map((e) => JSON.parse(e.Detail ?? '{}').n)).toEqual([2]);
  });

  it('reports entries still failing after the last attempt, and does not retry permanent errors', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({
      FailedEntryCount: input.Entries?.length,
      Entries: input.Entries?.map((e) =>
        JSON.parse(e.Detail ?? '{}').n === 1 ? { ErrorCode: 'MalformedDetail' } : { ErrorCode: 'InternalFailure' },
      ),
    }));
    const failed = await bus(3).put([event(1), event(2)]);
    expect(failed.map((f) => [f.event.detail.n, f.errorCode])).toEqual([
      [1, 'MalformedDetail'],
      [2, 'InternalFailure'],
    ]);
    expect(sentEntries().map((entries) => entries.length)).toEqual([2, 1, 1]);
  });

  it('reports every entry of a call that threw, after its attempts', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('socket hang up'));
    const failed = await bus(2).put([event(1)]);
    expect(failed).toHaveLength(1);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it('refuses an entry over 256 KB without sending it', async () => {
    const failed = await bus().put([event(1, 300_000)]);
    expect(failed).toEqual([expect.objectContaining({ errorCode: 'EntryTooLarge' })]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});
