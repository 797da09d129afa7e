import type { AwsJsonService } from '../../../local/edge/aws-json';
import { type EdgeAttachment, type RunningEdge, startEdge } from '../../../local/edge/server';
import { type LocalService, RuntimeServices } from '../../../local/services/registry';

/** A service that records its start and stop in `events`, attaching `attachments` once started. */
function recorded(name: string, events: string[], attachments: EdgeAttachment[] = []): LocalService<string> {
  return {
    name,
    start: async () => {
      events.push(`start ${name}`);
      return `${name}-value`;
    },
    edgeAttachments: () => attachments,
    stop: (value) => void events.push(`stop ${name} (${value})`),
  };
}

function edgeService(events: string[]): LocalService<RunningEdge> {
  return {
    name: 'edge',
    start: () => startEdge({ port: 0 }),
    stop: async (edge) => {
      events.push('stop edge');
      await edge.close();
    },
  };
}

const echo: AwsJsonService = {
  name: 'Echo',
  targetPrefix: 'Echo_20240101',
  signingName: 'echo',
  errorNamespace: 'com.example.echo',
  handle: async (operation, input) => ({ operation, input }),
};

describe('RuntimeServices', () => {
  it('starts services in order, hands each its value, and stops them in reverse, the edge last', async () => {
    const events: string[] = [];
    const services = await RuntimeServices.start(edgeService(events));

    expect(await services.add(recorded('dynamodb', events))).toBe('dynamodb-value');
    await services.add(recorded('sqs', events));
    expect(services.names()).toEqual(['edge', 'dynamodb', 'sqs']);

    await services.stopAll();
    expect(events).toEqual([
      'start dynamodb',
      'start sqs',
      'stop sqs (sqs-value)',
      'stop dynamodb (dynamodb-value)',
      'stop edge',
    ]);
  });

  it('stops once however often it is asked', async () => {
    const events: string[] = [];
    const services = await RuntimeServices.start(edgeService(events));
    await services.add(recorded('kms', events));

    await Promise.all([services.stopAll(), services.stopAll()]);
    await services.stopAll();

    expect(events.filter((e) => e.startsWith('stop'))).toEqual(['stop kms (kms-value)', 'stop edge']);
  });

  it('attaches what a service serves to the edge, which then answers it: routes and AWS JSON APIs', async () => {
    const events: string[] = [];
    const services = await RuntimeServices.start(edgeService(events));
    try {
      await services.add(
        recorded('views', events, [
          { route: '/_gantry/ping', handler: async () => ({ status: 200, body: { pong: true } }) },
          { json: echo },
        ]),
      );
      const ping = await fetch(`${services.edge.endpoint}/_gantry/ping`);
      expect(await ping.json()).toEqual({ pong: true });
      const call = await fetch(services.edge.endpoint, {
        method: 'POST',
        headers: { 'x-amz-target': 'Echo_20240101.Say', 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify({ words: 'hi' }),
      });
      expect(await call.json()).toEqual({ operation: 'Say', input: { words: 'hi' } });
    } finally {
      await services.stopAll();
    }
  });

  it('reports the first service that stops working on its own, and none once it is stopping', async () => {
    const events: string[] = [];
    const services = await RuntimeServices.start(edgeService(events));
    const failing = (name: string, after: Promise<Error>): LocalService<string> => ({
      ...recorded(name, events),
      failure: () => after,
    });
    let crash: (error: Error) => void = () => undefined;
    let later: (error: Error) => void = () => undefined;
    await services.add(failing('kms', new Promise((resolve) => (later = resolve))));
    await services.add(failing('dynamodb', new Promise((resolve) => (crash = resolve))));

    crash(new Error('its thread exited (code 1)'));
    later(new Error('after the first'));
    const failure = await services.failed;
    expect(failure.service).toBe('dynamodb');
    expect(failure.error.message).toBe('its thread exited (code 1)');
    await services.stopAll();

    const next = await RuntimeServices.start(edgeService(events));
    let lateCrash: (error: Error) => void = () => undefined;
    await next.add(failing('sqs', new Promise((resolve) => (lateCrash = resolve))));
    await next.stopAll();
    lateCrash(new Error('stopped as asked'));
    const settled = await Promise.race([next.failed, new Promise((r) => setTimeout(() => r('pending'), 50))]);
    expect(settled).toBe('pending');
  });

  it('reports a failure whose promise rejects as a failure, never an unhandled rejection', async () => {
    const services = await RuntimeServices.start(edgeService([]));
    try {
      await services.add({ ...recorded('s3', []), failure: () => Promise.reject(new Error('the store went away')) });
      const failure = await services.failed;
      expect([failure.service, failure.error.message]).toEqual(['s3', 'the store went away']);
    } finally {
      await services.stopAll();
    }
  });

  it('reports a failure() that throws before it returns as a failure of that service, and keeps it to stop', async () => {
    const events: string[] = [];
    const services = await RuntimeServices.start(edgeService(events));
    try {
      const throwing: LocalService<string> = {
        ...recorded('sqs', events),
        failure: () => {
          throw new Error('no thread to watch');
        },
      };
      expect(await services.add(throwing)).toBe('sqs-value');
      const failure = await services.failed;
      expect([failure.service, failure.error.message]).toEqual(['sqs', 'no thread to watch']);
      expect(services.names()).toEqual(['edge', 'sqs']);
    } finally {
      await services.stopAll();
    }
    expect(events).toContain('stop sqs (sqs-value)');
  });

  it('does not remember a service that failed to start, and stops the ones before it', async () => {
    const events: string[] = [];
    const services = await RuntimeServices.start(edgeService(events));
    await services.add(recorded('s3', events));
    const broken: LocalService<never> = {
      name: 'broken',
      start: async () => {
        throw new Error('port in use');
      },
      stop: () => void events.push('stop broken'),
    };

    await expect(services.add(broken)).rejects.toThrow('port in use');
    await services.stopAll();

    expect(services.names()).toEqual(['edge', 's3']);
    expect(events).toEqual(['start s3', 'stop s3 (s3-value)', 'stop edge']);
  });
});
