import { SqsConfigError } from './errors';
import type { QueueSettings } from './queue';

/** A queue of the template, as local mode reads it from `AWS::SQS::Queue`. */
export interface QueueSpec {
  readonly name: string;
  readonly fifo: boolean;
  /** @default false — only meaningful on a FIFO queue */
  readonly contentBasedDeduplication?: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
  /** The queue's RedrivePolicy, its target named rather than given by ARN. */
  readonly deadLetter?: { readonly targetName: string; readonly maxReceiveCount: number };
}

/** Where local queues live and how they are addressed. */
export interface QueueAddressing {
  readonly region: string;
  readonly accountId: string;
  /** The edge URL, e.g. `http://127.0.0.1:4566`: queue URLs point here, and the SDK sends to a queue URL's host. */
  readonly endpoint: string;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Checks the specs describe queues SQS would create (names, FIFO suffix, ranges, dead-letter
 * targets that exist and match in type) and resolves each to its URL and ARN.
 * @throws SqsConfigError for the first spec that does not.
 */
export function resolveQueues(specs: readonly QueueSpec[], addressing: QueueAddressing): QueueSettings[] {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  if (byName.size !== specs.length) {
    const repeated = specs.find((spec, i) => specs.findIndex((s) => s.name === spec.name) !== i);
    throw new SqsConfigError(repeated?.name ?? '', 'declared twice');
  }
  return specs.map((spec) => {
    checkSpec(spec);
    checkDeadLetter(spec, byName);
    return settingsOf(spec, addressing);
  });
}

function checkSpec(spec: QueueSpec): void {
  const base = spec.fifo ? spec.name.replace(/\.fifo$/, '') : spec.name;
  if (!NAME.test(base) || spec.name.length > 80) {
    throw new SqsConfigError(spec.name, 'a name is 1-80 letters, digits, hyphens and underscores');
  }
  if (spec.fifo !== spec.name.endsWith('.fifo')) {
    throw new SqsConfigError(spec.name, 'a queue is FIFO exactly when its name ends in ".fifo"');
  }
  inRange(spec, 'visibilityTimeoutSeconds', spec.visibilityTimeoutSeconds, 0, 43_200);
  inRange(spec, 'messageRetentionSeconds', spec.messageRetentionSeconds, 60, 1_209_600);
}

function checkDeadLetter(spec: QueueSpec, byName: ReadonlyMap<string, QueueSpec>): void {
  if (spec.deadLetter === undefined) return;
  const target = byName.get(spec.deadLetter.targetName);
  if (target === undefined || target.name === spec.name) {
    throw new SqsConfigError(
      spec.name,
      `its dead-letter queue "${spec.deadLetter.targetName}" is not another declared queue`,
    );
  }
  if (target.fifo !== spec.fifo) {
    throw new SqsConfigError(spec.name, 'a FIFO queue needs a FIFO dead-letter queue, a standard one a standard one');
  }
  inRange(spec, 'maxReceiveCount', spec.deadLetter.maxReceiveCount, 1, 1000);
}

function inRange(spec: QueueSpec, field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SqsConfigError(spec.name, `${field} must be an integer from ${min} to ${max}, not ${value}`);
  }
}

function settingsOf(spec: QueueSpec, { region, accountId, endpoint }: QueueAddressing): QueueSettings {
  return {
    name: spec.name,
    url: `${endpoint.replace(/\/+$/, '')}/${accountId}/${spec.name}`,
    arn: `arn:aws:sqs:${region}:${accountId}:${spec.name}`,
    fifo: spec.fifo,
    contentBasedDeduplication: spec.contentBasedDeduplication ?? false,
    visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
    messageRetentionSeconds: spec.messageRetentionSeconds,
  };
}
