import { join } from 'node:path';
import { connectionSecretName } from '../../infra/config/schema';
import type { RuntimeInfo } from '../../local/discovery';
import type { BusEventRecord } from '../../local/eventbridge/bus';
import { readLocalSecret } from '../../local/secretsmanager';
import { adapterFor } from '../../shared/webhooks/normalize';
import { loadCliConfig } from '../config-file';
import { discoverLocalPlane } from '../discover';
import { UsageError } from '../errors';
import { dataDirOption } from '../options';

/** The headers an operator route of the running control plane needs: its session token. */
export function operatorHeaders(info: Pick<RuntimeInfo, 'token'>): Record<string, string> {
  return info.token === undefined ? {} : { authorization: `Bearer ${info.token}` };
}

/** A GET of one of the edge's local-only routes (`/_gantry/…`), with the session token. */
export function operatorGet(info: RuntimeInfo, path: string): Promise<Response> {
  return fetch(new URL(path, info.awsEndpoint), { headers: operatorHeaders(info) });
}

/** The running local control plane, or a usage error that says how to start one. */
export function runningControlPlane(dataDir: string | undefined): RuntimeInfo {
  const dir = dataDirOption(dataDir);
  const info = discoverLocalPlane(dir);
  if (info === undefined)
    throw new UsageError(`no local control plane is running from ${dir}/; start one with \`npm start\``);
  return info;
}

export interface SentDelivery {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Signs `payload` with the connection's local secret, exactly as the provider would, and posts it. */
export async function sendDelivery(
  info: RuntimeInfo,
  connectionName: string,
  payload: unknown,
  options: { eventName?: string; deliveryId?: string; secret?: string } = {},
): Promise<SentDelivery> {
  const config = loadCliConfig(info.configFile);
  const connection = config.connections.find((c) => c.name === connectionName);
  if (connection === undefined)
    throw new UsageError(`no connection named ${connectionName} in ${info.configFile ?? 'the config'}`);
  const stored = readLocalSecret(join(info.dataDir, 'secrets.json'), connectionSecretName(connection), process.env);
  const secret = options.secret ?? (JSON.parse(stored) as { webhookSecret: string }).webhookSecret;
  const adapter = adapterFor(connection.provider);
  const body = Buffer.from(JSON.stringify(payload));
  const headers = adapter.deliveryHeaders({
    body,
    secret,
    eventName: options.eventName ?? adapter.pushEventName,
    deliveryId: options.deliveryId ?? crypto.randomUUID(),
  });
  const res = await fetch(`${info.webhookUrl}/webhooks/${connection.provider}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Bus events after `since` (an event id), as the control plane recorded them. */
export async function busEvents(info: RuntimeInfo, since?: string): Promise<BusEventRecord[]> {
  const url = new URL('/_gantry/events', info.awsEndpoint);
  if (since) url.searchParams.set('since', since);
  const res = await fetch(url, { headers: operatorHeaders(info) });
  return ((await res.json()) as { events: BusEventRecord[] }).events;
}

/** Waits until every target of the events after `since` has an outcome, or the time is up. */
export async function settledEvents(
  info: RuntimeInfo,
  since: string | undefined,
  timeoutMs = 10_000,
): Promise<BusEventRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await busEvents(info, since);
    const settled = events.every((e) => e.targets.every((t) => t.status !== 'pending'));
    if (settled || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
